// Finding model files and the other shipped files: --model, $LBB_MODEL, the directories of
// $LBB_MODEL_PATH and the shipped models — found relative to the executable, never by an
// absolute source path: <bin>/../share/lbb/ when installed, <build>/../ in a build tree.
#pragma once

#include <string>
#include <vector>

#include "coding/compression.h"

namespace lbb {

// The path of a shipped file such as "models/fmnist.lbbm" or "configs/fmnist_flowpp.cfg":
// the first of <dir of the executable>/../share/lbb/<rel> and <dir>/../<rel> that exists (the
// first candidate if none does, so that the error names it).
std::string shipped_file(const std::string& rel);

// The model used when --model is omitted where one model is meant (eval, sample, bench):
// $LBB_MODEL, else the shipped Fashion-MNIST model.
std::string default_model_file();

// Every model file to consider, in order: $LBB_MODEL if set, then the *.lbbm files of each
// $LBB_MODEL_PATH directory (colon-separated) and of the shipped models directory, each
// directory sorted by name; no file twice.
std::vector<std::string> candidate_model_files();

// The model that coded `c` (by model id) among candidate_model_files(); throws InputError
// "<name>: made with model id X, which none of ... is (use --model)".
CodingModel find_model_for(const Container& c, const std::string& name);

}  // namespace lbb
