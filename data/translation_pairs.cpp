// Reading `source<TAB>target` lines, tokenising both sides, and the every-tenth-line TEST split.
#include "data/translation_pairs.h"

#include <fstream>

#include "data/tokenizer.h"
#include "tensor/error.h"

namespace glimpse::data {

TranslationCorpus read_translation_pairs(const std::string& path) {
  std::ifstream in(path);
  check(static_cast<bool>(in), "read_translation_pairs: cannot open '{}'; pass the corpus with --data FILE "
        "(lines 'source<TAB>target')", path);
  TranslationCorpus corpus;
  std::string line;
  for (int64_t n = 0; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t tab = line.find('\t');
    check(tab != std::string::npos, "read_translation_pairs: {} line {}: no tab; every line must be "
          "'source<TAB>target'", path, n + 1);
    const size_t end = line.find('\t', tab + 1);
    TranslationPair p;
    p.source = line.substr(0, tab);
    p.target = line.substr(tab + 1, end == std::string::npos ? std::string::npos : end - tab - 1);
    p.source_tokens = tokenize(p.source);
    p.target_tokens = tokenize(p.target);
    p.line = n;
    check(!p.source_tokens.empty() && !p.target_tokens.empty(), "read_translation_pairs: {} line {}: an empty "
          "side ('{}' / '{}')", path, n + 1, p.source, p.target);
    corpus.push_back(std::move(p));
  }
  check(!corpus.empty(), "read_translation_pairs: '{}' holds no pairs", path);
  return corpus;
}

TranslationSplit split_every_tenth(const TranslationCorpus& corpus) {
  TranslationSplit split;
  for (const auto& p : corpus) (p.line % 10 == 9 ? split.test : split.train).push_back(p);
  return split;
}

}  // namespace glimpse::data
