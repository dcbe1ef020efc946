// Trajectory files (`imitate rollout --out FILE`): episodes of a policy on a MuJoCo task with
// the simulator's full state at every step, so that another implementation of the task can
// replay them (set qpos and qvel, apply the action, compare the reward). JSON Lines, numbers
// written so that they read back to the same double:
//
//   line 1     {"format": "imitate-trajectories", "version": 1, "env": E, "policy": P,
//               "seed": S, "deterministic": B, "episodes": K, "timestep": h, "frame_skip": n,
//               "nq": .., "nv": .., "obs_dim": .., "action_dim": .., "mjcf": the model file's text}
//   per step   {"episode": e, "t": t, "qpos": [nq], "qvel": [nv], "obs": [obs_dim],
//               "action": [action_dim], "reward": r, "terminated": B, "truncated": B}
//              qpos, qvel and obs are the state the action was taken in; the reward is the
//              task's for that step (mujoco_env.h); at most one of the flags is true, on the
//              episode's last step only.
//              Reacher's distance, Ant's torso position and Humanoid's centre of mass are read
//              from what the previous step's last evaluation left (mujoco_env.h, contract 2),
//              so a replay that applies the actions in order from the episode's first state
//              reproduces every reward exactly in MuJoCo 2.2.2; one that sets each step's
//              qpos and qvel and calls mj_forward differs by up to ~4e-3 in Reacher's reward.
//   per episode {"episode": e, "return": R, "length": L, "final_qpos": [..], "final_qvel": [..],
//               "final_obs": [..]}  after its last step
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace lbb::imitation {

struct TrajectoryStep {
  std::vector<double> qpos, qvel, obs, action;
  double reward = 0;
  bool terminated = false, truncated = false;
};

struct Trajectory {
  std::vector<TrajectoryStep> steps;
  std::vector<double> final_qpos, final_qvel, final_obs;
  double episode_return() const;
};

struct TrajectoryFile {
  std::string env, policy;
  uint64_t seed = 0;
  bool deterministic = true;
  std::vector<Trajectory> episodes;
};

// Writes the whole file (header, steps, episode lines) to out.
void write_trajectories(std::ostream& out, const TrajectoryFile& file);
// Reads a file written by write_trajectories; throws lbb::InputError("<name>: line N: ...")
// for anything else.
TrajectoryFile read_trajectories(std::istream& in, const std::string& name);

}  // namespace lbb::imitation
