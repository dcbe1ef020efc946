#include "imitation/mujoco_env.h"

#include <cmath>
#include <mutex>
#include <stdexcept>

#include "imitation/mujoco_model.h"

namespace lbb::imitation {
namespace {

// MuJoCo's default handlers write MUJOCO_LOG.TXT into the working directory and exit on
// errors; ours keep the user's directory untouched (warnings are counted in mjData::warning)
// and report errors as exceptions.
void ignore_warning(const char*) {}
void throw_error(const char* message) { throw std::runtime_error(std::string("MuJoCo: ") + message); }

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_warning = ignore_warning;
    mju_user_error = throw_error;
  });
}

}  // namespace

MujocoEnv::MujocoEnv(EnvSpec spec, const std::string& model_name, int frame_skip, bool contact_forces)
    : Env(std::move(spec)), m_(nullptr), d_(nullptr), frame_skip_(frame_skip), contact_forces_(contact_forces) {
  install_handlers();
  m_ = mujoco_model(model_name);
  d_ = mj_makeData(m_);
  if (m_->nu != this->spec().action_dim)
    throw std::logic_error(model_name + ": model has " + std::to_string(m_->nu) + " actuators");
}

MujocoEnv::~MujocoEnv() { mj_deleteData(d_); }

std::vector<double> MujocoEnv::set_state(const std::vector<double>& qpos, const std::vector<double>& qvel) {
  if (static_cast<int>(qpos.size()) != m_->nq || static_cast<int>(qvel.size()) != m_->nv)
    throw std::invalid_argument(spec().name + ": state of the wrong size");
  mj_resetData(m_, d_);
  std::copy(qpos.begin(), qpos.end(), d_->qpos);
  std::copy(qvel.begin(), qvel.end(), d_->qvel);
  mj_forward(m_, d_);
  if (contact_forces_) mj_rnePostConstraint(m_, d_);
  return observation();
}

void MujocoEnv::do_simulation(const std::vector<double>& action) {
  std::copy(action.begin(), action.end(), d_->ctrl);
  for (int i = 0; i < frame_skip_; ++i) mj_step(m_, d_);
  if (contact_forces_) mj_rnePostConstraint(m_, d_);
}

int MujocoEnv::body_id(const char* name) const {
  const int id = mj_name2id(m_, mjOBJ_BODY, name);
  if (id < 0) throw std::logic_error(spec().name + ": no body " + name);
  return id;
}

bool MujocoEnv::state_finite() const {
  for (int i = 0; i < m_->nq; ++i)
    if (!std::isfinite(d_->qpos[i])) return false;
  for (int i = 0; i < m_->nv; ++i)
    if (!std::isfinite(d_->qvel[i])) return false;
  return true;
}

}  // namespace lbb::imitation
