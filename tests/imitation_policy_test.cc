// Policies (softmax and Gaussian distributions by hand), the observation normalizer, and
// policy files (exact round trip, errors).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "imitation/policy.h"
#include "imitation/policy_file.h"
#include "imitation/rollout.h"
#include "imitation/torch_setup.h"
#include "common/errors.h"

namespace lbb::imitation {
namespace {

torch::Tensor row(std::vector<double> v) { return torch::tensor(v, torch::kFloat64).view({1, -1}); }

TEST(SoftmaxPolicyTest, DistributionFunctionsByHand) {
  Rng rng(0);
  SoftmaxPolicy pi(4, 2, {100, 100}, rng);
  const torch::Tensor p = row({std::log(0.5), std::log(0.5)}), q = row({std::log(0.25), std::log(0.75)});
  // KL(p || q) = 0.5 ln(0.5 / 0.25) + 0.5 ln(0.5 / 0.75) = 0.5 (0.693147 - 0.405465) = 0.143841
  EXPECT_NEAR(pi.kl(p, q).item<double>(), 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-15);
  EXPECT_NEAR(pi.kl(p, q).item<double>(), 0.143841, 1e-6);
  EXPECT_NEAR(pi.kl(q, q).item<double>(), 0.0, 1e-15);
  // H(q) = -(0.25 ln 0.25 + 0.75 ln 0.75) = 0.562335
  EXPECT_NEAR(pi.entropy(q).item<double>(), 0.562335, 1e-6);
  EXPECT_NEAR(pi.log_prob(q, torch::tensor({int64_t{1}})).item<double>(), std::log(0.75), 1e-15);
  EXPECT_EQ(pi.mode(q).item<int64_t>(), 1);
}

TEST(SoftmaxPolicyTest, InitialPolicyIsNearlyUniform) {
  Rng rng(3);
  SoftmaxPolicy pi(4, 2, {100, 100}, rng);
  torch::manual_seed(0);
  const torch::Tensor prob = pi.params(torch::randn({64, 4}, torch::kFloat64)).exp();
  EXPECT_LT((prob - 0.5).abs().max().item<double>(), 0.05);
}

TEST(SoftmaxPolicyTest, SamplingFrequencies) {
  Rng init(0), rng(9);
  SoftmaxPolicy pi(2, 3, {8}, init);
  const torch::Tensor p = row({std::log(0.2), std::log(0.5), std::log(0.3)}).expand({100000, 3}).contiguous();
  const torch::Tensor a = pi.sample(p, rng);
  for (int64_t k = 0; k < 3; ++k) {
    const double f = (a == k).to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(f, std::exp(p[0][k].item<double>()), 0.005) << k;  // 3.5 sigma at n = 1e5
  }
}

TEST(GaussianPolicyTest, DistributionFunctionsByHand) {
  Rng rng(0);
  GaussianPolicy pi(3, 1, {10}, rng);
  // N0 = N(0, 1), N1 = N(1, 2^2): KL = ln 2 + (1 + 1) / (2 * 4) - 1/2 = 0.693147 + 0.25 - 0.5 = 0.443147
  const torch::Tensor n0 = row({0.0, 0.0}), n1 = row({1.0, std::log(2.0)});
  EXPECT_NEAR(pi.kl(n0, n1).item<double>(), std::log(2.0) - 0.25, 1e-15);
  // log N(a = 2; 1, 4) = -1/2 (1/2)^2 - ln 2 - 1/2 ln(2 pi) = -0.125 - 0.693147 - 0.918939
  EXPECT_NEAR(pi.log_prob(n1, row({2.0})).item<double>(), -0.125 - std::log(2.0) - 0.5 * std::log(2 * M_PI), 1e-15);
  // H(N(1, 4)) = ln 2 + 1/2 ln(2 pi e) = 2.112086
  EXPECT_NEAR(pi.entropy(n1).item<double>(), 2.112086, 1e-6);
  // The log-std is one learned vector shared by every state.
  const torch::Tensor params = pi.params(torch::randn({5, 3}, torch::kFloat64));
  EXPECT_EQ(params.size(1), 2);
  EXPECT_TRUE(torch::equal(params.select(1, 1), torch::zeros({5}, torch::kFloat64)));
  EXPECT_EQ(pi.parameters().size(), 5u);  // w0, b0, w1, b1, log_std
}

TEST(ObsNormalizerTest, RunningStatisticsEqualTheConcatenation) {
  torch::manual_seed(2);
  const torch::Tensor a = torch::randn({7, 3}, torch::kFloat64) * 3 + 1;
  const torch::Tensor b = torch::randn({13, 3}, torch::kFloat64) - 2;
  ObsNormalizer n(3);
  EXPECT_TRUE(torch::equal(n.normalize(a), a / std::sqrt(1 + 1e-8)));  // identity before updates
  n.update(a);
  n.update(b);
  const torch::Tensor ab = torch::cat({a, b});
  EXPECT_LT((n.mean() - ab.mean(0)).abs().max().item<double>(), 1e-12);
  EXPECT_LT((n.var() - ab.var(0, false)).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(n.count(), 20);
  const torch::Tensor z = n.normalize(ab);
  EXPECT_LT(z.mean(0).abs().max().item<double>(), 1e-12);
  EXPECT_LT((z.var(0, false) - 1).abs().max().item<double>(), 1e-6);
}

TEST(PolicyFileTest, RoundTripIsExactAndErrorsAreOneLine) {
  use_one_thread();
  Rng rng(5);
  std::shared_ptr<Policy> pi = make_policy(make_env("acrobot")->spec(), rng);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : pi->parameters()) p.add_(torch::randn_like(p));
  }
  pi->normalizer.update(torch::randn({50, 6}, torch::kFloat64) * 2 + 0.5);
  const std::string dir = std::filesystem::temp_directory_path() / ("imitation_policy_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/p.pt";
  save_policy(path, *pi, "acrobot", "test policy");
  const LoadedPolicy lp = load_policy(path);
  EXPECT_EQ(lp.env, "acrobot");
  EXPECT_EQ(lp.info, "test policy");
  const auto a = pi->parameters(), b = lp.policy->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_TRUE(torch::equal(pi->normalizer.mean(), lp.policy->normalizer.mean()));
  EXPECT_TRUE(torch::equal(pi->normalizer.var(), lp.policy->normalizer.var()));
  EXPECT_EQ(evaluate_policy(*pi, "acrobot", 3, 1, false), evaluate_policy(*lp.policy, "acrobot", 3, 1, false));

  // A truncated copy and a foreign file are InputErrors naming the file.
  {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir + "/cut.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    std::ofstream(dir + "/foreign.pt") << "hello";
  }
  for (const std::string& f : {dir + "/cut.pt", dir + "/foreign.pt", dir + "/missing.pt"}) {
    try {
      load_policy(f);
      ADD_FAILURE() << f << " loaded";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(f + ": ", 0), 0u) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lbb::imitation
