#include "flow/model_io.h"

#include <cstdlib>
#include <cstring>

#include "common/errors.h"

namespace lbb {

namespace {

std::vector<std::pair<std::string, Tensor>> named_state(FlowModel& model) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& p : model->named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : model->named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace

TensorArchive model_to_archive(FlowModel& model, const std::string& prefix) {
  TensorArchive a;
  for (auto& [name, t] : named_state(model)) {
    Tensor c = t.detach().to(torch::kFloat32).contiguous();
    NamedTensor nt;
    nt.name = prefix + name;
    nt.shape.assign(c.sizes().begin(), c.sizes().end());
    nt.data.resize(c.numel());
    std::memcpy(nt.data.data(), c.data_ptr<float>(), c.numel() * sizeof(float));
    a.tensors.push_back(std::move(nt));
  }
  return a;
}

void load_model_tensors(FlowModel& model, const TensorArchive& archive, const std::string& origin,
                        const std::string& prefix) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const auto& t : archive.tensors) by_name[t.name] = &t;
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : named_state(model)) {
    auto it = by_name.find(prefix + name);
    if (it == by_name.end())
      throw InputError(origin + ": model file has no tensor `" + prefix + name +
                       "` (saved by another architecture?)");
    const NamedTensor& nt = *it->second;
    if (std::vector<int64_t>(t.sizes().begin(), t.sizes().end()) != nt.shape)
      throw InputError(origin + ": tensor `" + nt.name + "` has the wrong shape");
    Tensor src = torch::from_blob(const_cast<float*>(nt.data.data()), t.sizes(), torch::kFloat32);
    t.copy_(src.to(t.scalar_type()));
  }
}

void save_model(const std::string& path, FlowModel& model,
                const std::map<std::string, std::string>& meta, const std::vector<NamedTensor>& extra) {
  TensorArchive a = model_to_archive(model);
  a.tensors.insert(a.tensors.end(), extra.begin(), extra.end());
  a.meta = meta;
  a.meta["format"] = "lbb-model";
  a.meta["config"] = to_text(model->config);
  save_archive(path, a);
}

LoadedModel load_model(const std::string& path) {
  LoadedModel m;
  m.archive = load_archive(path);
  m.model = FlowModel(model_archive_config(m.archive, path));
  load_model_tensors(m.model, m.archive, path);
  m.model->eval();
  return m;
}

}  // namespace lbb
