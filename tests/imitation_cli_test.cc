// The imitate command line, run as a user would: expert training with --json, the same seed
// giving the same policy, eval, and one-line errors with a non-zero exit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "imitation/policy_file.h"

#ifndef IMITATE_BINARY
#error "IMITATE_BINARY must name the imitate executable"
#endif

namespace lbb::imitation {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = 0;
  std::string out;
};

// Runs `imitate args` with stderr merged into the output.
CliRun run(const std::string& args) {
  CliRun r;
  FILE* p = popen((std::string(IMITATE_BINARY) + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = pclose(p);
  return r;
}

class ImitateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("imitate_cli_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ImitateCli, ExpertIsRepeatableAndEvaluates) {
  const std::string common = "expert --env cartpole --iterations 2 --envs 10 --steps 1000 --seed 5 --eval-episodes 5 --json";
  const CliRun a = run(common + " --out " + path("a.pt"));
  const CliRun b = run(common + " --out " + path("b.pt") + " -q");
  ASSERT_EQ(a.status, 0) << a.out;
  ASSERT_EQ(b.status, 0) << b.out;
  EXPECT_NE(a.out.find("iter    2  steps     2000"), std::string::npos) << a.out;  // progress lines
  EXPECT_NE(b.out.find("\"env_steps\": 2000"), std::string::npos) << b.out;
  // The same seed: the same weights and normalizer, bit for bit.
  const LoadedPolicy pa = load_policy(path("a.pt")), pb = load_policy(path("b.pt"));
  const auto wa = pa.policy->parameters(), wb = pb.policy->parameters();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t k = 0; k < wa.size(); ++k) EXPECT_TRUE(torch::equal(wa[k], wb[k])) << k;
  EXPECT_TRUE(torch::equal(pa.policy->normalizer.var(), pb.policy->normalizer.var()));

  const CliRun e = run("eval " + path("a.pt") + " --episodes 4 --json");
  ASSERT_EQ(e.status, 0) << e.out;
  EXPECT_NE(e.out.find("\"episodes\": 4"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("\"mean_return\": "), std::string::npos) << e.out;
  EXPECT_EQ(run("eval " + path("a.pt") + " --episodes 4 --json").out, e.out);
}

TEST_F(ImitateCli, ErrorsAreOneLineWithNonZeroExit) {
  const CliRun bad_env = run("expert --env pendulum --out " + path("x.pt"));
  EXPECT_NE(bad_env.status, 0);
  EXPECT_NE(bad_env.out.find("imitate: error: unknown environment 'pendulum'"), std::string::npos) << bad_env.out;
  EXPECT_FALSE(fs::exists(path("x.pt")));
  const CliRun missing = run("eval " + path("missing.pt"));
  EXPECT_NE(missing.status, 0);
  EXPECT_EQ(missing.out, "imitate: error: " + path("missing.pt") + ": no such file\n");
  const CliRun steps = run("expert --envs 3 --steps 1000 --out " + path("y.pt"));
  EXPECT_NE(steps.status, 0);
  EXPECT_NE(steps.out.find("--steps must be a multiple of --envs"), std::string::npos) << steps.out;
}

}  // namespace
}  // namespace lbb::imitation
