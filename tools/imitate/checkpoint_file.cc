#include "checkpoint_file.h"

#include <filesystem>

#include "imitation/archive_file.h"
#include "common/errors.h"

namespace lbb::imitation {

bool resume_checkpoint(const std::string& path, const std::string& run_key,
                       const std::function<void(torch::serialize::InputArchive&)>& load) {
  if (!std::filesystem::exists(path)) return false;
  torch::serialize::InputArchive ar;
  ar.load_from(path);
  c10::IValue v;
  ar.read("run", v);
  if (v.toStringRef() != run_key) throw InputError(path + ": a checkpoint of another run (" + v.toStringRef() + ")");
  load(ar);
  return true;
}

void write_checkpoint(const std::string& path, const std::string& run_key,
                      const std::function<void(torch::serialize::OutputArchive&)>& save) {
  torch::serialize::OutputArchive ar;
  ar.write("run", c10::IValue(run_key));
  save(ar);
  save_archive_atomic(ar, path, "the checkpoint");
}

}  // namespace lbb::imitation
