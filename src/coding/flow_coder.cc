#include "coding/flow_coder.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "coding/local_bits_back.h"

namespace lbb {

using namespace flow_coding;  // local_bits_back.h

FlowCoder::FlowCoder(const DetFlowModel& model, CodingParams params) : model_(model), params_(params) {
  check_float_environment();
  const int k = params.precision_bits;
  if (k < 8 || k > 40)
    throw std::invalid_argument("precision must be between 8 and 40 bits, got " + std::to_string(k));
  if (!(params.sigma > 0 && params.sigma < 1))
    throw std::invalid_argument("sigma must lie in (0, 1), got " + std::to_string(params.sigma));
  data_grid_ = GridSpec{0.0, k, uint64_t{256} << k};
  noise_grid_ = GridSpec{0.0, k, uint64_t{1} << k};
  latent_grid_ = GridSpec{-det_pow2(kLatentRangeBits), k, uint64_t{1} << (kLatentRangeBits + 1 + k)};
  // Algorithm 3.1 on C×C blocks: y ~ N(W x, σ² W Wᵀ) with the Cholesky factor of σ² W Wᵀ.
  const auto& layers = model.layers();
  for (size_t li = 0; li < layers.size(); ++li) {
    const DetLayer& layer = layers[li];
    Inv1x1Factor f;
    if (layer.kind == DetLayerKind::kInv1x1) {
      const DetInv1x1& l = *layer.inv1x1;
      std::vector<double> gram(l.c * l.c);
      f.lower.resize(l.c * l.c);
      scaled_gram(l.weight.data(), l.c, params.sigma, gram.data());
      if (!cholesky_lower(gram.data(), l.c, f.lower.data()))
        throw std::invalid_argument(layer.name + ": 1x1 convolution is numerically singular");
      if (params.fold_actnorm && li > 0 && layers[li - 1].kind == DetLayerKind::kActNorm &&
          layers[li - 1].out.size() == layer.in.size())
        f.folded = layers[li - 1].actnorm.get();
    }
    inv1x1_.push_back(std::move(f));
  }
}

bool FlowCoder::folded_into_next(size_t li) const {
  return li + 1 < inv1x1_.size() && inv1x1_[li + 1].folded != nullptr;
}

// ---- dequantization (Algorithm 3.4) ------------------------------------------------------------

void FlowCoder::pop_noise(Message& m, const std::vector<double>& x_base, std::vector<double>* u,
                          DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, params_.products, params_.activations);
  const DetTimer timer(s.profile, DetPart::kOtherLayers);
  const int64_t d = model_.dims();
  u->assign(d, 0.0);
  const DetDequantizer* q = model_.dequantizer();
  if (!q) {  // uniform dequantization: ū is k fresh bits per coordinate
    const UniformModel uniform(noise_grid_.nbins);
    for (int64_t i = 0; i < d; ++i) (*u)[i] = noise_grid_.value(pop_symbol(m, uniform));
    return;
  }
  const std::vector<double> ctx = dequantizer_context(*q, x_base, s);
  // Decode path of the flow u → ε (sigmoid⁻¹, then the couplings' inverses): ε first.
  std::vector<double> t(d), prev(d);
  pop_standard_normal(s, m, t.data(), d, latent_grid_);
  const double sigma = params_.sigma;
  const int64_t run = params_.coding_run;  // elements per run of pops, then pushes
  for (const DetCoupling& c : q->couplings) {  // t_{i-1} → t_i = T_i(t_{i-1}) with noise
    prev.swap(t);
    const DetTimer coupling_timer(s.profile, DetPart::kCouplingTransform);
    with_coupling_fn(c, prev.data(), ctx.data(), s, params_, [&](const auto& fn) {
      decode_elementwise(s, m, prev.data(), t.data(), d, c.mask.data(), latent_grid_, latent_grid_, sigma, run,
                         InverseOf<std::decay_t<decltype(fn)>>{fn});
    });
  }
  decode_elementwise(s, m, t.data(), u->data(), d, nullptr, noise_grid_, latent_grid_, sigma, run, LogitFn{});
}

void FlowCoder::push_noise(Message& m, const std::vector<double>& x_base, const std::vector<double>& u,
                           DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, params_.products, params_.activations);
  const DetTimer timer(s.profile, DetPart::kOtherLayers);
  const int64_t d = model_.dims();
  const DetDequantizer* q = model_.dequantizer();
  if (!q) {
    const UniformModel uniform(noise_grid_.nbins);
    for (int64_t i = d; i-- > 0;) push_symbol(m, uniform, noise_grid_.index_of(u[i]));
    return;
  }
  const std::vector<double> ctx = dequantizer_context(*q, x_base, s);
  std::vector<double> t(d), prev(d);
  const double sigma = params_.sigma;
  const int64_t run = params_.coding_run;  // elements per run of pops, then pushes
  encode_elementwise(s, m, u.data(), t.data(), d, nullptr, noise_grid_, latent_grid_, sigma, run, LogitFn{});
  for (size_t i = q->couplings.size(); i-- > 0;) {
    const DetCoupling& c = q->couplings[i];
    const DetTimer coupling_timer(s.profile, DetPart::kCouplingTransform);
    with_coupling_fn(c, t.data(), ctx.data(), s, params_, [&](const auto& fn) {
      encode_elementwise(s, m, t.data(), prev.data(), d, c.mask.data(), latent_grid_, latent_grid_, sigma, run,
                         InverseOf<std::decay_t<decltype(fn)>>{fn});
    });
    t.swap(prev);
  }
  push_standard_normal(s, m, t.data(), d, latent_grid_);
}

// ---- the main flow (compositional algorithm, §3.5.4.3) ------------------------------------------

void FlowCoder::encode_main(Message& m, std::vector<double> v, DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, params_.products, params_.activations);
  const DetTimer timer(s.profile, DetPart::kOtherLayers);
  const int64_t d = model_.dims();
  const double sigma = params_.sigma;
  const int64_t run = params_.coding_run;  // elements per run of pops, then pushes
  const GridSpec& lat = latent_grid_;
  std::vector<double> cur(d), next(d);
  encode_elementwise(s, m, v.data(), cur.data(), d, nullptr, data_grid_, lat,
                     sigma, run, PreprocessFn{{}, model_.config().logit_alpha});
  const auto& layers = model_.layers();
  for (size_t li = 0; li < layers.size(); ++li) {
    const DetLayer& layer = layers[li];
    if (folded_into_next(li)) continue;  // coded by the 1×1 convolution after it
    const int64_t n = layer.in.size();
    next.resize(layer.out.size());
    switch (layer.kind) {
      case DetLayerKind::kActNorm:
        encode_elementwise(s, m, cur.data(), next.data(), n, nullptr, lat, lat, sigma, run, ActNormFn{{}, *layer.actnorm});
        break;
      case DetLayerKind::kCoupling: {
        const DetCoupling& c = *layer.coupling;
        const DetTimer coupling_timer(s.profile, DetPart::kCouplingTransform);
        with_coupling_fn(c, cur.data(), nullptr, s, params_, [&](const auto& fn) {
          encode_elementwise(s, m, cur.data(), next.data(), n, c.mask.data(), lat, lat, sigma, run, fn);
        });
        break;
      }
      case DetLayerKind::kInv1x1: {  // Algorithm 3.1 on each pixel's C×C block (conv_mean)
        // Pop every pixel's y, then push every pixel's x (see encode_elementwise).
        const DetInv1x1& l = *layer.inv1x1;
        const DetActNorm* an = inv1x1_[li].folded;
        const int64_t c = l.c, plane = layer.in.plane();
        count_codings(s, 2 * c * plane);
        std::vector<double> in(c), mean(c), back(c), noise(c), work(c);
        std::vector<uint64_t> iy(c);
        const int64_t pixels = pixel_run(run, c);
        for (int64_t r = 0, runs = run_count(pixels, plane); r < runs; ++r) {
          const auto [p0, p1] = run_range(r, pixels, plane);
          for (int64_t p = p0; p < p1; ++p) {  // y ← pop N(W a(x̄), σ² W Wᵀ)
            conv_mean(l, an, cur.data(), p, plane, in.data(), mean.data());
            pop_linear_ar_gaussian(m, iy.data(), mean.data(), inv1x1_[li].lower.data(), c, lat, work.data());
            for (int64_t o = 0; o < c; ++o) next[o * plane + p] = lat.value(iy[o]);
          }
          for (int64_t p = p0; p < p1; ++p) {  // push x̄ with N(a⁻¹(W⁻¹ ȳ), σ² diag(scale)⁻²)
            conv_back(l, an, next.data(), p, plane, sigma, back.data(), noise.data());
            for (int64_t i = c; i-- > 0;)
              push_windowed_gaussian(m, lat.index_of(cur[i * plane + p]), back[i], noise[i], lat);
          }
        }
        break;
      }
      case DetLayerKind::kSqueeze:
        det_squeeze(cur.data(), layer.in, next.data());
        break;
      case DetLayerKind::kFactorOut: {  // push x2 with N(μ(x1), σ(x1)²); continue with x1
        const DetFactorOut& f = *layer.factor_out;
        const int64_t n1 = f.x1_shape().size(), n2 = f.z2_shape().size();
        count_codings(s, n2);
        std::vector<double> mu(n2), log_sigma(n2);
        f.prior_params(cur.data(), mu.data(), log_sigma.data(), s);
        for (int64_t i = n2; i-- > 0;)
          push_windowed_gaussian(m, lat.index_of(cur[n1 + i]), mu[i], det_exp(log_sigma[i]), lat);
        std::copy(cur.begin(), cur.begin() + n1, next.begin());
        break;
      }
    }
    cur.swap(next);
  }
  push_standard_normal(s, m, cur.data(), static_cast<int64_t>(cur.size()), lat);
}

std::vector<double> FlowCoder::decode_main(Message& m, DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, params_.products, params_.activations);
  const DetTimer timer(s.profile, DetPart::kOtherLayers);
  const int64_t d = model_.dims();
  const double sigma = params_.sigma;
  const int64_t run = params_.coding_run;  // elements per run of pops, then pushes
  const GridSpec& lat = latent_grid_;
  const auto& layers = model_.layers();
  const DetShape last = layers.empty() ? model_.base_shape() : layers.back().out;
  std::vector<double> cur(last.size()), prev;
  pop_standard_normal(s, m, cur.data(), last.size(), lat);
  for (size_t li = layers.size(); li-- > 0;) {
    const DetLayer& layer = layers[li];
    if (folded_into_next(li)) continue;  // decoded with the 1×1 convolution after it
    const int64_t n = layer.in.size();
    prev.assign(n, 0.0);
    switch (layer.kind) {
      case DetLayerKind::kActNorm:
        decode_elementwise(s, m, cur.data(), prev.data(), n, nullptr, lat, lat, sigma, run, ActNormFn{{}, *layer.actnorm});
        break;
      case DetLayerKind::kCoupling: {
        const DetCoupling& c = *layer.coupling;
        const DetTimer coupling_timer(s.profile, DetPart::kCouplingTransform);
        with_coupling_fn(c, cur.data(), nullptr, s, params_, [&](const auto& fn) {
          decode_elementwise(s, m, cur.data(), prev.data(), n, c.mask.data(), lat, lat, sigma, run, fn);
        });
        break;
      }
      case DetLayerKind::kInv1x1: {
        const DetInv1x1& l = *layer.inv1x1;
        const DetActNorm* an = inv1x1_[li].folded;
        const int64_t c = l.c, plane = layer.in.plane();
        count_codings(s, 2 * c * plane);
        std::vector<double> in(c), mean(c), back(c), noise(c), work(c);
        std::vector<uint64_t> iy(c);
        const int64_t pixels = pixel_run(run, c);
        for (int64_t r = run_count(pixels, plane); r-- > 0;) {
          const auto [p0, p1] = run_range(r, pixels, plane);
          for (int64_t p = p1; p-- > p0;) {  // x̄ ← pop N(a⁻¹(W⁻¹ ȳ), σ² diag(scale)⁻²)
            conv_back(l, an, cur.data(), p, plane, sigma, back.data(), noise.data());
            for (int64_t i = 0; i < c; ++i)
              prev[i * plane + p] = lat.value(pop_windowed_gaussian(m, back[i], noise[i], lat));
          }
          for (int64_t p = p1; p-- > p0;) {  // push ȳ with N(W a(x̄), σ² W Wᵀ)
            conv_mean(l, an, prev.data(), p, plane, in.data(), mean.data());
            for (int64_t o = 0; o < c; ++o) iy[o] = lat.index_of(cur[o * plane + p]);
            push_linear_ar_gaussian(m, iy.data(), mean.data(), inv1x1_[li].lower.data(), c, lat, work.data());
          }
        }
        break;
      }
      case DetLayerKind::kSqueeze:
        det_unsqueeze(cur.data(), layer.in, prev.data());
        break;
      case DetLayerKind::kFactorOut: {
        const DetFactorOut& f = *layer.factor_out;
        const int64_t n1 = f.x1_shape().size(), n2 = f.z2_shape().size();
        count_codings(s, n2);
        std::vector<double> mu(n2), log_sigma(n2);
        f.prior_params(cur.data(), mu.data(), log_sigma.data(), s);
        std::copy(cur.begin(), cur.begin() + n1, prev.begin());
        for (int64_t i = 0; i < n2; ++i)
          prev[n1 + i] = lat.value(pop_windowed_gaussian(m, mu[i], det_exp(log_sigma[i]), lat));
        break;
      }
    }
    cur.swap(prev);
  }
  std::vector<double> v(d);
  decode_elementwise(s, m, cur.data(), v.data(), d, nullptr, data_grid_, lat, sigma, run,
                     PreprocessFn{{}, model_.config().logit_alpha});
  return v;
}

// ---- whole images --------------------------------------------------------------------------------

void FlowCoder::encode(Message& m, const uint8_t* image, DetScratch& s, std::vector<double>* u_out) const {
  const int64_t d = model_.dims();
  std::vector<double> img(image, image + d), x_base(d), u;
  model_.to_base(img.data(), x_base.data());
  pop_noise(m, x_base, &u, s);
  std::vector<double> v(d);
  for (int64_t i = 0; i < d; ++i) v[i] = x_base[i] + u[i];  // exact: both on the 2^-k grid
  encode_main(m, std::move(v), s);
  if (u_out) *u_out = std::move(u);
}

void FlowCoder::decode(Message& m, uint8_t* image, DetScratch& s) const {
  const int64_t d = model_.dims();
  std::vector<double> x_base, u;
  split_data(decode_main(m, s), &x_base, &u);
  push_noise(m, x_base, u, s);
  std::vector<double> img(d);
  model_.from_base(x_base.data(), img.data());
  for (int64_t i = 0; i < d; ++i) image[i] = static_cast<uint8_t>(img[i]);
}

void FlowCoder::split_data(const std::vector<double>& v, std::vector<double>* x_base,
                           std::vector<double>* u) const {
  const int k = params_.precision_bits;
  x_base->resize(v.size());
  u->resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const uint64_t idx = data_grid_.index_of(v[i]);
    (*x_base)[i] = static_cast<double>(idx >> k);
    (*u)[i] = noise_grid_.value(idx & ((uint64_t{1} << k) - 1));
  }
}

double FlowCoder::theoretical_bits(const uint8_t* image, const std::vector<double>& u, DetScratch& s) const {
  const DetArithmeticScope arithmetic(s, params_.products, params_.activations);
  const int64_t d = model_.dims();
  std::vector<double> img(image, image + d), x_base(d), v(d);
  model_.to_base(img.data(), x_base.data());
  double log_q = 0;
  if (const DetDequantizer* q = model_.dequantizer()) {
    std::vector<double> eps(d);
    const std::vector<double> ctx = dequantizer_context(*q, x_base, s);
    log_q = q->inverse(u.data(), ctx.data(), eps.data(), s);
  }
  for (int64_t i = 0; i < d; ++i) v[i] = x_base[i] + u[i];
  return model_.forward(v.data(), log_q, nullptr, s).bpd(d) * static_cast<double>(d);
}

}  // namespace lbb
