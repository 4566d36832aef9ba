// The attention zoo's entries: every attention glimpse has, run on the same queries, keys and values.
#pragma once

#include <string>
#include <vector>

#include "glimpse.h"

namespace zoo {

// The shared inputs: source tokens as keys (= values), target tokens as queries that resemble their aligned source
// word (so a score that compares well finds the alignment).
struct Inputs {
  std::vector<std::string> source, target, padded_source;
  std::vector<int64_t> alignment;  // target i is the translation of source alignment[i]
  glimpse::Variable keys;          // [1, 7, 16]
  glimpse::Variable queries;       // [1, 5, 16]
  glimpse::Variable padded_keys;   // [1, 7, 16]: "I love learning" and 4 padding positions
  int64_t padded_length = 3;
};
Inputs make_inputs();

struct Entry {
  std::string key = "";      // file stem: additive.svg
  std::string name = "";     // "additive (Bahdanau)"
  std::string formula = "";  // the score, as text
  std::string purpose = "";  // one sentence: what it is for
  std::string note = "";     // how the layer's weights were set (trained for alignment, or untrained)
  glimpse::Tensor weights = {};  // [rows, cols]
  std::vector<std::string> rows = {}, cols = {};
};

struct Training {
  double first_loss = 0, last_loss = 0;  // summed over the layers trained to align
  int layers = 0;
};

// Runs every variant; the layers with parameters are trained `steps` Adam steps to put weight on the aligned word.
std::vector<Entry> build(const Inputs& in, int steps, Training& training);

// The first tutorial's snippet: encoder outputs [5, 1, 16] (time-major) and a decoder hidden state [1, 1, 16] through
// additive attention -> weights [1, 5] summing to 1. Returns the printed text; sets the weights.
std::string tutorial_snippet(glimpse::Tensor& weights);

// Weights as a text table with the tokens as headers.
std::string text_table(const Entry& e);

}  // namespace zoo
