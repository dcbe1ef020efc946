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

// The candidates loaded, in that order, by the same rules for compress and decompress: a
// model named by $LBB_MODEL that cannot be loaded is an error (as --model's is); a file found
// in a directory that cannot be loaded is skipped with "lbb: warning: FILE: PROBLEM (skipped)".
std::vector<CodingModel> load_candidate_models();

// The candidates whose id is the one `c` stores (model_id_for its version), in order: the first
// for a file of version 9 or later (the search stops there); for version 8 and older every one
// (models with the same weights and another configuration share such an id), which the caller
// tries in turn. Models of other ids are not kept. Throws
// InputError "<name>: made with model id X, which none of the N models found has (...)".
std::vector<CodingModel> find_models_for(const Container& c, const std::string& name);

}  // namespace lbb
