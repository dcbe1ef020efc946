// Algorithm 3.1 of the thesis: local bits-back coding for a flow treated as a black box.
// The whole map F: x̄ ↦ z (logit preprocessing and main flow) is coded as one layer:
//   encode: z̄ ← pop N(F(x̄), σ² J Jᵀ)  (J = ∂F/∂x̄ at x̄, coded one coordinate at a time
//           through the Cholesky factor of σ² J Jᵀ);  push x̄ with N(F⁻¹(z̄), σ² I);
//           push z̄ with N(0, I)
//   decode: the mirror image.
// J is computed by central finite differences of the deterministic evaluator, so encoder
// and decoder get the same bits; the cost is O(D) flow evaluations and O(D³) for the
// Cholesky factorization per image: for small images, tests, and the timing comparison with
// the compositional FlowCoder (thesis Table 3.4). Dequantization as in FlowCoder.
#pragma once

#include <vector>

#include "coding/flow_coder.h"

namespace lbb {

class BlackBoxCoder {
 public:
  BlackBoxCoder(const DetFlowModel& model, CodingParams params);
  void encode(Message& m, const uint8_t* image, DetScratch& scratch) const;
  void decode(Message& m, uint8_t* image, DetScratch& scratch) const;

  // F and its Jacobian (row-major D×D) at x̄ (base layout).
  std::vector<double> forward(const std::vector<double>& v, DetScratch& s) const;
  std::vector<double> jacobian(const std::vector<double>& v, DetScratch& s) const;

 private:
  std::vector<double> inverse(const std::vector<double>& z, DetScratch& s) const;
  std::vector<double> cholesky_of_noise(const std::vector<double>& v, DetScratch& s) const;

  FlowCoder noise_coder_;  // for the dequantization half and the grids
  const DetFlowModel& model_;
  double sigma_;
};

}  // namespace lbb
