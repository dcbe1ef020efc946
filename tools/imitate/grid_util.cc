#include "grid_util.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <sys/wait.h>

#include "imitation/env.h"
#include "imitation/mujoco_env.h"
#include "imitation/rng.h"

namespace lbb::imitation {

bool parse_flat_json(const std::string& line, std::map<std::string, std::string>& out) {
  out.clear();
  size_t i = 0;
  const auto ws = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
  };
  const auto str = [&](std::string& s) {
    if (i >= line.size() || line[i] != '"') return false;
    ++i;
    s.clear();
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\') {
        if (++i >= line.size()) return false;
        s += line[i] == 'n' ? '\n' : line[i];
      } else {
        s += line[i];
      }
      ++i;
    }
    if (i >= line.size()) return false;
    ++i;
    return true;
  };
  ws();
  if (i >= line.size() || line[i] != '{') return false;
  ++i;
  ws();
  if (i < line.size() && line[i] == '}') return true;
  for (;;) {
    std::string key, value;
    ws();
    if (!str(key)) return false;
    ws();
    if (i >= line.size() || line[i] != ':') return false;
    ++i;
    ws();
    if (i < line.size() && line[i] == '"') {
      if (!str(value)) return false;
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',' && line[i] != '}' && line[i] != ' ') ++i;
      value = line.substr(start, i - start);
      if (value.empty()) return false;
      if (value != "null" && value != "true" && value != "false") {
        char* end = nullptr;
        std::strtod(value.c_str(), &end);
        if (end != value.c_str() + value.size()) return false;
      }
    }
    out[key] = value;
    ws();
    if (i >= line.size()) return false;
    if (line[i] == ',') {
      ++i;
      continue;
    }
    if (line[i] != '}') return false;
    ++i;
    ws();
    return i == line.size();
  }
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  return out;
}

TaskDefaults task_defaults(const std::string& task) {
  // Expert lengths and seeds from the single runs of docs/imitation.md; the learners'
  // iterations sized so that the full grid fits 3 hours on 2 cores (docs/imitation.md).
  if (task.rfind("cartpole", 0) == 0) return {30, 1, 199.5, 50};
  if (task == "acrobot") return {40, 1, NAN, 120};
  if (task == "mountaincar") return {120, 2, NAN, 130};
  // The MuJoCo tasks with the author's settings: 50,000-step batches, 501 iterations (Reacher
  // 201, Humanoid 1501), 50 expert trajectories (Reacher 18, Humanoid 240), one seed per
  // locomotion cell (Reacher 3), FEM and GTAL at the smallest and largest dataset.
  if (task == "reacher") return {200, 1, NAN, 201, 50000, 50, 18, {4, 11, 18}, 3, true};
  if (task == "humanoid") return {1500, 1, NAN, 1501, 50000, 50, 240, {80, 160, 240}, 1, true};
  if (task == "halfcheetah" || task == "hopper" || task == "walker2d" || task == "ant")
    return {500, 1, NAN, 501, 50000, 50, 50, {4, 11, 18, 25}, 1, true};
  throw std::invalid_argument("no experiment defaults for task '" + task + "'");
}

double random_policy_return(const std::string& env_name, int64_t episodes, uint64_t seed) {
  Rng rng(seed);
  double total = 0;
  for (int64_t e = 0; e < episodes; ++e) {
    auto env = make_env(env_name);
    const EnvSpec spec = env->spec();
    // Continuous actions: uniform over the actuators' control ranges (Gym's action space).
    const auto* mj = dynamic_cast<const MujocoEnv*>(env.get());
    if (!spec.discrete() && !mj) throw std::invalid_argument("random_policy_return: no action range for " + env_name);
    env->reset(seed + static_cast<uint64_t>(e));
    double ret = 0;
    for (;;) {
      Action a;
      if (spec.discrete()) {
        a.index = static_cast<int64_t>(rng.below(static_cast<uint64_t>(spec.num_actions)));
      } else {
        const double* range = mj->model()->actuator_ctrlrange;
        for (int64_t k = 0; k < spec.action_dim; ++k) a.values.push_back(rng.uniform(range[2 * k], range[2 * k + 1]));
      }
      const StepResult r = env->step(a);
      ret += r.reward;
      if (r.done()) break;
    }
    total += ret;
  }
  return total / static_cast<double>(episodes);
}

ChildResult run_child(const std::string& command) {
  ChildResult r;
  FILE* p = popen(command.c_str(), "re");  // e: close-on-exec, so a parallel child holds no other pipe
  if (!p) {
    r.status = -1;
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : (st == -1 ? -1 : 128 + WTERMSIG(st));
  return r;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = std::llround(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

}  // namespace lbb::imitation
