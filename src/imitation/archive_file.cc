#include "imitation/archive_file.h"

#include <cstdio>
#include <filesystem>

#include "common/errors.h"

namespace lbb::imitation {

void save_archive_atomic(torch::serialize::OutputArchive& ar, const std::string& path, const std::string& what) {
  const std::string tmp = path + ".tmp";
  try {
    ar.save_to(tmp);
    std::filesystem::rename(tmp, path);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot write " + what + " (" + std::string(e.what()).substr(0, 200) + ")");
  }
}

void save_parameters(torch::serialize::OutputArchive& ar, const std::string& prefix, torch::nn::Module& module) {
  for (const auto& p : module.named_parameters()) ar.write(prefix + p.key(), p.value().detach(), /*is_buffer=*/true);
}

void load_parameters(torch::serialize::InputArchive& ar, const std::string& prefix, torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters()) {
    torch::Tensor t;
    if (!ar.try_read(prefix + p.key(), t, /*is_buffer=*/true) || !t.sizes().equals(p.value().sizes()))
      throw InputError("checkpoint: missing or misshapen " + prefix + p.key());
    p.value().copy_(t);
  }
}

}  // namespace lbb::imitation
