// Linear autoregressive Gaussian: codes y ~ N(mean, L·Lᵀ) on a grid one coordinate at a time
// (thesis §3.5.4.1, Algorithm 3.1 lines 3 and 11).  With L lower triangular (e.g. the Cholesky
// factor of σ²·J·Jᵀ) and ε = L⁻¹(y − mean) found by forward substitution,
//     y_j | y_<j  ~  N( mean_j + Σ_{l<j} L_jl·ε_l ,  L_jj² ),
//     ε_l = (y_l − mean_l − Σ_{k<l} L_lk·ε_k) / L_ll ,
// which equals the thesis' N(ỹ_i; −L_ii Σ_{j<i}(L⁻¹)_ij ỹ_j, L_ii²) written for y − mean.  y_l are
// the grid values of the already coded coordinates, so encoder and decoder compute the same
// conditional means (fixed summation order l = 0, 1, …).
//
// Layout: mean[d]; L row-major d×d, only the lower triangle (incl. diagonal) is read; the
// diagonal should be > 0 (non-positive/NaN values are clamped by the Gaussian model, D1).
// work: caller-provided scratch of d doubles (no heap allocation on the coding path).
// Coordinates are pushed in the order d−1, …, 0 so that pop yields 0, 1, …, d−1.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ans/message.h"
#include "model/grid.h"

namespace lbb {

void push_linear_ar_gaussian(Message& m, const uint64_t* index, const double* mean,
                             const double* lower, size_t d, const GridSpec& grid, double* work);
void pop_linear_ar_gaussian(Message& m, uint64_t* index, const double* mean, const double* lower,
                            size_t d, const GridSpec& grid, double* work);

// Deterministic Cholesky factorisation A = L·Lᵀ of a symmetric positive definite d×d matrix
// (row-major; the lower triangle of A is read; the strict upper triangle of L is set to 0).
// Returns false (L unspecified) if A is not numerically positive definite.
bool cholesky_lower(const double* a, size_t d, double* lower);

// out = σ²·W·Wᵀ (row-major d×d), fixed summation order.
void scaled_gram(const double* w, size_t d, double sigma, double* out);

}  // namespace lbb
