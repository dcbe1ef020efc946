#include "coding/black_box_coder.h"

#include <stdexcept>

#include "model/discretized.h"
#include "model/linear_ar_gaussian.h"

namespace lbb {

namespace {
constexpr double kStep = 0x1p-12;  // finite-difference step on x̄ ∈ [0, 256)
}

BlackBoxCoder::BlackBoxCoder(const DetFlowModel& model, CodingParams params)
    : noise_coder_(model, params), model_(model), sigma_(params.sigma) {}

std::vector<double> BlackBoxCoder::forward(const std::vector<double>& v, DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, noise_coder_.params().products, noise_coder_.params().activations);
  std::vector<double> y(v.size()), z(v.size());
  model_.preprocess(v.data(), y.data());
  model_.flow_forward(y.data(), z.data(), s);
  return z;
}

std::vector<double> BlackBoxCoder::inverse(const std::vector<double>& z, DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, noise_coder_.params().products, noise_coder_.params().activations);
  std::vector<double> y(z.size()), v(z.size());
  model_.flow_inverse(z.data(), y.data(), s);
  model_.postprocess(y.data(), v.data());
  return v;
}

std::vector<double> BlackBoxCoder::jacobian(const std::vector<double>& v, DetScratch& s) const {
  const size_t d = v.size();
  std::vector<double> jac(d * d), p = v;
  for (size_t j = 0; j < d; ++j) {  // column j: (F(v + h e_j) − F(v − h e_j)) / 2h
    p[j] = v[j] + kStep;
    const std::vector<double> hi = forward(p, s);
    p[j] = v[j] - kStep;
    const std::vector<double> lo = forward(p, s);
    p[j] = v[j];
    for (size_t i = 0; i < d; ++i) jac[i * d + j] = (hi[i] - lo[i]) / (2 * kStep);
  }
  return jac;
}

std::vector<double> BlackBoxCoder::cholesky_of_noise(const std::vector<double>& v, DetScratch& s) const {
  const size_t d = v.size();
  const std::vector<double> jac = jacobian(v, s);
  std::vector<double> gram(d * d), lower(d * d);
  scaled_gram(jac.data(), d, sigma_, gram.data());  // σ² J Jᵀ
  if (!cholesky_lower(gram.data(), d, lower.data()))
    throw std::runtime_error("black-box coder: σ² J Jᵀ is not numerically positive definite");
  return lower;
}

void BlackBoxCoder::encode(Message& m, const uint8_t* image, DetScratch& s) const {
  const int64_t d = model_.dims();
  const GridSpec& data = noise_coder_.data_grid();
  const GridSpec& lat = noise_coder_.latent_grid();
  std::vector<double> img(image, image + d), x_base(d), u, v(d), work(d);
  model_.to_base(img.data(), x_base.data());
  noise_coder_.pop_noise(m, x_base, &u, s);
  for (int64_t i = 0; i < d; ++i) v[i] = x_base[i] + u[i];
  const std::vector<double> mean = forward(v, s), lower = cholesky_of_noise(v, s);
  std::vector<uint64_t> iz(d);
  pop_linear_ar_gaussian(m, iz.data(), mean.data(), lower.data(), d, lat, work.data());
  std::vector<double> z(d);
  for (int64_t i = 0; i < d; ++i) z[i] = lat.value(iz[i]);
  const std::vector<double> back = inverse(z, s);
  for (int64_t i = d; i-- > 0;) push_gaussian(m, data.index_of(v[i]), back[i], sigma_, data);
  for (int64_t i = d; i-- > 0;) push_gaussian(m, iz[i], 0.0, 1.0, lat);
}

void BlackBoxCoder::decode(Message& m, uint8_t* image, DetScratch& s) const {
  const int64_t d = model_.dims();
  const GridSpec& data = noise_coder_.data_grid();
  const GridSpec& lat = noise_coder_.latent_grid();
  std::vector<uint64_t> iz(d);
  std::vector<double> z(d), v(d), work(d);
  for (int64_t i = 0; i < d; ++i) {
    iz[i] = pop_gaussian(m, 0.0, 1.0, lat);
    z[i] = lat.value(iz[i]);
  }
  const std::vector<double> back = inverse(z, s);
  for (int64_t i = 0; i < d; ++i) v[i] = data.value(pop_gaussian(m, back[i], sigma_, data));
  const std::vector<double> mean = forward(v, s), lower = cholesky_of_noise(v, s);
  push_linear_ar_gaussian(m, iz.data(), mean.data(), lower.data(), d, lat, work.data());
  std::vector<double> x_base, u, img(d);
  noise_coder_.split_data(v, &x_base, &u);
  noise_coder_.push_noise(m, x_base, u, s);
  model_.from_base(x_base.data(), img.data());
  for (int64_t i = 0; i < d; ++i) image[i] = static_cast<uint8_t>(img[i]);
}

}  // namespace lbb
