#include "det/det_elementwise.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "det/det_lanes.h"
#include "model/det_math.h"

namespace lbb {

// ---- logit preprocessing and sigmoid -----------------------------------------------------

double logit_pre_forward(double v, double alpha, double* log_deriv) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  const double p = alpha + scale * v;
  const double log_p = det_log(p), log_1mp = det_log1p(-p);
  if (log_deriv) *log_deriv = det_log(scale) - log_p - log_1mp;
  return log_p - log_1mp;
}

namespace {
// log_p[i] = det_log(p[i]) and log_1mp[i] = det_log1p(−p[i]) for i < n, in array passes (the
// logit's two logarithms). log_p may be p.
void logit_logs(const double* p, double* log_p, double* log_1mp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) log_1mp[i] = -p[i];
  det_log_array(p, log_p, n);
  det_log1p_array(log_1mp, log_1mp, n);
}
}  // namespace

void logit_pre_forward_array(const double* v, double alpha, double* y, double* log_deriv, int64_t n) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  const double log_scale = det_log(scale);
  std::vector<double> log_p(static_cast<size_t>(n)), log_1mp(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) log_p[static_cast<size_t>(i)] = alpha + scale * v[i];  // p
  logit_logs(log_p.data(), log_p.data(), log_1mp.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double lp = log_p[static_cast<size_t>(i)], l1 = log_1mp[static_cast<size_t>(i)];
    if (log_deriv) log_deriv[i] = log_scale - lp - l1;
    y[i] = lp - l1;
  }
}

void logit_pre_inverse_array(const double* y, double alpha, double* v, int64_t n) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  det_sigmoid_array(y, v, n);
  for (int64_t i = 0; i < n; ++i) v[i] = (v[i] - alpha) / scale;
}

double logit_pre_inverse(double y, double alpha) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  return (det_sigmoid(y) - alpha) / scale;
}

double sigmoid_forward(double t, double* log_deriv) {
  if (log_deriv) {
    const double at = t < 0 ? -t : t;
    const double l = det_log1p(det_exp(-at));
    *log_deriv = ((t < 0 ? t : 0.0) - l) + ((t > 0 ? -t : 0.0) - l);
  }
  return det_sigmoid(t);
}

double sigmoid_inverse(double u) { return det_log(u) - det_log1p(-u); }

void sigmoid_forward_array(const double* t, double* u, double* log_deriv, int64_t n) {
  if (log_deriv) {
    std::vector<double> l(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) l[static_cast<size_t>(i)] = t[i] < 0 ? t[i] : -t[i];  // −|t|
    det_exp_array(l.data(), l.data(), n);
    det_log1p_array(l.data(), l.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double li = l[static_cast<size_t>(i)];
      log_deriv[i] = ((t[i] < 0 ? t[i] : 0.0) - li) + ((t[i] > 0 ? -t[i] : 0.0) - li);
    }
  }
  det_sigmoid_array(t, u, n);
}

void sigmoid_inverse_array(const double* u, double* t, double* log_deriv, int64_t n) {
  std::vector<double> log_u(static_cast<size_t>(n)), log_1mu(static_cast<size_t>(n));
  logit_logs(u, log_u.data(), log_1mu.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double lu = log_u[static_cast<size_t>(i)], l1 = log_1mu[static_cast<size_t>(i)];
    if (log_deriv) log_deriv[i] = -(lu + l1);
    t[i] = lu - l1;
  }
}

}  // namespace lbb
