#include "det/det_weights.h"

#include <sstream>

#include "common/errors.h"
#include "det/det_flow.h"
#include "model/det_math.h"

namespace lbb {

namespace {

size_t sz(int64_t n) { return static_cast<size_t>(n); }

std::string shape_text(const std::vector<int64_t>& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

}  // namespace

DetArchiveSource::DetArchiveSource(const TensorArchive& archive, std::string origin, std::string prefix)
    : archive_(archive), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

std::vector<float> DetArchiveSource::get(const std::string& name, const std::vector<int64_t>& shape,
                                         const std::vector<float>* init, bool exact) {
  const NamedTensor* t = archive_.find(prefix_ + name);
  if (!t)
    throw InputError(origin_ + ": model file has no tensor `" + prefix_ + name +
                     "` (saved by another architecture?)");
  if (t->shape != shape)
    throw InputError(origin_ + ": tensor `" + t->name + "` has shape " + shape_text(t->shape) +
                     ", expected " + shape_text(shape));
  if (exact && init && t->data != *init)
    throw InputError(origin_ + ": tensor `" + t->name + "` does not match the architecture");
  return t->data;
}

std::vector<float> DetSyntheticSource::get(const std::string& name, const std::vector<int64_t>& shape,
                                           const std::vector<float>* init, bool exact) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(sz(n));
  for (int64_t i = 0; i < n; ++i) {
    const double base = init ? static_cast<double>((*init)[sz(i)]) : 0.0;
    if (exact && init) {
      v[sz(i)] = (*init)[sz(i)];
      continue;
    }
    // splitmix64 → uniform in [−1, 1) with 53 bits (exact double arithmetic).
    uint64_t x = (state_ += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    const double u = static_cast<double>(x >> 11) * det_pow2(-52) - 1.0;
    v[sz(i)] = static_cast<float>(init ? base + noise_ * u : u);
  }
  NamedTensor t;
  t.name = name;
  t.shape = shape;
  t.data = v;
  archive.tensors.push_back(std::move(t));
  return v;
}

TensorArchive det_synthetic_model_archive(const FlowConfig& config, uint64_t seed, double noise) {
  DetSyntheticSource src(seed, noise);
  DetFlowModel model(config, src);
  TensorArchive a = std::move(src.archive);
  a.meta["format"] = "lbb-model";
  a.meta["config"] = to_text(config);
  return a;
}

}  // namespace lbb
