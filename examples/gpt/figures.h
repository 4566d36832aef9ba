// examples/gpt: the pictures of a run: loss curves, and the attention of every layer and head over a text.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint.h"

namespace gpt_example {

// Training loss of every step (faint) and the evaluations' train and validation losses.
std::string loss_figure(const History& history);

// One heatmap per layer and head of the causal attention over `text` (cropped to the block): characters across (the
// keys) and down (the queries); the masked future is grey. Writes <dir>/attention/layer<l>_head<h>.svg and returns
// (svg, caption) pairs for the report. `flag` names the option the text came from, for the out-of-vocabulary error.
std::vector<std::pair<std::string, std::string>> attention_figures(glimpse::models::GPT& model,
                                                                   const glimpse::data::CharVocab& vocab,
                                                                   const std::string& text, const char* flag,
                                                                   const std::filesystem::path& dir);

// vocab.encode(text), with an out-of-vocabulary error that names the flag the text came from.
std::vector<int64_t> encode_flag(const glimpse::data::CharVocab& vocab, const std::string& text, const char* flag);

}  // namespace gpt_example
