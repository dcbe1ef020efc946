// Finding model files: --model, $LBB_MODEL, the directories of $LBB_MODEL_PATH and the
// shipped models (models/*.lbbm).
#pragma once

#include <string>
#include <vector>

#include "coding/compression.h"

namespace lbb {

// Every model file to consider, in order: $LBB_MODEL if set, then the *.lbbm files of each
// $LBB_MODEL_PATH directory (colon-separated) and of the shipped models directory, each
// directory sorted by name; no file twice.
std::vector<std::string> candidate_model_files();

// The model that coded `c` (by model id) among candidate_model_files(); throws InputError
// "<name>: made with model id X, which none of ... is (use --model)".
CodingModel find_model_for(const Container& c, const std::string& name);

}  // namespace lbb
