#include "imitation/mujoco_model.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "imitation/mjcf_sources.h"
#include "common/errors.h"

namespace lbb::imitation {
namespace {

struct GeomMass {
  double volume_exact = 0;  // MuJoCo 2.2's volume of the geom
  double volume_131 = 0;    // MuJoCo 1.31's
  double inertia_131[3]{};  // per unit mass, principal moments in the geom's frame
};

GeomMass geom_mass(int type, const mjtNum* size) {
  GeomMass g;
  const double r = size[0];
  switch (type) {
    case mjGEOM_SPHERE:
      g.volume_exact = g.volume_131 = 4.0 / 3.0 * M_PI * r * r * r;
      g.inertia_131[0] = g.inertia_131[1] = g.inertia_131[2] = 0.4 * r * r;
      break;
    case mjGEOM_CAPSULE: {
      const double half = size[1];
      g.volume_exact = M_PI * r * r * (2 * half + 4.0 / 3.0 * r);
      const double length = 2 * half + r;  // 1.31: a cylinder of the capsule's length + r
      g.volume_131 = M_PI * r * r * length;
      g.inertia_131[0] = g.inertia_131[1] = (3 * r * r + length * length) / 12.0;
      g.inertia_131[2] = r * r / 2.0;
      break;
    }
    default:
      throw std::runtime_error("apply_mujoco131_inertia: geom type " + std::to_string(type) +
                               " is not used by the task models");
  }
  return g;
}

}  // namespace

void apply_mujoco131_inertia(mjModel* m, double total_mass) {
  for (int b = 1; b < m->nbody; ++b) {
    double volume_exact = 0;
    for (int g = 0; g < m->ngeom; ++g)
      if (m->geom_bodyid[g] == b) volume_exact += geom_mass(m->geom_type[g], m->geom_size + 3 * g).volume_exact;
    if (volume_exact == 0 || m->body_mass[b] == 0) continue;
    const double density = m->body_mass[b] / volume_exact;  // uniform within a body (one geom default)
    double mass = 0, com[3] = {0, 0, 0};
    for (int g = 0; g < m->ngeom; ++g) {
      if (m->geom_bodyid[g] != b) continue;
      const double mg = density * geom_mass(m->geom_type[g], m->geom_size + 3 * g).volume_131;
      mass += mg;
      for (int k = 0; k < 3; ++k) com[k] += mg * m->geom_pos[3 * g + k];
    }
    for (double& c : com) c /= mass;
    // Inertia about the body's centre of mass, in the body frame: rotated principal moments
    // of each geom plus the parallel-axis term.
    double inertia[9] = {0};
    for (int g = 0; g < m->ngeom; ++g) {
      if (m->geom_bodyid[g] != b) continue;
      const GeomMass gm = geom_mass(m->geom_type[g], m->geom_size + 3 * g);
      const double mg = density * gm.volume_131;
      double rot[9];
      mju_quat2Mat(rot, m->geom_quat + 4 * g);
      double d[3];
      for (int k = 0; k < 3; ++k) d[k] = m->geom_pos[3 * g + k] - com[k];
      const double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
          double rotated = 0;
          for (int k = 0; k < 3; ++k) rotated += rot[3 * i + k] * mg * gm.inertia_131[k] * rot[3 * j + k];
          inertia[3 * i + j] += rotated + mg * ((i == j ? d2 : 0) - d[i] * d[j]);
        }
    }
    double eigval[3], eigvec[9], quat[4];
    mju_eig3(eigval, eigvec, quat, inertia);
    m->body_mass[b] = mass;
    for (int k = 0; k < 3; ++k) {
      m->body_ipos[3 * b + k] = com[k];
      m->body_inertia[3 * b + k] = eigval[k];
    }
    for (int k = 0; k < 4; ++k) m->body_iquat[4 * b + k] = quat[k];
  }
  if (total_mass > 0) {
    double sum = 0;
    for (int b = 0; b < m->nbody; ++b) sum += m->body_mass[b];
    const double scale = total_mass / sum;
    for (int b = 0; b < m->nbody; ++b) {
      m->body_mass[b] *= scale;
      for (int k = 0; k < 3; ++k) m->body_inertia[3 * b + k] *= scale;
    }
  }
  mjData* d = mj_makeData(m);
  mj_setConst(m, d);  // subtree masses, invweights, ... at qpos0
  mj_deleteData(d);
}

namespace {

// settotalmass of the Gym models (HalfCheetah's); 0: none.
double total_mass_of(const std::string& name) { return name == "halfcheetah" ? 14.0 : 0.0; }

mjModel* load_model(const std::string& name) {
  const std::string& xml = mujoco_model_xml(name);
  auto vfs = std::make_unique<mjVFS>();  // ~2 MB: not on the stack
  mj_defaultVFS(vfs.get());
  const std::string file = name + ".xml";
  if (mj_makeEmptyFileVFS(vfs.get(), file.c_str(), static_cast<int>(xml.size())) != 0)
    throw std::runtime_error("MuJoCo: cannot make a virtual file for " + file);
  std::copy(xml.begin(), xml.end(), static_cast<char*>(vfs->filedata[mj_findFileVFS(vfs.get(), file.c_str())]));
  char error[1000] = "";
  mjModel* m = mj_loadXML(file.c_str(), vfs.get(), error, sizeof error);
  mj_deleteVFS(vfs.get());
  if (!m) throw std::runtime_error("MuJoCo cannot load " + file + ": " + error);
  apply_mujoco131_inertia(m, total_mass_of(name));
  return m;
}

}  // namespace

const std::string& mujoco_model_xml(const std::string& name) {
  const std::string* xml = find_mjcf_source(name);
  if (!xml) throw InputError("no MuJoCo model named '" + name + "'");
  return *xml;
}

std::vector<std::string> mujoco_model_names() { return mjcf_source_names(); }

const mjModel* mujoco_model(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<mjModel, void (*)(mjModel*)>> models;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = models.find(name);
  if (it == models.end())
    it = models.emplace(name, std::unique_ptr<mjModel, void (*)(mjModel*)>(load_model(name), mj_deleteModel)).first;
  return it->second.get();
}

}  // namespace lbb::imitation
