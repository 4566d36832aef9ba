// Corpus BLEU (Papineni et al., 2002) with one reference per sentence, as the translation protocol scores:
//   BLEU = BP · exp(Σ_{n=1..N} (1/N) log p_n)          ×100 in the result line
//   p_n = Σ_sentences clipped n-gram matches / Σ_sentences hypothesis n-grams   (corpus-level sums, not averages)
//   BP  = 1 if c > r else exp(1 - r/c)                   c, r = total hypothesis and reference lengths
// No smoothing: if any p_n is 0 (or the hypotheses are empty) the score is 0, as sacrebleu's and NLTK's corpus_bleu
// without smoothing. "Clipped" means an n-gram counts at most as often as it occurs in the reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse::data {

struct BleuStats {
  std::vector<int64_t> matches, totals;  // per n = 1..N: clipped matches and hypothesis n-grams
  int64_t hyp_length = 0, ref_length = 0;
  double precision(int n) const;         // p_n (n from 1), 0 when there are no n-grams
  double brevity_penalty() const;
  double score() const;                  // in [0, 1]
};

using Sentence = std::vector<std::string>;

// hypotheses[i] is scored against references[i]; an Error if the counts differ.
BleuStats bleu_stats(const std::vector<Sentence>& hypotheses, const std::vector<Sentence>& references, int max_n = 4);
// bleu_stats(...).score() * 100
double corpus_bleu(const std::vector<Sentence>& hypotheses, const std::vector<Sentence>& references, int max_n = 4);

}  // namespace glimpse::data
