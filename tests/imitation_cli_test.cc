// The imitate command line, run as a user would: expert training with --json, the same seed
// giving the same policy, eval, one-line errors with a non-zero exit, and a tiny experiment
// grid that resumes after being stopped (two runs side by side repeating a serial grid bit for
// bit), with the figure command on its output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "imitation/policy_file.h"
#include "common/openblas_kernels.h"

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

// Runs `env imitate args` (env: VAR=value ... or empty) with stderr merged into the output.
CliRun run(const std::string& args, const std::string& env = "") {
  CliRun r;
  FILE* p = popen(("env " + env + " " + IMITATE_BINARY + " " + args + " 2>&1").c_str(), "r");
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

// The kernels OpenBLAS reports at each load ("Core: X" with OPENBLAS_VERBOSE=2), in order.
std::vector<std::string> openblas_cores(const std::string& out) {
  std::vector<std::string> cores;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Core: ", 0) == 0) cores.push_back(line.substr(6));
  return cores;
}

// LibTorch loads OpenBLAS before main; where that OpenBLAS does not know the CPU and runs its
// SSE3 kernels, imitate runs itself again with the widest kernels the CPU has. A user's choice
// is kept and costs no second start.
TEST_F(ImitateCli, RunsOpenBlasWidestKernelsUnlessTheUserChose) {
  if (std::getenv("OPENBLAS_CORETYPE")) GTEST_SKIP() << "OPENBLAS_CORETYPE is set for the tests";
  const std::string widest = widest_openblas_kernels();
  const CliRun a = run("--help", "OPENBLAS_VERBOSE=2");
  ASSERT_EQ(a.status, 0) << a.out;
  const std::vector<std::string> cores = openblas_cores(a.out);
  ASSERT_FALSE(cores.empty()) << "LibTorch's OpenBLAS printed no core: " << a.out;
  ASSERT_LE(cores.size(), 2u) << a.out;
  if (!widest.empty()) {
    EXPECT_NE(cores.back(), "Prescott") << a.out;
  }
  if (cores.size() == 2) {  // ran again: only from the fallback, with the widest kernels
    EXPECT_EQ(cores[0], "Prescott") << a.out;
    EXPECT_EQ(cores[1], widest) << a.out;
  }
  if (widest.empty()) return;  // OpenBLAS decides alone
  const CliRun b = run("--help", "OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE=Haswell");
  ASSERT_EQ(b.status, 0) << b.out;
  EXPECT_EQ(openblas_cores(b.out), std::vector<std::string>{"Haswell"}) << b.out;
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

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// run id -> policy hash, from a results file.
std::map<std::string, std::string> hashes(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const std::string& l : lines_of(path)) {
    const size_t a = l.find("\"run\": \""), b = l.find("\"policy_hash\": \"");
    if (a == std::string::npos || b == std::string::npos) continue;
    out[l.substr(a + 8, l.find('"', a + 8) - a - 8)] = l.substr(b + 16, 16);
  }
  return out;
}

TEST_F(ImitateCli, GridResumesAfterStopAndFigureTabulatesIt) {
  const std::string grid = "grid --tasks cartpole --trajectories 1 --seeds 1 --iterations 2 --expert-iterations 3 "
                           "--envs 10 --steps 1000 --eval-episodes 5 --dir ";
  // Stopped after two of the four runs (as a kill between runs would), plus a half-written line.
  const CliRun first = run(grid + path("g") + " --max-runs 2");
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("4 runs, 0 already"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("2/4 "), std::string::npos) << first.out;  // progress lines
  EXPECT_NE(first.out.find("remaining ~"), std::string::npos) << first.out;
  ASSERT_EQ(lines_of(path("g/results.jsonl")).size(), 2u);
  ASSERT_EQ(lines_of(path("g/reference.jsonl")).size(), 1u);
  { std::ofstream(path("g/results.jsonl"), std::ios::app) << "{\"run\": \"cartpole_k1_gail_s1\", \"task\": \"cart"; }
  const CliRun second = run(grid + path("g"));
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_NE(second.out.find("4 runs, 2 already"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("expert cartpole"), std::string::npos) << second.out;  // the expert is reused
  const std::map<std::string, std::string> h = hashes(path("g/results.jsonl"));
  ASSERT_EQ(h.size(), 4u);
  for (const char* algo : {"bc", "fem", "gtal", "gail"}) EXPECT_EQ(h.count(std::string("cartpole_k1_") + algo + "_s1"), 1u);
  // A third invocation has nothing left to do.
  const CliRun third = run(grid + path("g"));
  ASSERT_EQ(third.status, 0) << third.out;
  EXPECT_NE(third.out.find("4 runs, 4 already"), std::string::npos) << third.out;

  // The same grid on one job: every run bit for bit as when two ran side by side.
  const CliRun serial = run(grid + path("s") + " --jobs 1 -q");
  ASSERT_EQ(serial.status, 0) << serial.out;
  EXPECT_EQ(hashes(path("s/results.jsonl")), h);

  const CliRun fig = run("figure --dir " + path("g"));
  ASSERT_EQ(fig.status, 0) << fig.out;
  EXPECT_NE(fig.out.find("| cartpole | gail |"), std::string::npos) << fig.out;
  EXPECT_NE(fig.out.find("Normalized scores"), std::string::npos) << fig.out;
  const std::vector<std::string> csv = lines_of(path("g/figure.csv"));
  ASSERT_EQ(csv.size(), 5u);  // header + 4 algorithms
  EXPECT_EQ(csv[0].rfind("task,algo,trajectories,seeds,return_mean", 0), 0u);
  EXPECT_EQ(csv[1].rfind("cartpole,bc,1,1,", 0), 0u);
  EXPECT_TRUE(fs::exists(path("g/figure.md")));
  EXPECT_TRUE(fs::exists(path("g/figure.gp")));
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    ASSERT_TRUE(fs::exists(path("g/figure.png")));
    std::ifstream png(path("g/figure.png"), std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  }
  const CliRun none = run("figure --dir " + path("missing"));
  EXPECT_NE(none.status, 0);
}

}  // namespace
}  // namespace lbb::imitation
