// lbb as a careless or hostile user runs it: outputs that are not regular files or that are
// inputs, FIFOs and devices as inputs, symbolic links inside -o, bombs, stdin and stdout, and
// signals during the write phase. Each case: a one-line error, a non-zero exit, nothing
// written, nothing left behind. Nothing here touches a real device: /dev/null is only checked
// to be refused, by its type and number before and after.
#include <gtest/gtest.h>
#include <png.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "io/images.h"
#include "io/tensor_archive.h"
#include "io_test_util.h"

#ifndef LBB_BINARY
#error "LBB_BINARY must name the lbb executable"
#endif

namespace lbb {
namespace {

namespace fs = std::filesystem;

class CliIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lbb_cli_io_test_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "w");
    std::vector<uint8_t> px(6 * 5);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 7);
    test::write_fixture_png(path("b.png"), PNG_FORMAT_GRAY, 6, 5, px.data());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs lbb in dir_/w with `args` (a shell fragment; redirections allowed), stderr captured;
  // stdout captured unless the fragment redirects it. `timeout` guards against a hang.
  int run(const std::string& args, std::string* err = nullptr) {
    const std::string e = (dir_ / "stderr").string();
    const std::string cmd = "cd " + (dir_ / "w").string() + " && timeout 20 " + LBB_BINARY + " " + args + " 2>" + e;
    const int raw = std::system(cmd.c_str());
    if (err != nullptr) *err = test::read_text(e);
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128;
  }

  // Expects failure with one line on stderr holding every part, and the working directory
  // holding exactly `left` afterwards (sorted names).
  void expect_error(const std::string& args, std::initializer_list<std::string> parts,
                    const std::vector<std::string>& left) {
    std::string err;
    const int status = run(args, &err);
    EXPECT_NE(status, 0) << args;
    EXPECT_NE(status, 124) << args << ": timed out";
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << args << "\nstderr: " << err;
    EXPECT_EQ(err.rfind("lbb: error: ", 0), 0u) << err;
    for (const auto& p : parts) EXPECT_NE(err.find(p), std::string::npos) << "missing `" << p << "` in: " << err;
    EXPECT_EQ(test::list_dir(w()), left) << args;
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string w(const std::string& name = "") const { return (dir_ / "w" / name).string(); }
  // An archive of the test image b.png, made once per test in dir_.
  std::string archive() {
    if (!fs::exists(path("b.lbb"))) {
      EXPECT_EQ(run("compress " + path("b.png") + " -o " + path("b.lbb")), 0);
    }
    return path("b.lbb");
  }
  fs::path dir_;
};

TEST_F(CliIo, CompressRefusesOutputsThatAreNotRegularFiles) {
  ASSERT_EQ(mkfifo(w("fifo.lbb").c_str(), 0600), 0);
  fs::create_directory(w("dir.lbb"));
  test::write_text(path("victim"), "precious");
  fs::create_symlink(path("victim"), w("link.lbb"));
  const std::vector<std::string> left = {"dir.lbb", "fifo.lbb", "link.lbb"};
  for (const std::string force : {"", " -f"}) {
    for (const std::string target : {"fifo.lbb", "dir.lbb", "link.lbb"})
      expect_error("compress " + path("b.png") + " -o " + target + force, {target, "not a regular file"}, left);
    struct stat before, after;
    ASSERT_EQ(stat("/dev/null", &before), 0);
    expect_error("compress " + path("b.png") + " -o /dev/null" + force, {"/dev/null", "not a regular file"}, left);
    ASSERT_EQ(stat("/dev/null", &after), 0);
    EXPECT_TRUE(S_ISCHR(after.st_mode));
    EXPECT_EQ(before.st_rdev, after.st_rdev);
  }
  EXPECT_EQ(test::read_text(path("victim")), "precious");
  EXPECT_TRUE(fs::is_fifo(w("fifo.lbb")));
}

TEST_F(CliIo, AnOutputThatIsAnInputIsRefusedEvenWithForce) {
  fs::copy_file(path("b.png"), w("b.png"));
  fs::create_hard_link(w("b.png"), w("same.png"));
  const std::string before = test::read_text(w("b.png"));
  for (const std::string force : {"", " -f"}) {
    expect_error("compress b.png -o b.png" + force, {"b.png"}, {"b.png", "same.png"});
    expect_error("compress b.png -o same.png" + force, {"same.png"}, {"b.png", "same.png"});
  }
  fs::create_directory(w("d"));
  fs::rename(w("same.png"), w("d/same.png"));
  expect_error("compress d -o d/same.png -f", {"d/same.png", "is also an input"}, {"b.png", "d"});
  EXPECT_EQ(test::read_text(w("b.png")), before);
  // decompress -o X.idx: the archive itself is never the output.
  fs::copy_file(archive(), w("a.idx"));
  expect_error("decompress a.idx -o a.idx -f", {"a.idx", "is also an input"}, {"a.idx", "b.png", "d"});
}

TEST_F(CliIo, FifosDevicesAndOddDirectoryEntriesAsInputsFailAtOnce) {
  ASSERT_EQ(mkfifo(w("pipe.png").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  expect_error("compress pipe.png -o x.lbb", {"pipe.png", "not a regular file"}, {"pipe.png"});
  expect_error("compress /dev/zero -o x.lbb", {"/dev/zero", "not a regular file"}, {"pipe.png"});
  expect_error("decompress pipe.png -o out", {"pipe.png", "not a regular file"}, {"pipe.png"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  fs::remove(w("pipe.png"));
  fs::create_directories(w("in/sub"));
  fs::copy_file(path("b.png"), w("in/b.png"));
  fs::create_symlink(w("in/nothing.png"), w("in/sub/dangling.png"));
  expect_error("compress in -o x.lbb", {"in/sub/dangling.png", "broken symbolic link"}, {"in"});
  fs::remove(w("in/sub/dangling.png"));
  ASSERT_EQ(mkfifo(w("in/sub/f.png").c_str(), 0600), 0);
  expect_error("compress in -o x.lbb", {"in/sub/f.png", "not a regular file"}, {"in"});
}

TEST_F(CliIo, DecompressNeverFollowsALinkInsideTheOutputDirectory) {
  fs::create_directories(path("src/sub"));
  fs::copy_file(path("b.png"), path("src/sub/b.png"));
  fs::copy_file(path("b.png"), path("src/top.png"));
  ASSERT_EQ(run("compress " + path("src") + " -o " + path("d.lbb")), 0);
  fs::create_directories(path("elsewhere"));
  fs::create_directories(w("out"));
  fs::create_directory_symlink(path("elsewhere"), w("out/src"));
  for (const std::string force : {"", " -f"})
    expect_error("decompress " + path("d.lbb") + " -o out" + force, {"out/src", "symbolic link"}, {"out"});
  EXPECT_TRUE(fs::is_empty(path("elsewhere")));
  EXPECT_EQ(test::list_dir(w("out")), std::vector<std::string>{"src"});
  // -o itself may be a link to a directory.
  fs::create_directory_symlink(path("elsewhere"), w("via"));
  ASSERT_EQ(run("decompress " + path("d.lbb") + " -o via"), 0);
  EXPECT_EQ(test::read_text(path("elsewhere/src/top.png")).empty(), false);
  // An IDX output that is a FIFO is refused, with or without -f, and never opened.
  ASSERT_EQ(mkfifo(w("o.idx").c_str(), 0600), 0);
  expect_error("decompress " + archive() + " -o o.idx -f", {"o.idx", "not a regular file"}, {"o.idx", "out", "via"});
}

TEST_F(CliIo, StdinAndStdoutRoundTrip) {
  ASSERT_EQ(run("compress - < " + path("b.png") + " > s.lbb"), 0);
  ASSERT_EQ(run("decompress - -c < s.lbb > back.png"), 0);
  const std::vector<ImageItem> a = load_image_items({path("b.png")}), b = load_image_items({w("back.png")});
  EXPECT_EQ(a[0].pixels, b[0].pixels);
  ASSERT_EQ(run("compress " + path("b.png") + " -o - > t.lbb"), 0);
  ASSERT_EQ(run("decompress t.lbb -o - > t.png"), 0);
  EXPECT_EQ(load_image_items({w("t.png")})[0].pixels, a[0].pixels);
  ASSERT_EQ(run("decompress s.lbb -o out"), 0);
  EXPECT_TRUE(fs::exists(w("out/stdin.png")));
  const std::vector<std::string> left = {"back.png", "out", "s.lbb", "t.lbb", "t.png"};
  expect_error("compress - < /dev/zero > z.lbb", {"-", "not a PNG or PNM"}, {"back.png", "out", "s.lbb", "t.lbb", "t.png", "z.lbb"});
  fs::remove(w("z.lbb"));
  expect_error("decompress - -c < " + path("b.png") + " > /dev/null", {"-", "not an lbb file"}, left);
  // -c writes a one-image file only.
  fs::copy_file(path("b.png"), path("c.png"));
  ASSERT_EQ(run("compress " + path("b.png") + " " + path("c.png") + " -o two.lbb"), 0);
  expect_error("decompress two.lbb -c > /dev/null", {"two.lbb", "2 images"},
               {"back.png", "out", "s.lbb", "t.lbb", "t.png", "two.lbb"});
}

TEST_F(CliIo, PngAndGzipBombsFailFast) {
  // A PNG whose IHDR declares 32768x32768 grey, with an empty IDAT.
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                              0, 0, 0x80, 0, 0, 0, 0x80, 0, 8, 0, 0, 0, 0};
  const uint32_t crc = static_cast<uint32_t>(crc32(0, png.data() + 12, 17));
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<uint8_t>(crc >> s));
  png.insert(png.end(), {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xaf, 0x06, 0x1e});  // empty IDAT, its CRC
  test::write_raw(w("bomb.png"), png);
  const auto start = std::chrono::steady_clock::now();
  expect_error("compress bomb.png -o x.lbb", {"bomb.png", "32768x32768"}, {"bomb.png"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// SIGTERM in decompress's write phase: the process dies of it, and leaves no temporary, no
// image and no directory of its own behind.
TEST_F(CliIo, SigtermDuringTheWritePhaseLeavesNothing) {
  // 3000 constant 28x28 images in one IDX file: a cheap archive whose decompression writes
  // 3000 files (a write phase of ~0.2 s).
  std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0x0b, 0xb8, 0, 0, 0, 28, 0, 0, 0, 28};
  for (int i = 0; i < 3000; ++i) idx.insert(idx.end(), 784, static_cast<uint8_t>(i % 251));
  test::write_raw(path("c.idx"), idx);
  ASSERT_EQ(run("compress " + path("c.idx") + " -o " + path("c.lbb")), 0);
  for (const bool existing : {false, true}) {
    if (existing) fs::create_directory(w("out"));
    const pid_t child = fork();
    if (child == 0) {
      if (chdir(w().c_str()) != 0) _exit(99);
      execl(LBB_BINARY, LBB_BINARY, "decompress", path("c.lbb").c_str(), "-o", "out", static_cast<char*>(nullptr));
      _exit(98);
    }
    ASSERT_GT(child, 0);
    // Wait for the write phase: the directory made, or a first temporary in the existing one.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::error_code ec;
    while (std::chrono::steady_clock::now() < deadline &&
           !(existing ? fs::exists(w("out")) && !fs::is_empty(w("out"), ec) : fs::exists(w("out"))))
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    kill(child, SIGTERM);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "finished before the signal (status " << status << ")";
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    if (existing) {
      EXPECT_EQ(test::list_dir(w("out")), std::vector<std::string>{}) << "temporaries or images left";
      fs::remove(w("out"));
    } else {
      EXPECT_FALSE(fs::exists(w("out"))) << "the directory it made, or files in it, left";
    }
    EXPECT_EQ(test::list_dir(w()), std::vector<std::string>{});
  }
}

// The model a file names is the whole model file (config and weights, container version 9):
// a copy with one config value changed is another model. Version 8 ids cover the weights
// alone: decompress tries every model of that id until one decodes the file. Compress and
// decompress skip unusable files found in directories (with a warning) and fail on a model
// named by LBB_MODEL that cannot be loaded.
TEST_F(CliIo, ModelIdentityAndLookup) {
  const std::string src = LBB_SOURCE_DIR;
  fs::create_directories(path("models"));
  TensorArchive altered = load_archive(src + "/tests/data/golden_model.lbbm");
  std::string& config = altered.meta.at("config");
  const size_t at = config.find("logit_alpha = 0.05");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 18, "logit_alpha = 0.06");
  save_archive(path("models/a_altered.lbbm"), altered);  // found first (sorted by name)
  fs::copy_file(src + "/tests/data/golden_model.lbbm", path("models/b_golden.lbbm"));
  std::ofstream(path("models/c_broken.lbbm")) << "not a model";
  setenv("LBB_MODEL_PATH", path("models").c_str(), 1);
  std::string err;
  // Version 8: the altered model has the id too, fails to decode, and the golden one is tried.
  EXPECT_EQ(run("decompress " + src + "/tests/data/golden_v8.lbb -o v8", &err), 0) << err;
  EXPECT_NE(err.find("c_broken.lbbm: not a tensor archive"), std::string::npos) << err;
  EXPECT_NE(err.find("(skipped)"), std::string::npos) << err;
  // Version 9: only the golden model has the file's id.
  EXPECT_EQ(run("decompress " + src + "/tests/data/golden.lbb -o v9", &err), 0) << err;
  EXPECT_EQ(run("compress " + path("b.png") + " --model " + path("models/a_altered.lbbm") + " -o alt.lbb", &err), 0)
      << err;
  EXPECT_EQ(run("decompress alt.lbb -o alt", &err), 0) << err;
  fs::remove(path("models/a_altered.lbbm"));
  EXPECT_NE(run("decompress alt.lbb -o alt2", &err), 0);
  EXPECT_NE(err.find("alt.lbb: made with model id "), std::string::npos) << err;
  // A model named by LBB_MODEL must load, for compress and decompress alike.
  setenv("LBB_MODEL", path("missing.lbbm").c_str(), 1);
  EXPECT_NE(run("compress " + path("b.png") + " -o m.lbb", &err), 0);
  EXPECT_NE(err.find("missing.lbbm: cannot open"), std::string::npos) << err;
  EXPECT_NE(run("decompress " + src + "/tests/data/golden.lbb -o m", &err), 0);
  EXPECT_NE(err.find("missing.lbbm: cannot open"), std::string::npos) << err;
  unsetenv("LBB_MODEL");
  unsetenv("LBB_MODEL_PATH");
  EXPECT_FALSE(fs::exists(w("m.lbb")));
  EXPECT_FALSE(fs::exists(w("m")));
}

TEST_F(CliIo, NumericOptionsOutOfRangeAreOneLineUsageErrors) {
  const std::string in = path("b.png");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"compress " + in + " -o x.lbb --threads 10000", "--threads: 10000 is not an integer in [0, "},
      {"compress " + in + " -o x.lbb --threads -1", "--threads: -1 is not an integer in [0, "},
      {"compress " + in + " -o x.lbb --sigma nan", "--sigma: nan is not in [1e-12, 0.5]"},
      {"compress " + in + " -o x.lbb --sigma 0.6", "--sigma: 0.6 is not in [1e-12, 0.5]"},
      {"compress " + in + " -o x.lbb --precision 41", "--precision: 41 is not an integer in [8, 40]"},
      {"compress " + in + " -o x.lbb --streams 1.5", "--streams: 1.5 is not an integer in [0, 1048576]"},
      {"decompress " + archive() + " -o out --threads 1e9", "--threads: 1e9 is not an integer in [0, "},
      {"retile --model m.lbbm --tile 257 -o r.lbbm", "--tile: 257 is not an integer in [1, 256]"},
  };
  for (const auto& [args, message] : cases) {
    std::string err;
    EXPECT_EQ(run(args, &err), 2) << args;
    EXPECT_EQ(err.rfind("lbb: error: " + message, 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_TRUE(test::list_dir(w()).empty()) << args;
  }
}

}  // namespace
}  // namespace lbb
