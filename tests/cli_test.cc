// The lbb command line, run as a user would: bad inputs give a one-line error naming the
// file and the problem, and a non-zero exit status.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io_test_util.h"

#ifndef LBB_BINARY
#error "LBB_BINARY must name the lbb executable"
#endif

namespace lbb {
namespace {

namespace fs = std::filesystem;

struct Run {
  int status = 0;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lbb_cli_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Run lbb(const std::string& args) {
    const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    const std::string cmd = std::string(LBB_BINARY) + " " + args + " >" + out + " 2>" + err;
    Run r;
    const int raw = std::system(cmd.c_str());
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  // Expects failure with exactly one line on stderr containing every part.
  void expect_error(const std::string& args, std::initializer_list<std::string> parts) {
    Run r = lbb(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
    EXPECT_EQ(r.err.rfind("lbb: error: ", 0), 0u) << r.err;
    for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "missing `" << p << "` in: " << r.err;
  }

  std::string path(const std::string& name) { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(Cli, MissingInput) {
  expect_error("eval --data " + path("nope.png"), {"nope.png"});
}

TEST_F(Cli, TooManyFashionMnistImages) {
  expect_error("eval --data fmnist:test:20000", {"fmnist:test", "20000"});
  expect_error("train --data fmnist:bogus --out " + path("m.lbbm") + " --steps 1", {"fmnist:bogus"});
}

TEST_F(Cli, SixteenBitPng) {
  std::vector<uint16_t> px(28 * 28, 1000);
  test::write_fixture_png(path("deep.png"), PNG_FORMAT_LINEAR_Y, 28, 28, px.data());
  expect_error("eval --data " + path("deep.png"), {"deep.png", "16-bit"});
}

TEST_F(Cli, MixedSizesInDirectory) {
  fs::create_directories(path("mixed"));
  std::vector<uint8_t> a(28 * 28, 3), b(20 * 20, 3);
  test::write_fixture_png(path("mixed/a.png"), PNG_FORMAT_GRAY, 28, 28, a.data());
  test::write_fixture_png(path("mixed/b.png"), PNG_FORMAT_GRAY, 20, 20, b.data());
  expect_error("eval --data " + path("mixed"), {"b.png"});
}

TEST_F(Cli, ImagesOfAnotherShapeThanTheModel) {
  std::vector<uint8_t> a(20 * 20, 3);
  test::write_fixture_png(path("small.png"), PNG_FORMAT_GRAY, 20, 20, a.data());
  expect_error("eval --data " + path("small.png"), {"20x20", "28x28"});
}

TEST_F(Cli, NotAModelFile) {
  test::write_text(path("fake.lbbm"), "hello");
  expect_error("eval --model " + path("fake.lbbm") + " --data fmnist:test:1", {"fake.lbbm"});
}

TEST_F(Cli, BadConfigNamesFileAndLine) {
  test::write_text(path("bad.cfg"), "image = 1x28x28\nfilters = lots\nflow = checker\n");
  expect_error("train --data fmnist:train:8 --config " + path("bad.cfg") + " --out " +
                   path("m.lbbm") + " --steps 1",
               {"bad.cfg:2", "filters"});
}

TEST_F(Cli, TrainNeedsAStoppingRule) {
  Run r = lbb("train --data fmnist:train:8 --out " + path("m.lbbm"));
  EXPECT_NE(r.status, 0);
  EXPECT_FALSE(fs::exists(path("m.lbbm")));
}

TEST_F(Cli, SampleWritesAPngGrid) {
  Run r = lbb("sample --n 4 --out " + path("grid.png") + " --threads 1");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<uint8_t> bytes = test::read_raw(path("grid.png"));
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes[1], 'P');
}

}  // namespace
}  // namespace lbb
