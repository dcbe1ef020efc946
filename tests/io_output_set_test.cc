// Writing decompressed images: all or nothing, nothing deleted, no overwrite without asking,
// no path that leaves the output directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "common/errors.h"
#include "io/output_set.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("lbb_output_set_" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// Every entry under `dir`, recursively.
size_t entries(const fs::path& dir) {
  size_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) ++n;
  return n;
}

TEST(OutputSet, SafeRelativePaths) {
  for (const char* ok : {"a.png", "photos/sub/cat.png", "a..b.png", ".hidden/x.png", "x/.y"})
    EXPECT_TRUE(is_safe_relative_path(ok)) << ok;
  for (const char* bad : {"", "/etc/passwd", "../x.png", "a/../../x", "a//b", "./a", "a/.", "a/", ".."})
    EXPECT_FALSE(is_safe_relative_path(bad)) << bad;
  EXPECT_FALSE(is_safe_relative_path(std::string("a\0b", 3)));
}

TEST(OutputSet, WritesNewFilesAndDirectoriesBesideUnrelatedOnes) {
  TempDir t;
  std::ofstream(t.file("keep.txt")) << "mine";
  const std::vector<std::string> names = {"a.png", "sub/deeper/b.png"};
  write_files_all_or_nothing(t.path.string(), names, [](size_t i) { return bytes("file" + std::to_string(i)); }, false);
  EXPECT_EQ(slurp(t.file("a.png")), "file0");
  EXPECT_EQ(slurp(t.file("sub/deeper/b.png")), "file1");
  EXPECT_EQ(slurp(t.file("keep.txt")), "mine");
  EXPECT_EQ(entries(t.path), 5u) << "keep.txt, a.png, sub, sub/deeper, b.png: no temporaries left";
}

TEST(OutputSet, ExistingFileIsKeptWithoutOverwriteAndReplacedWithIt) {
  TempDir t;
  std::ofstream(t.file("a.png")) << "old";
  const std::string root = t.path.string();
  EXPECT_THROW(check_output_paths(root, {"a.png"}, false), IoError);
  EXPECT_THROW(write_files_all_or_nothing(root, {"new.png", "a.png"}, [](size_t) { return bytes("x"); }, false),
               IoError);
  EXPECT_EQ(slurp(t.file("a.png")), "old");
  EXPECT_FALSE(fs::exists(t.file("new.png")));
  write_files_all_or_nothing(root, {"a.png"}, [](size_t) { return bytes("new"); }, true);
  EXPECT_EQ(slurp(t.file("a.png")), "new");
  // Overwriting is for files only: a directory in the way is an error, never removed.
  fs::create_directories(t.file("d.png"));
  EXPECT_THROW(check_output_paths(root, {"d.png"}, true), IoError);
  EXPECT_TRUE(fs::is_directory(t.file("d.png")));
}

TEST(OutputSet, AFailureLeavesNothingBehind) {
  TempDir t;
  std::ofstream(t.file("keep.txt")) << "mine";
  const std::string root = t.path.string();
  EXPECT_THROW(write_files_all_or_nothing(root, {"x/1.png", "x/y/2.png", "3.png"},
                                          [](size_t i) -> std::vector<uint8_t> {
                                            if (i == 2) throw IoError("encoder failed");
                                            return bytes("ok");
                                          },
                                          false),
               IoError);
  EXPECT_EQ(entries(t.path), 1u) << "only keep.txt: no files, temporaries or directories of ours";
  // A parent that is a file: refused before anything is written.
  std::ofstream(t.file("f")) << "a file";
  EXPECT_THROW(write_files_all_or_nothing(root, {"ok.png", "f/z.png"}, [](size_t) { return bytes("x"); }, false),
               IoError);
  EXPECT_FALSE(fs::exists(t.file("ok.png")));
  EXPECT_THROW(check_output_paths(root, {"a.png", "a.png"}, false), IoError) << "same file twice";
  EXPECT_THROW(check_output_paths(root, {"a.png", "../a.png"}, false), IoError) << "leaves the root";
}

// The message of the IoError that fn throws ("" if none).
std::string io_error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

TEST(OutputSet, NameUsedAsFileAndDirectoryIsNamedAsSuch) {
  TempDir t;
  const std::string message = io_error_of([&] { check_output_paths(t.path.string(), {"a", "a/b.png"}, false); });
  EXPECT_NE(message.find("a: stored both as a file and as a directory (a/b.png)"), std::string::npos) << message;
  EXPECT_EQ(entries(t.path), 0u);
}

// A symbolic link below the output directory is never followed, with or without overwrite;
// the output directory itself may be one.
TEST(OutputSet, SymbolicLinksInsideTheOutputDirectoryAreRefused) {
  TempDir t;
  fs::create_directories(t.file("out"));
  fs::create_directories(t.file("elsewhere"));
  fs::create_directory_symlink(t.file("elsewhere"), t.file("out/sub"));
  std::ofstream(t.file("elsewhere/victim.png")) << "precious";
  fs::create_symlink(t.file("elsewhere/victim.png"), t.file("out/link.png"));
  for (bool overwrite : {false, true}) {
    const std::string root = t.file("out");
    std::string m = io_error_of([&] { check_output_paths(root, {"sub/a.png"}, overwrite); });
    EXPECT_NE(m.find("out/sub: is a symbolic link"), std::string::npos) << m;
    m = io_error_of(
        [&] { write_files_all_or_nothing(root, {"ok.png", "sub/a.png"}, [](size_t) { return bytes("x"); }, overwrite); });
    EXPECT_NE(m.find("out/sub: is a symbolic link"), std::string::npos) << m;
    m = io_error_of(
        [&] { write_files_all_or_nothing(root, {"link.png"}, [](size_t) { return bytes("x"); }, overwrite); });
    EXPECT_NE(m.find("link.png: is a symbolic link"), std::string::npos) << m;
  }
  EXPECT_EQ(slurp(t.file("elsewhere/victim.png")), "precious");
  EXPECT_EQ(entries(t.path), 5u) << "out, out/sub, out/link.png, elsewhere, elsewhere/victim.png: nothing new";
  fs::create_directory_symlink(t.file("elsewhere"), t.file("out-link"));
  write_files_all_or_nothing(t.file("out-link"), {"new.png"}, [](size_t) { return bytes("n"); }, false);
  EXPECT_EQ(slurp(t.file("elsewhere/new.png")), "n");
}

// What a process killed while writing into a directory left there (its PID gone) is removed by
// the next write into that directory.
TEST(OutputSet, StaleTemporariesOfKilledProcessesAreRemoved) {
  TempDir t;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  fs::create_directories(t.file("d"));
  const std::string stale = ".x.png.tmp-" + std::to_string(child) + "-4";
  std::ofstream(t.file("d/" + stale)) << "partial";
  std::ofstream(t.file(stale)) << "partial";
  write_files_all_or_nothing(t.path.string(), {"a.png", "d/b.png"}, [](size_t) { return bytes("x"); }, false);
  EXPECT_FALSE(fs::exists(t.file(stale)));
  EXPECT_FALSE(fs::exists(t.file("d/" + stale)));
  EXPECT_EQ(entries(t.path), 3u) << "a.png, d, d/b.png";
}

}  // namespace
}  // namespace lbb
