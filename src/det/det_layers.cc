#include "det/det_layers.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "common/errors.h"
#include "det/det_team.h"
#include "model/det_math.h"

namespace lbb {

namespace {

constexpr double kLogClampMin = -7.0;  // Coupling::mixture_params: log_s.clamp_min(-7)

size_t sz(int64_t n) { return static_cast<size_t>(n); }

}  // namespace

// ---- DetConditionerNet ---------------------------------------------------------------------------

DetConditionerNet::DetConditionerNet(DetTensorSource& src, const std::string& name, int64_t in,
                                     int64_t filters, int64_t out, int64_t blocks, bool attention,
                                     int64_t heads, DetPrecision prec)
    : prec_(prec) {
  if (prec == DetPrecision::kFloat64)
    f64_ = DetConditioner<double>(src, name, in, filters, out, blocks, attention, heads);
  else
    f32_ = DetConditioner<float>(src, name, in, filters, out, blocks, attention, heads);
}

int64_t DetConditionerNet::in() const { return prec_ == DetPrecision::kFloat64 ? f64_.in() : f32_.in(); }
int64_t DetConditionerNet::out() const { return prec_ == DetPrecision::kFloat64 ? f64_.out() : f32_.out(); }

void DetConditionerNet::forward(const double* x, double* y, int64_t h, int64_t w,
                                DetScratch& scratch) const {
  if (prec_ == DetPrecision::kFloat64) {
    f64_.forward(x, y, h, w, scratch);
    return;
  }
  DetScratchFrame frame(scratch);
  const int64_t n = h * w, ni = f32_.in() * n, no = f32_.out() * n;
  float* xf = scratch.take<float>(sz(ni));
  float* yf = scratch.take<float>(sz(no));
  for (int64_t i = 0; i < ni; ++i) xf[i] = static_cast<float>(x[i]);
  f32_.forward(xf, yf, h, w, scratch);
  for (int64_t i = 0; i < no; ++i) y[i] = static_cast<double>(yf[i]);
}

// ---- ActNorm ---------------------------------------------------------------------------------------

DetActNorm::DetActNorm(DetTensorSource& src, const std::string& name, DetShape s, ActNormKind kind)
    : shape(s) {
  const bool per_channel = kind == ActNormKind::kPerChannel;
  const std::vector<int64_t> pshape = per_channel ? std::vector<int64_t>{1, s.c, 1, 1}
                                                  : std::vector<int64_t>{1, s.c, s.h, s.w};
  const int64_t pn = per_channel ? s.c : s.size();
  const std::vector<float> zero(sz(pn), 0.f), one(1, 1.f);
  const std::vector<float> b = src.get(name + ".bias", pshape, &zero, false);
  const std::vector<float> l = src.get(name + ".logs", pshape, &zero, false);
  src.get(name + ".initialized", {}, &one, false);  // value unused (only training reads it)
  const int64_t n = s.size(), hw = s.plane();
  bias.resize(sz(n)), logs.resize(sz(n)), scale.resize(sz(n)), inv_scale.resize(sz(n));
  for (int64_t i = 0; i < n; ++i) {
    const size_t j = sz(per_channel ? i / hw : i);
    bias[sz(i)] = b[j];
    logs[sz(i)] = l[j];
    scale[sz(i)] = det_exp(logs[sz(i)]);
    inv_scale[sz(i)] = det_exp(-logs[sz(i)]);
  }
  // log|det| = logs.sum() · positions, as ActNorm::forward computes it.
  double sum = 0;
  for (int64_t j = 0; j < pn; ++j) sum += static_cast<double>(l[sz(j)]);
  log_det_ = sum * static_cast<double>(per_channel ? hw : 1);
}

void DetActNorm::forward(const double* x, double* y) const {
  const int64_t n = shape.size();
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] + bias[sz(i)]) * scale[sz(i)];
}

void DetActNorm::inverse(const double* y, double* x) const {
  const int64_t n = shape.size();
  for (int64_t i = 0; i < n; ++i) x[i] = y[i] * inv_scale[sz(i)] - bias[sz(i)];
}

// ---- Invertible 1x1 -----------------------------------------------------------------------------

DetInv1x1::DetInv1x1(DetTensorSource& src, const std::string& name, DetShape s) : shape(s), c(s.c) {
  std::vector<float> eye(sz(c * c), 0.f);
  for (int64_t i = 0; i < c; ++i) eye[sz(i * c + i)] = 1.f;
  const std::vector<float> w = src.get(name + ".weight", {c, c}, &eye, false);
  weight.assign(w.begin(), w.end());
  // LU with partial pivoting (first largest |pivot|, rows in order) for log|det W|, and
  // Gauss–Jordan on [W | I] for W⁻¹; all in double, fixed order.
  std::vector<double> a = weight, inv(sz(c * c), 0.0);
  for (int64_t i = 0; i < c; ++i) inv[sz(i * c + i)] = 1.0;
  double lad = 0;
  for (int64_t k = 0; k < c; ++k) {
    int64_t piv = k;
    for (int64_t i = k + 1; i < c; ++i)
      if (std::fabs(a[sz(i * c + k)]) > std::fabs(a[sz(piv * c + k)])) piv = i;
    if (a[sz(piv * c + k)] == 0.0)
      throw InputError(name + ".weight: the invertible 1x1 convolution is singular");
    if (piv != k)
      for (int64_t j = 0; j < c; ++j) {
        std::swap(a[sz(k * c + j)], a[sz(piv * c + j)]);
        std::swap(inv[sz(k * c + j)], inv[sz(piv * c + j)]);
      }
    const double p = a[sz(k * c + k)];
    lad += det_log(std::fabs(p));
    for (int64_t j = 0; j < c; ++j) {
      a[sz(k * c + j)] = a[sz(k * c + j)] / p;
      inv[sz(k * c + j)] = inv[sz(k * c + j)] / p;
    }
    for (int64_t i = 0; i < c; ++i) {
      if (i == k) continue;
      const double f = a[sz(i * c + k)];
      if (f == 0.0) continue;
      for (int64_t j = 0; j < c; ++j) {
        a[sz(i * c + j)] = a[sz(i * c + j)] - f * a[sz(k * c + j)];
        inv[sz(i * c + j)] = inv[sz(i * c + j)] - f * inv[sz(k * c + j)];
      }
    }
  }
  // Eliminating below and above the pivot is Gauss–Jordan; the pivots are those of LU, so
  // Σ log|pivot| = log|det W|.
  log_abs_det = lad;
  weight_inv = std::move(inv);
}

namespace {

// out[r][p] = Σ_j mat[r][j]·in[j][p] for a c×c matrix at each of n pixels, j ascending.
void per_pixel_matmul(const std::vector<double>& mat, int64_t c, int64_t n, const double* in, double* out) {
  for (int64_t r = 0; r < c; ++r) {
    double* out_r = out + r * n;
    for (int64_t p = 0; p < n; ++p) out_r[p] = 0.0;
    for (int64_t j = 0; j < c; ++j) {
      const double w = mat[sz(r * c + j)];
      const double* in_j = in + j * n;
      for (int64_t p = 0; p < n; ++p) out_r[p] += w * in_j[p];
    }
  }
}

}  // namespace

void DetInv1x1::forward(const double* x, double* y) const { per_pixel_matmul(weight, c, shape.plane(), x, y); }

void DetInv1x1::inverse(const double* y, double* x) const { per_pixel_matmul(weight_inv, c, shape.plane(), y, x); }

// ---- coupling -------------------------------------------------------------------------------------

MixtureArrays DetMixtureParams::arrays() const {
  MixtureArrays m;
  m.k = k;
  m.a = a.data(), m.b = b.data(), m.exp_a = exp_a.data(), m.exp_neg_a = exp_neg_a.data();
  m.log_pi = log_pi.data(), m.pi = pi.data(), m.mu = mu.data(), m.log_s = log_s.data(), m.inv_s = inv_s.data();
  return m;
}

MixtureElement DetMixtureParams::element(int64_t i) const { return arrays().element(i); }

DetCoupling::DetCoupling(DetTensorSource& src, const std::string& name, DetShape s, bool checker,
                         int parity, CouplingKind kind_, int components, int64_t ctx_ch,
                         int64_t filters, int64_t blocks, bool attention, int64_t heads,
                         DetPrecision prec)
    : shape(s), kind(kind_), k(kind_ == CouplingKind::kMixture ? components : 0), ctx_channels(ctx_ch) {
  // make_mask(): 1 = keep (pass through and condition on).
  mask.resize(sz(s.size()));
  std::vector<float> mask_f(sz(s.size()));
  for (int64_t ch = 0; ch < s.c; ++ch)
    for (int64_t i = 0; i < s.h; ++i)
      for (int64_t j = 0; j < s.w; ++j) {
        const bool keep = checker ? (i + j) % 2 == parity : (ch < s.c / 2) == (parity == 0);
        const int64_t e = (ch * s.h + i) * s.w + j;
        mask[sz(e)] = keep ? 1 : 0;
        if (!keep) transformed.push_back(e);
        mask_f[sz(e)] = keep ? 1.f : 0.f;
      }
  src.get(name + ".mask", {1, s.c, s.h, s.w}, &mask_f, true);
  const int64_t kk = std::max<int64_t>(k, 1);
  std::vector<float> offsets(sz(kk), 0.f);
  if (k > 1)
    for (int i = 0; i < k; ++i) offsets[sz(i)] = static_cast<float>(-1.5 + 3.0 * i / (k - 1));
  const std::vector<float> mo = src.get(name + ".mu_offset", {1, kk, 1, 1, 1}, &offsets, false);
  mu_offset.assign(mo.begin(), mo.end());
  const std::vector<float> one(sz(s.c), 1.f);
  const std::vector<float> sc = src.get(name + ".scale", {1, s.c, 1, 1}, &one, false);
  scale.assign(sc.begin(), sc.end());
  net_ = DetConditionerNet(src, name + ".net", s.c + 1 + ctx_ch, filters, per_element() * s.c,
                           blocks, attention, heads, prec);
}

std::vector<double> DetCoupling::conditioner_out(const double* x, const double* ctx,
                                                 DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t n = shape.plane(), cn = shape.size();
  const int64_t in_ch = shape.c + 1 + ctx_channels;
  double* in = scratch.take<double>(sz(in_ch * n));
  for (int64_t i = 0; i < cn; ++i) in[i] = x[i] * static_cast<double>(mask[sz(i)]);
  for (int64_t p = 0; p < n; ++p) in[cn + p] = static_cast<double>(mask[sz(p)]);
  if (ctx_channels > 0) {
    if (!ctx) throw std::invalid_argument("DetCoupling: this coupling needs a context");
    std::memcpy(in + cn + n, ctx, sizeof(double) * sz(ctx_channels * n));
  }
  std::vector<double> out(sz(per_element() * cn));
  net_.forward(in, out.data(), shape.h, shape.w, scratch);
  return out;
}

DetMixtureParams DetCoupling::mixture_params(const double* x, const double* ctx,
                                             DetScratch& scratch) const {
  if (kind != CouplingKind::kMixture) throw std::logic_error("mixture_params on an affine coupling");
  const std::vector<double> out = conditioner_out(x, ctx, scratch);
  const int64_t n = shape.plane(), cn = shape.size();
  DetMixtureParams p;
  p.k = k;
  p.n = cn;
  p.a.resize(sz(cn)), p.b.resize(sz(cn)), p.exp_a.resize(sz(cn)), p.exp_neg_a.resize(sz(cn));
  p.log_pi.resize(sz(cn * k)), p.pi.resize(sz(cn * k)), p.mu.resize(sz(cn * k)), p.log_s.resize(sz(cn * k)), p.inv_s.resize(sz(cn * k));
  // out viewed as [2 + 3K][C][H·W]: channel block j at out[j·C·HW + e].
  auto raw = [&](int64_t j, int64_t e) { return out[sz(j * cn + e)]; };
  // The exponentials in array passes (det_exp_array: the same bits as det_exp), each from the
  // arguments `arg` holds at the time: −a, then l − max, then −log s.
  std::vector<double> arg(sz(cn * k));
  det_tanh_array(out.data(), p.a.data(), cn);  // channel block 0
  for (int64_t e = 0; e < cn; ++e) {
    const double a = scale[sz(e / n)] * p.a[sz(e)];
    p.a[sz(e)] = a;
    p.b[sz(e)] = raw(1, e);
    arg[sz(e)] = -a;
  }
  det_exp_array(p.a.data(), p.exp_a.data(), cn);
  det_exp_array(arg.data(), p.exp_neg_a.data(), cn);
  // log_softmax over k: (l − max) − log Σ e^{l − max}.
  std::vector<double> ex(sz(cn * k));
  for (int64_t e = 0; e < cn; ++e) {
    double m = raw(2, e);
    for (int i = 1; i < k; ++i) m = raw(2 + i, e) > m ? raw(2 + i, e) : m;
    for (int i = 0; i < k; ++i) arg[sz(e * k + i)] = raw(2 + i, e) - m;
  }
  det_exp_array(arg.data(), ex.data(), cn * k);
  std::vector<double> log_sum(sz(cn));
  for (int64_t e = 0; e < cn; ++e) {
    double s = 0;
    for (int i = 0; i < k; ++i) s += ex[sz(e * k + i)];
    log_sum[sz(e)] = s;
  }
  det_log_array(log_sum.data(), log_sum.data(), cn);
  for (int64_t e = 0; e < cn; ++e) {
    const double ls = log_sum[sz(e)];
    for (int i = 0; i < k; ++i) {
      const size_t q = sz(e * k + i);
      p.log_pi[q] = arg[q] - ls;
      p.mu[q] = raw(2 + k + i, e) + mu_offset[sz(i)];
      const double l = raw(2 + 2 * k + i, e);
      p.log_s[q] = l < kLogClampMin ? kLogClampMin : l;
    }
  }
  det_exp_array(p.log_pi.data(), p.pi.data(), cn * k);
  for (int64_t q = 0; q < cn * k; ++q) arg[sz(q)] = -p.log_s[sz(q)];
  det_exp_array(arg.data(), p.inv_s.data(), cn * k);
  return p;
}

DetAffineParams DetCoupling::affine_params(const double* x, const double* ctx, DetScratch& scratch) const {
  if (kind != CouplingKind::kAffine) throw std::logic_error("affine_params on a mixture coupling");
  const std::vector<double> out = conditioner_out(x, ctx, scratch);
  const int64_t n = shape.plane(), cn = shape.size();
  DetAffineParams p;
  p.n = cn;
  p.log_scale.resize(sz(cn)), p.shift.resize(sz(cn)), p.exp_ls.resize(sz(cn)), p.exp_neg_ls.resize(sz(cn));
  det_tanh_array(out.data(), p.log_scale.data(), cn);
  for (int64_t e = 0; e < cn; ++e) {
    const double ls = scale[sz(e / n)] * p.log_scale[sz(e)];
    p.log_scale[sz(e)] = ls;
    p.shift[sz(e)] = out[sz(cn + e)];
    p.exp_neg_ls[sz(e)] = -ls;  // the argument, until the array pass below
  }
  det_exp_array(p.log_scale.data(), p.exp_ls.data(), cn);
  det_exp_array(p.exp_neg_ls.data(), p.exp_neg_ls.data(), cn);
  return p;
}

double DetCoupling::forward(const double* x, const double* ctx, double* y, DetScratch& scratch,
                            double* log_deriv) const {
  const int64_t cn = shape.size();
  double sum = 0;
  if (kind == CouplingKind::kMixture) {
    const DetMixtureParams p = mixture_params(x, ctx, scratch);
    const std::vector<int64_t>& coded = transformed;
    std::vector<double> ld(sz(cn), 0.0);
    det_parallel_ranges(scratch.team, static_cast<int64_t>(coded.size()), 16, 64, [&](int64_t b, int64_t e) {
      mixture_forward_array(p.arrays(), coded.data() + b, e - b, x, y, ld.data());
    });
    for (int64_t e = 0; e < cn; ++e) {
      if (mask[sz(e)]) {
        y[e] = x[e];
        if (log_deriv) log_deriv[e] = 0;
        continue;
      }
      if (log_deriv) log_deriv[e] = ld[sz(e)];
      sum += ld[sz(e)];
    }
  } else {
    const DetAffineParams p = affine_params(x, ctx, scratch);
    for (int64_t e = 0; e < cn; ++e) {
      if (mask[sz(e)]) {
        y[e] = x[e];
        if (log_deriv) log_deriv[e] = 0;
        continue;
      }
      y[e] = affine_forward(x[e], p.exp_ls[sz(e)], p.shift[sz(e)]);
      if (log_deriv) log_deriv[e] = p.log_scale[sz(e)];
      sum += p.log_scale[sz(e)];
    }
  }
  return sum;
}

void DetCoupling::inverse(const double* y, const double* ctx, double* x, DetScratch& scratch) const {
  const int64_t cn = shape.size();
  if (kind == CouplingKind::kMixture) {
    const DetMixtureParams p = mixture_params(y, ctx, scratch);
    const std::vector<int64_t>& coded = transformed;
    det_parallel_ranges(scratch.team, static_cast<int64_t>(coded.size()), 16, 16, [&](int64_t b, int64_t e) {
      mixture_inverse_array(p.arrays(), coded.data() + b, e - b, y, x);
    });
    for (int64_t e = 0; e < cn; ++e)
      if (mask[sz(e)]) x[e] = y[e];
  } else {
    const DetAffineParams p = affine_params(y, ctx, scratch);
    for (int64_t e = 0; e < cn; ++e)
      x[e] = mask[sz(e)] ? y[e] : affine_inverse(y[e], p.exp_neg_ls[sz(e)], p.shift[sz(e)]);
  }
}

// ---- factor-out -----------------------------------------------------------------------------------

DetFactorOut::DetFactorOut(DetTensorSource& src, const std::string& name, DetShape s, DetPrecision prec)
    : shape(s), kept(s.c - s.c / 2), prec_(prec) {
  if (prec == DetPrecision::kFloat64)
    prior64_ = DetConv<double>(src, name + ".prior", kept, 2 * (s.c - kept), 3);
  else
    prior32_ = DetConv<float>(src, name + ".prior", kept, 2 * (s.c - kept), 3);
}

void DetFactorOut::prior_params(const double* x1, double* mu, double* log_sigma,
                                DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t n = shape.plane(), n1 = kept * n, n2 = (shape.c - kept) * n;
  double* out = scratch.take<double>(sz(2 * n2));
  if (prec_ == DetPrecision::kFloat64) {
    prior64_.forward(x1, out, shape.h, shape.w, scratch);
  } else {
    float* xf = scratch.take<float>(sz(n1));
    float* of = scratch.take<float>(sz(2 * n2));
    for (int64_t i = 0; i < n1; ++i) xf[i] = static_cast<float>(x1[i]);
    prior32_.forward(xf, of, shape.h, shape.w, scratch);
    for (int64_t i = 0; i < 2 * n2; ++i) out[i] = static_cast<double>(of[i]);
  }
  std::memcpy(mu, out, sizeof(double) * sz(n2));
  std::memcpy(log_sigma, out + n2, sizeof(double) * sz(n2));
}

double DetFactorOut::forward(const double* x, double* x1, double* z2, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t n = shape.plane(), n1 = kept * n, n2 = (shape.c - kept) * n;
  std::memmove(x1, x, sizeof(double) * sz(n1));
  double* mu = scratch.take<double>(sz(n2));
  double* ls = scratch.take<double>(sz(n2));
  prior_params(x1, mu, ls, scratch);
  double sum = 0;
  for (int64_t i = 0; i < n2; ++i) {
    z2[i] = (x[n1 + i] - mu[i]) * det_exp(-ls[i]);
    sum += ls[i];
  }
  return -sum;
}

void DetFactorOut::inverse(const double* x1, const double* z2, double* x, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t n = shape.plane(), n1 = kept * n, n2 = (shape.c - kept) * n;
  double* mu = scratch.take<double>(sz(n2));
  double* ls = scratch.take<double>(sz(n2));
  prior_params(x1, mu, ls, scratch);
  std::memmove(x, x1, sizeof(double) * sz(n1));
  for (int64_t i = 0; i < n2; ++i) x[n1 + i] = z2[i] * det_exp(ls[i]) + mu[i];
}

const char* det_layer_kind_name(DetLayerKind kind) {
  switch (kind) {
    case DetLayerKind::kActNorm: return "actnorm";
    case DetLayerKind::kInv1x1: return "inv1x1";
    case DetLayerKind::kCoupling: return "coupling";
    case DetLayerKind::kSqueeze: return "squeeze";
    case DetLayerKind::kFactorOut: return "factor_out";
  }
  return "?";
}

void det_squeeze(const double* x, DetShape in, double* y) {
  const int64_t h2 = in.h / 2, w2 = in.w / 2;
  for (int64_t c = 0; c < in.c; ++c)
    for (int64_t dy = 0; dy < 2; ++dy)
      for (int64_t dx = 0; dx < 2; ++dx)
        for (int64_t i = 0; i < h2; ++i)
          for (int64_t j = 0; j < w2; ++j)
            y[((c * 4 + dy * 2 + dx) * h2 + i) * w2 + j] = x[(c * in.h + 2 * i + dy) * in.w + 2 * j + dx];
}

void det_unsqueeze(const double* y, DetShape in, double* x) {
  const int64_t h2 = in.h / 2, w2 = in.w / 2;
  for (int64_t c = 0; c < in.c; ++c)
    for (int64_t dy = 0; dy < 2; ++dy)
      for (int64_t dx = 0; dx < 2; ++dx)
        for (int64_t i = 0; i < h2; ++i)
          for (int64_t j = 0; j < w2; ++j)
            x[(c * in.h + 2 * i + dy) * in.w + 2 * j + dx] = y[((c * 4 + dy * 2 + dx) * h2 + i) * w2 + j];
}

}  // namespace lbb
