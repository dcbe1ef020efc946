// Writers are atomic: success replaces the target whole; failure leaves no file behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/errors.h"
#include "io/file_bytes.h"
#include "io/images.h"
#include "io/tensor_archive.h"
#include "io_test_util.h"

namespace lbb {
namespace {

using test::TempDir;

void expect_io_error(const std::function<void()>& fn, const std::string& path) {
  try {
    fn();
    ADD_FAILURE() << "expected IoError for " << path;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

ImageSet tiny_set() {
  ImageSet set;
  set.n = 1;
  set.c = 1;
  set.h = 2;
  set.w = 2;
  set.pixels = {1, 2, 3, 4};
  set.names = {"tiny"};
  return set;
}

TEST(IoAtomicWrite, ReplacesExistingFile) {
  TempDir dir;
  const std::string path = dir.file("f.bin");
  test::write_text(path, "old contents that are longer");
  write_file_atomic(path, std::vector<uint8_t>{'n', 'e', 'w'});
  EXPECT_EQ(test::read_raw(path), (std::vector<uint8_t>{'n', 'e', 'w'}));
  EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"f.bin"});
}

// What a process killed while writing into the directory leaves (its PID gone) is removed by the
// next write there (f.bin's and g.bin's); a live process's temporary and look-alikes are kept.
TEST(IoAtomicWrite, RemovesTemporariesOfKilledWriters) {
  TempDir dir;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);  // a PID that no longer runs
  const std::string dead = std::to_string(child), live = std::to_string(getppid());
  const std::vector<std::string> stale = {".f.bin.tmp-" + dead + "-0", ".f.bin.tmp-" + dead + "-17",
                                          ".g.bin.tmp-" + dead + "-0"};
  const std::vector<std::string> kept = {".f.bin.tmp-" + live + "-3",
                                         ".f.bin.tmp-" + dead + "-0.keep", ".f.bin.tmp-" + dead, "f.bin.tmp-" + dead + "-1"};
  for (const auto& n : stale) test::write_text(dir.file(n), "partial");
  for (const auto& n : kept) test::write_text(dir.file(n), "mine");
  write_file_atomic(dir.file("f.bin"), std::vector<uint8_t>{'x'});
  std::vector<std::string> expect = kept;
  expect.push_back("f.bin");
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(test::list_dir(dir.path()), expect);
}

TEST(IoAtomicWrite, MissingDirectoryFailsCleanly) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/out.png");
  const ImageSet set = tiny_set();
  expect_io_error([&] { write_png(path, 1, 2, 2, set.pixels.data()); }, path);
  expect_io_error([&] { write_idx(path, set); }, path);
  expect_io_error([&] { write_png_grid(path, set, 1); }, path);
  expect_io_error([&] { save_archive(path, TensorArchive{}); }, path);
  EXPECT_TRUE(test::list_dir(dir.path()).empty());
}

TEST(IoAtomicWrite, FailedRenameRemovesTemporary) {
  TempDir dir;
  // The target is a non-empty directory: the temporary is written, the rename fails.
  const std::string path = dir.file("taken");
  std::filesystem::create_directory(path);
  test::write_text(path + "/keep", "x");
  expect_io_error([&] { write_png(path, 1, 2, 2, tiny_set().pixels.data()); }, path);
  expect_io_error([&] { save_archive(path, TensorArchive{}); }, path);
  EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"taken"});
  EXPECT_EQ(test::list_dir(path), std::vector<std::string>{"keep"});
}

// A target that exists and is not a regular file is never replaced: not a FIFO, not a symbolic
// link (nor what it points to), not a directory; nothing is left behind.
TEST(IoAtomicWrite, NonRegularTargetsAreRefused) {
  TempDir dir;
  const std::string fifo = dir.file("fifo"), link = dir.file("link"), sub = dir.file("sub");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  test::write_text(dir.file("target"), "keep");
  std::filesystem::create_symlink(dir.file("target"), link);
  std::filesystem::create_directory(sub);
  for (const std::string& path : {fifo, link, sub})
    expect_io_error([&] { write_file_atomic(path, std::vector<uint8_t>{'x'}); }, path);
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(test::read_raw(dir.file("target")), (std::vector<uint8_t>{'k', 'e', 'e', 'p'}));
  EXPECT_EQ(test::list_dir(dir.path()), (std::vector<std::string>{"fifo", "link", "sub", "target"}));
}

}  // namespace
}  // namespace lbb
