#include "coding/coding_model.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>

#include "common/errors.h"

namespace lbb {

struct CodingModel::Networks {
  TensorArchive archive;
  std::once_flag built[2];                   // [float32]
  std::unique_ptr<DetFlowModel> flow[2];
};

CodingModel::CodingModel(TensorArchive archive, const std::string& path)
    : path(path), config_(model_archive_config(archive, path)) {
  const NamedTensor* t = archive.find(kDirectModelTensor);
  if (!t)
    throw InputError(path + ": model file has no direct model for the first images (add it with "
                            "`lbb fit-direct --model " + path + " --data <training images>`)");
  std::vector<uint32_t> freqs(t->data.size());
  for (size_t i = 0; i < freqs.size(); ++i) {
    const float f = t->data[i];
    if (!(f >= 1 && f <= ContextImageModel::kMaxFrequency) || f != std::floor(f))
      throw InputError(path + ": corrupt direct model (frequency " + std::to_string(f) + ")");
    freqs[i] = static_cast<uint32_t>(f);
  }
  try {
    direct = std::make_unique<ContextImageModel>(static_cast<uint32_t>(config_.channels), freqs);
  } catch (const std::invalid_argument& e) {
    throw InputError(path + ": corrupt direct model (" + e.what() + ")");
  }
  weights_hash = archive_weights_hash(archive);
  content_hash = archive_content_hash(archive);
  networks_ = std::make_unique<Networks>();
  networks_->archive = std::move(archive);
}

CodingModel::CodingModel() = default;
CodingModel::CodingModel(CodingModel&&) noexcept = default;
CodingModel& CodingModel::operator=(CodingModel&&) noexcept = default;
CodingModel::~CodingModel() = default;

const DetFlowModel& CodingModel::networks(bool float32) const {
  if (!networks_) throw std::logic_error("CodingModel::networks: no model loaded");
  Networks& n = *networks_;
  const int i = float32 ? 1 : 0;
  std::call_once(n.built[i], [&] {
    n.flow[i] = std::make_unique<DetFlowModel>(
        DetFlowModel::from_archive(n.archive, path, float32 ? DetPrecision::kFloat32 : DetPrecision::kFloat64));
  });
  return *n.flow[i];
}

CodingModel load_coding_model(const std::string& path) { return CodingModel(load_archive(path), path); }

NamedTensor fit_direct_model_tensor(const ImageSet& images) {
  ContextImageModel direct = ContextImageModel::fit(images.pixels.data(), images.n, images.c, images.h, images.w);
  NamedTensor t;
  t.name = kDirectModelTensor;
  const auto& f = direct.frequencies();
  t.shape = {static_cast<int64_t>(f.size() / ContextImageModel::kSymbols), ContextImageModel::kSymbols};
  t.data.assign(f.begin(), f.end());  // integers ≤ 2^24: exact in float32
  return t;
}

void add_direct_model(TensorArchive* archive, const ImageSet& images) {
  auto& ts = archive->tensors;
  ts.erase(std::remove_if(ts.begin(), ts.end(), [](const NamedTensor& x) { return x.name == kDirectModelTensor; }),
           ts.end());
  ts.push_back(fit_direct_model_tensor(images));
}

}  // namespace lbb
