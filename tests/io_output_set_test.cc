// Writing decompressed images: all or nothing, nothing deleted, no overwrite without asking,
// no path that leaves the output directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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
  const std::vector<std::string> paths = {t.file("a.png"), t.file("sub/deeper/b.png")};
  write_files_all_or_nothing(paths, [](size_t i) { return bytes("file" + std::to_string(i)); }, false);
  EXPECT_EQ(slurp(t.file("a.png")), "file0");
  EXPECT_EQ(slurp(t.file("sub/deeper/b.png")), "file1");
  EXPECT_EQ(slurp(t.file("keep.txt")), "mine");
  EXPECT_EQ(entries(t.path), 5u) << "keep.txt, a.png, sub, sub/deeper, b.png: no temporaries left";
}

TEST(OutputSet, ExistingFileIsKeptWithoutOverwriteAndReplacedWithIt) {
  TempDir t;
  std::ofstream(t.file("a.png")) << "old";
  EXPECT_THROW(check_output_paths({t.file("a.png")}, false), IoError);
  EXPECT_THROW(write_files_all_or_nothing({t.file("new.png"), t.file("a.png")}, [](size_t) { return bytes("x"); },
                                          false),
               IoError);
  EXPECT_EQ(slurp(t.file("a.png")), "old");
  EXPECT_FALSE(fs::exists(t.file("new.png")));
  write_files_all_or_nothing({t.file("a.png")}, [](size_t) { return bytes("new"); }, true);
  EXPECT_EQ(slurp(t.file("a.png")), "new");
  // Overwriting is for files only: a directory in the way is an error, never removed.
  fs::create_directories(t.file("d.png"));
  EXPECT_THROW(check_output_paths({t.file("d.png")}, true), IoError);
  EXPECT_TRUE(fs::is_directory(t.file("d.png")));
}

TEST(OutputSet, AFailureLeavesNothingBehind) {
  TempDir t;
  std::ofstream(t.file("keep.txt")) << "mine";
  const std::vector<std::string> paths = {t.file("x/1.png"), t.file("x/y/2.png"), t.file("3.png")};
  EXPECT_THROW(write_files_all_or_nothing(paths,
                                          [](size_t i) -> std::vector<uint8_t> {
                                            if (i == 2) throw IoError("encoder failed");
                                            return bytes("ok");
                                          },
                                          false),
               IoError);
  EXPECT_EQ(entries(t.path), 1u) << "only keep.txt: no files, temporaries or directories of ours";
  // A parent that is a file: refused before anything is written.
  std::ofstream(t.file("f")) << "a file";
  EXPECT_THROW(write_files_all_or_nothing({t.file("ok.png"), t.file("f/z.png")}, [](size_t) { return bytes("x"); },
                                          false),
               IoError);
  EXPECT_FALSE(fs::exists(t.file("ok.png")));
  EXPECT_THROW(check_output_paths({t.file("a.png"), t.file("./a.png")}, false), IoError) << "same file twice";
}

}  // namespace
}  // namespace lbb
