// Corpus BLEU: clipped n-gram counts summed over the corpus, geometric mean, brevity penalty (see bleu.h).
#include "data/bleu.h"

#include <cmath>
#include <map>

#include "tensor/error.h"

namespace glimpse::data {
namespace {

std::map<std::vector<std::string>, int64_t> ngram_counts(const Sentence& s, int n) {
  std::map<std::vector<std::string>, int64_t> counts;
  for (size_t i = 0; i + n <= s.size(); ++i) ++counts[Sentence(s.begin() + i, s.begin() + i + n)];
  return counts;
}

}  // namespace

double BleuStats::precision(int n) const {
  const int64_t t = totals.at(n - 1);
  return t == 0 ? 0.0 : static_cast<double>(matches.at(n - 1)) / static_cast<double>(t);
}

double BleuStats::brevity_penalty() const {
  if (hyp_length == 0) return 0.0;
  if (hyp_length > ref_length) return 1.0;
  return std::exp(1.0 - static_cast<double>(ref_length) / static_cast<double>(hyp_length));
}

double BleuStats::score() const {
  double log_sum = 0.0;
  const int N = static_cast<int>(totals.size());
  for (int n = 1; n <= N; ++n) {
    const double p = precision(n);
    if (p == 0.0) return 0.0;  // no smoothing: log 0
    log_sum += std::log(p) / N;
  }
  return brevity_penalty() * std::exp(log_sum);
}

BleuStats bleu_stats(const std::vector<Sentence>& hypotheses, const std::vector<Sentence>& references, int max_n) {
  check(hypotheses.size() == references.size(), "corpus_bleu: {} hypotheses but {} references; give one reference "
        "per hypothesis", hypotheses.size(), references.size());
  check(max_n >= 1, "corpus_bleu: max_n must be >= 1, got {}", max_n);
  BleuStats st;
  st.matches.assign(max_n, 0);
  st.totals.assign(max_n, 0);
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    const Sentence &h = hypotheses[i], &r = references[i];
    st.hyp_length += static_cast<int64_t>(h.size());
    st.ref_length += static_cast<int64_t>(r.size());
    for (int n = 1; n <= max_n; ++n) {
      if (h.size() < static_cast<size_t>(n)) continue;
      st.totals[n - 1] += static_cast<int64_t>(h.size()) - n + 1;
      const auto ref_counts = ngram_counts(r, n);
      for (const auto& [gram, count] : ngram_counts(h, n)) {
        auto it = ref_counts.find(gram);
        if (it != ref_counts.end()) st.matches[n - 1] += std::min(count, it->second);
      }
    }
  }
  return st;
}

double corpus_bleu(const std::vector<Sentence>& hypotheses, const std::vector<Sentence>& references, int max_n) {
  return bleu_stats(hypotheses, references, max_n).score() * 100.0;
}

}  // namespace glimpse::data
