#include "model_search.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>

#include "common/errors.h"

namespace lbb {

namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : exe.parent_path();
}

}  // namespace

std::string shipped_file(const std::string& rel) {
  const fs::path dir = executable_dir();
  const fs::path installed = dir / ".." / "share" / "lbb" / rel, build_tree = dir / ".." / rel;
  std::error_code ec;
  if (!fs::exists(installed, ec) && fs::exists(build_tree, ec)) return build_tree.lexically_normal().string();
  return installed.lexically_normal().string();
}

std::string default_model_file() {
  const char* env = std::getenv("LBB_MODEL");
  return env && *env ? env : shipped_file("models/fmnist.lbbm");
}

std::vector<std::string> candidate_model_files() {
  std::vector<std::string> files;
  std::set<std::string> seen;
  const auto add = [&](const std::string& f) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(f, ec);
    if (seen.insert(ec ? f : canonical.string()).second) files.push_back(f);
  };
  if (const char* env = std::getenv("LBB_MODEL"); env && *env) add(env);
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("LBB_MODEL_PATH"); env && *env) {
    std::string path = env;
    for (size_t start = 0;;) {
      const size_t colon = path.find(':', start);
      const std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!dir.empty()) dirs.push_back(dir);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  dirs.push_back(fs::path(shipped_file("models/fmnist.lbbm")).parent_path().string());
  for (const std::string& dir : dirs) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".lbbm" && it->is_regular_file(ec)) found.push_back(it->path().string());
    std::sort(found.begin(), found.end());
    for (const std::string& f : found) add(f);
  }
  return files;
}

namespace {

// Loads the candidates in order (the rules of load_candidate_models), handing each to `take`
// until it returns false; returns how many loaded.
size_t visit_candidate_models(const std::function<bool(CodingModel&&)>& take) {
  const char* env = std::getenv("LBB_MODEL");
  const std::string named = env && *env ? env : "";
  size_t loaded = 0;
  for (const std::string& f : candidate_model_files()) {
    CodingModel m;
    try {
      m = load_coding_model(f);
    } catch (const InputError& e) {
      if (f == named) throw InputError(std::string(e.what()) + " (named by LBB_MODEL)");
      std::fprintf(stderr, "lbb: warning: %s (skipped)\n", printable(e.what(), 2000).c_str());
      continue;
    }
    ++loaded;
    if (!take(std::move(m))) break;
  }
  return loaded;
}

}  // namespace

std::vector<CodingModel> load_candidate_models() {
  std::vector<CodingModel> models;
  visit_candidate_models([&](CodingModel&& m) {
    models.push_back(std::move(m));
    return true;
  });
  return models;
}

std::vector<CodingModel> find_models_for(const Container& c, const std::string& name) {
  // Only the models of the file's id are kept; from kContentModelIdVersion the id covers the
  // whole model file, so the first one is the one.
  const bool unique = c.header.version >= kContentModelIdVersion;
  std::vector<CodingModel> models;
  const size_t found = visit_candidate_models([&](CodingModel&& m) {
    if (m.model_id(c.header.version) == c.header.model_id) models.push_back(std::move(m));
    return !(unique && !models.empty());
  });
  if (models.empty())
    throw InputError(printable(name) + ": made with model id " + hex32(c.header.model_id) + ", which none of the " +
                     std::to_string(found) +
                     " models found has (use --model, or add its directory to LBB_MODEL_PATH)");
  return models;
}

}  // namespace lbb
