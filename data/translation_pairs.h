// Reading a tab-separated parallel corpus (Tatoeba's eng-fra.tsv: `english<TAB>french` per line) and the
// protocol's split of issue 12: line i (0-based) with i % 10 == 9 is TEST, every other line is TRAIN.
//
//   data::TranslationCorpus corpus = data::read_translation_pairs("../shared/data/eng-fra.tsv");
//   data::TranslationSplit split = data::split_every_tenth(corpus);   // 16,259 train, 1,806 test
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse::data {

struct TranslationPair {
  std::string source, target;                            // the raw text of the two columns
  std::vector<std::string> source_tokens, target_tokens;  // data::tokenize of each
  int64_t line = 0;                                       // 0-based line number in the file
};

using TranslationCorpus = std::vector<TranslationPair>;

// Every line `source<TAB>target` (further columns are ignored; a trailing \r is dropped). An Error names the file
// and line for a missing file, a line without a tab, or a side with no tokens.
TranslationCorpus read_translation_pairs(const std::string& path);

struct TranslationSplit {
  TranslationCorpus train, test;
};

// line % 10 == 9 -> test, else train (file order kept in both)
TranslationSplit split_every_tenth(const TranslationCorpus& corpus);

}  // namespace glimpse::data
