// The MuJoCo models of the locomotion and reaching tasks (mjcf/*.xml, compiled into the
// binary), loaded once per process and shared read-only by every environment.
//
// Contracts:
//  1. mujoco_model(name) returns the same model for the same name for the life of the
//     process (thread-safe); it throws lbb::InputError for a name with no model file.
//  2. Body masses and inertias are those MuJoCo 1.31 computed for the Gym models the thesis
//     used: a capsule of radius r and length L weighs and turns like a solid cylinder of
//     length L + r (MuJoCo 2.2 computes the exact capsule, 3-6 % heavier). The density of each
//     body is the one its file states (recovered from MuJoCo's own mass for the body), and a
//     task's total mass (HalfCheetah's settotalmass 14) is restored after the change.
#pragma once

#include <mujoco/mujoco.h>

#include <string>
#include <vector>

namespace lbb::imitation {

const mjModel* mujoco_model(const std::string& name);

// The names with a model file ("ant", "halfcheetah", "hopper", "humanoid", "reacher",
// "walker2d").
std::vector<std::string> mujoco_model_names();

// The MJCF text of a model, as shipped in src/imitation/mjcf/ (for `imitate` users who replay
// trajectories in another simulator).
const std::string& mujoco_model_xml(const std::string& name);

// Replaces body masses, centres of mass and inertias by MuJoCo 1.31's capsule rule (contract 2)
// and recomputes the model's derived constants; total_mass > 0 rescales every body to that sum.
// Throws std::runtime_error for geom types the Gym models do not use.
void apply_mujoco131_inertia(mjModel* m, double total_mass);

}  // namespace lbb::imitation
