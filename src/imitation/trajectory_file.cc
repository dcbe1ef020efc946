#include "imitation/trajectory_file.h"

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "imitation/env.h"
#include "imitation/mujoco_env.h"
#include "imitation/mujoco_model.h"
#include "common/errors.h"

namespace lbb::imitation {

using nlohmann::json;

double Trajectory::episode_return() const {
  double r = 0;
  for (const TrajectoryStep& s : steps) r += s.reward;
  return r;
}

void write_trajectories(std::ostream& out, const TrajectoryFile& file) {
  const std::unique_ptr<Env> env = make_env(file.env);
  const auto* mj = dynamic_cast<const MujocoEnv*>(env.get());
  if (!mj) throw InputError("trajectory files hold MuJoCo tasks; '" + file.env + "' is not one");
  json header = {{"format", "imitate-trajectories"},
                 {"version", 1},
                 {"env", file.env},
                 {"policy", file.policy},
                 {"seed", file.seed},
                 {"deterministic", file.deterministic},
                 {"episodes", file.episodes.size()},
                 {"timestep", mj->model()->opt.timestep},
                 {"frame_skip", mj->frame_skip()},
                 {"nq", mj->model()->nq},
                 {"nv", mj->model()->nv},
                 {"obs_dim", env->spec().obs_dim},
                 {"action_dim", env->spec().action_dim},
                 {"mjcf", mujoco_model_xml(file.env)}};
  out << header.dump() << '\n';
  for (size_t e = 0; e < file.episodes.size(); ++e) {
    const Trajectory& tr = file.episodes[e];
    for (size_t t = 0; t < tr.steps.size(); ++t) {
      const TrajectoryStep& s = tr.steps[t];
      out << json{{"episode", e},        {"t", t},           {"qpos", s.qpos},
                  {"qvel", s.qvel},      {"obs", s.obs},     {"action", s.action},
                  {"reward", s.reward},  {"terminated", s.terminated}, {"truncated", s.truncated}}
                 .dump()
          << '\n';
    }
    out << json{{"episode", e},
                {"return", tr.episode_return()},
                {"length", tr.steps.size()},
                {"final_qpos", tr.final_qpos},
                {"final_qvel", tr.final_qvel},
                {"final_obs", tr.final_obs}}
               .dump()
        << '\n';
  }
  if (!out) throw IoError("cannot write the trajectories");
}

TrajectoryFile read_trajectories(std::istream& in, const std::string& name) {
  TrajectoryFile f;
  std::string line;
  int64_t line_no = 0;
  auto fail = [&](const std::string& what) -> InputError {
    return InputError(name + ": line " + std::to_string(line_no) + ": " + what);
  };
  try {
    if (!std::getline(in, line)) throw InputError(name + ": empty file");
    ++line_no;
    const json h = json::parse(line);
    if (h.value("format", "") != "imitate-trajectories") throw fail("not an imitate trajectory file");
    if (h.at("version").get<int>() != 1) throw fail("trajectory file version " + h.at("version").dump());
    f.env = h.at("env").get<std::string>();
    f.policy = h.at("policy").get<std::string>();
    f.seed = h.at("seed").get<uint64_t>();
    f.deterministic = h.at("deterministic").get<bool>();
    const size_t episodes = h.at("episodes").get<size_t>();
    Trajectory current;
    while (std::getline(in, line)) {
      ++line_no;
      const json j = json::parse(line);
      if (j.at("episode").get<size_t>() != f.episodes.size()) throw fail("episodes out of order");
      if (j.contains("t")) {
        if (j.at("t").get<size_t>() != current.steps.size()) throw fail("steps out of order");
        TrajectoryStep s;
        s.qpos = j.at("qpos").get<std::vector<double>>();
        s.qvel = j.at("qvel").get<std::vector<double>>();
        s.obs = j.at("obs").get<std::vector<double>>();
        s.action = j.at("action").get<std::vector<double>>();
        s.reward = j.at("reward").get<double>();
        s.terminated = j.at("terminated").get<bool>();
        s.truncated = j.at("truncated").get<bool>();
        current.steps.push_back(std::move(s));
      } else {
        if (j.at("length").get<size_t>() != current.steps.size()) throw fail("episode length disagrees with its steps");
        current.final_qpos = j.at("final_qpos").get<std::vector<double>>();
        current.final_qvel = j.at("final_qvel").get<std::vector<double>>();
        current.final_obs = j.at("final_obs").get<std::vector<double>>();
        f.episodes.push_back(std::move(current));
        current = Trajectory();
      }
    }
    if (!current.steps.empty() || f.episodes.size() != episodes) throw fail("truncated file");
  } catch (const json::exception& e) {
    throw fail(std::string("malformed: ") + e.what());
  }
  return f;
}

}  // namespace lbb::imitation
