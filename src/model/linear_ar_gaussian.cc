#include "model/linear_ar_gaussian.h"

#include <cmath>

#include "model/windowed_gaussian.h"

namespace lbb {

namespace {
// mean_j + Σ_{l<j} L_jl·ε_l, summed in increasing l (identical on encoder and decoder).
inline double conditional_mean(const double* mean, const double* lower, size_t d, size_t j,
                               const double* eps) {
  double acc = 0.0;
  const double* row = lower + j * d;
  for (size_t l = 0; l < j; ++l) acc += row[l] * eps[l];
  return mean[j] + acc;
}
}  // namespace

void push_linear_ar_gaussian(Message& m, const uint64_t* index, const double* mean,
                             const double* lower, size_t d, const GridSpec& grid, double* work) {
  for (size_t j = 0; j < d; ++j) {
    const double mu = conditional_mean(mean, lower, d, j, work);
    work[j] = (grid.value(index[j]) - mu) / lower[j * d + j];
  }
  for (size_t j = d; j-- > 0;) {
    const double mu = conditional_mean(mean, lower, d, j, work);
    push_windowed_gaussian(m, index[j], mu, lower[j * d + j], grid);
  }
}

void pop_linear_ar_gaussian(Message& m, uint64_t* index, const double* mean, const double* lower,
                            size_t d, const GridSpec& grid, double* work) {
  for (size_t j = 0; j < d; ++j) {
    const double mu = conditional_mean(mean, lower, d, j, work);
    index[j] = pop_windowed_gaussian(m, mu, lower[j * d + j], grid);
    work[j] = (grid.value(index[j]) - mu) / lower[j * d + j];
  }
}

bool cholesky_lower(const double* a, size_t d, double* lower) {
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = 0; j < d; ++j) lower[i * d + j] = 0.0;
  }
  for (size_t j = 0; j < d; ++j) {
    double diag = a[j * d + j];
    for (size_t k = 0; k < j; ++k) diag -= lower[j * d + k] * lower[j * d + k];
    if (!(diag > 0)) return false;
    const double ljj = std::sqrt(diag);  // sqrt is correctly rounded (IEEE), hence deterministic
    lower[j * d + j] = ljj;
    for (size_t i = j + 1; i < d; ++i) {
      double s = a[i * d + j];
      for (size_t k = 0; k < j; ++k) s -= lower[i * d + k] * lower[j * d + k];
      lower[i * d + j] = s / ljj;
    }
  }
  return true;
}

void scaled_gram(const double* w, size_t d, double sigma, double* out) {
  const double s2 = sigma * sigma;
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = 0; j < d; ++j) {
      double acc = 0.0;
      for (size_t k = 0; k < d; ++k) acc += w[i * d + k] * w[j * d + k];
      out[i * d + j] = s2 * acc;
    }
  }
}

}  // namespace lbb
