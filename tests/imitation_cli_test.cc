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

  // Two shards into separate directories: together the runs of the single grid, bit for bit,
  // and the figure of the merged directories tabulates the same cells.
  for (const char* sh : {"1/2", "2/2"}) {
    const CliRun part = run(grid + path(std::string("shard") + sh[0]) + " --jobs 1 -q --shard " + sh);
    ASSERT_EQ(part.status, 0) << part.out;
  }
  std::map<std::string, std::string> merged = hashes(path("shard1/results.jsonl"));
  EXPECT_EQ(merged.size(), 2u);
  for (const auto& kv : hashes(path("shard2/results.jsonl"))) merged.insert(kv);
  EXPECT_EQ(merged, h);
  const CliRun merged_fig = run("figure --no-plot --dir " + path("shard1") + " --dir " + path("shard2") + " -o " +
                                path("merged"));
  ASSERT_EQ(merged_fig.status, 0) << merged_fig.out;
  EXPECT_EQ(lines_of(path("merged.csv")), csv);
  EXPECT_NE(run(grid + path("x") + " --shard 3/2").status, 0);
}

// The value of "key": "..." in a JSON line (empty if absent).
std::string string_field(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\": \"";
  const size_t at = json.find(k);
  if (at == std::string::npos) return "";
  return json.substr(at + k.size(), json.find('"', at + k.size()) - at - k.size());
}

// A MuJoCo expert run killed after its second iteration and resumed ends with the policy of a
// run never stopped; its rollouts replay exactly; a tiny MuJoCo grid runs end to end.
TEST_F(ImitateCli, MujocoExpertResumesRollsOutAndReplays) {
  const std::string common = "expert --env reacher --envs 4 --batch-steps 200 --seed 2 --eval-episodes 3 --json -q";
  const CliRun straight = run(common + " --iterations 3 --out " + path("straight.pt"));
  ASSERT_EQ(straight.status, 0) << straight.out;
  ASSERT_EQ(run(common + " --iterations 2 --out " + path("cut.pt")).status, 0);
  ASSERT_TRUE(fs::exists(path("cut.pt.ckpt")));
  const CliRun resumed = run(common + " --iterations 3 --resume --out " + path("cut.pt"));
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_FALSE(string_field(straight.out, "policy_hash").empty());
  EXPECT_EQ(string_field(resumed.out, "policy_hash"), string_field(straight.out, "policy_hash"));
  // A checkpoint of other options is refused.
  const CliRun other = run("expert --env reacher --envs 4 --batch-steps 300 --seed 2 --iterations 3 --resume -q --out " +
                           path("cut.pt"));
  EXPECT_NE(other.status, 0);
  EXPECT_NE(other.out.find("checkpoint of another run"), std::string::npos) << other.out;

  // GAIL and GTAL with checkpoints: 2 iterations, then resumed to 3, equal 3 straight (the
  // discriminator's Adam moments and the cost weights are restored too; GTAL at a fixed rate, as
  // its default rate depends on the number of iterations).
  ASSERT_EQ(run("demos --expert " + path("straight.pt") + " --trajectories 2 --seed 1 --out " + path("d.pt")).status, 0);
  for (const std::string algo : {"gail", "gtal"}) {
    const std::string train = "train --algo " + algo + " --demos " + path("d.pt") +
                              " --envs 4 --batch-steps 200 --seed 3 --eval-episodes 2 --json -q --mw-rate 0.3";
    const CliRun whole = run(train + " --iterations 3 --out " + path("w_" + algo + ".pt"));
    ASSERT_EQ(whole.status, 0) << whole.out;
    ASSERT_EQ(run(train + " --iterations 2 --out " + path("p_" + algo + ".pt")).status, 0);
    const CliRun cont = run(train + " --iterations 3 --resume --out " + path("p_" + algo + ".pt"));
    ASSERT_EQ(cont.status, 0) << cont.out;
    EXPECT_EQ(string_field(cont.out, "policy_hash"), string_field(whole.out, "policy_hash")) << algo;
  }

  const CliRun rollout = run("rollout --policy " + path("straight.pt") + " --episodes 2 --out " + path("t.jsonl"));
  ASSERT_EQ(rollout.status, 0) << rollout.out;
  std::ifstream in(path("t.jsonl"));
  std::string line;
  int64_t lines = 0;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 1 + 2 * (50 + 1));  // header, 50 steps and an episode line per episode
  const CliRun replay = run("replay --json " + path("t.jsonl"));
  ASSERT_EQ(replay.status, 0) << replay.out;
  EXPECT_NE(replay.out.find("\"max_reward_difference\": 0,"), std::string::npos) << replay.out;
  // A classic task has no simulator state to record.
  ASSERT_EQ(run("expert --env cartpole --iterations 1 --envs 5 --steps 100 --eval-episodes 0 -q --out " + path("c.pt")).status, 0);
  const CliRun classic = run("rollout --policy " + path("c.pt") + " --out " + path("c.jsonl"));
  EXPECT_NE(classic.status, 0);
  EXPECT_FALSE(fs::exists(path("c.jsonl")));

  const CliRun grid = run("grid --dir " + path("g") + " --tasks reacher --trajectories 4 --algos bc,gail --seeds 1 "
                          "--expert-iterations 2 --iterations 2 --batch-steps 200 --envs 4 --bc-steps 50 "
                          "--eval-episodes 3 -q");
  ASSERT_EQ(grid.status, 0) << grid.out;
  std::ifstream results(path("g/results.jsonl"));
  int64_t runs = 0;
  while (std::getline(results, line)) ++runs;
  EXPECT_EQ(runs, 1 + 3);  // BC with --seeds 1, GAIL with Reacher's 3 seeds
}

}  // namespace
}  // namespace lbb::imitation
