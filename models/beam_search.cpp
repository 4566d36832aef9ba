// models::beam_search_rows: the model-independent half of beam search (see beam_search.h for the rules).
#include "models/beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/vocab.h"

namespace glimpse::models {

std::vector<float> weights_row(const Tensor& w, int64_t r, int64_t length) {
  if (!w.defined()) return {};
  const float* p = w.data<float>() + r * w.size(1);
  return std::vector<float>(p, p + length);
}

std::vector<Hypothesis> beam_search_rows(int64_t B, const std::vector<int64_t>& lengths, const BeamOptions& o,
                                         const std::function<BeamStep(const std::vector<int64_t>&, int64_t)>& step,
                                         const std::function<void(const Tensor&)>& reorder) {
  const int64_t K = o.beam_size, R = B * K;
  constexpr double kDead = -std::numeric_limits<double>::infinity();
  struct Beam {
    Hypothesis hyp;
    double score = kDead;  // log_prob, or -inf for an empty slot
  };
  std::vector<Beam> beams(R);
  for (int64_t b = 0; b < B; ++b) beams[b * K].score = 0.0;  // one live beam per sentence at the start
  std::vector<std::vector<Hypothesis>> finished(B);
  std::vector<bool> done(B, false);
  std::vector<int64_t> next(R, data::Vocab::kBos);
  auto normalised = [&](const Hypothesis& h) {
    const double len = static_cast<double>(h.tokens.size() + (h.finished ? 1 : 0));
    return o.length_penalty == 0.0 ? h.log_prob : h.log_prob / std::pow(std::max(len, 1.0), o.length_penalty);
  };

  for (int64_t t = 0; t < o.max_len; ++t) {
    BeamStep s = step(next, t);
    const Tensor logp = s.logp.contiguous();
    const Tensor w = s.weights.defined() ? s.weights.contiguous() : Tensor();
    const int64_t V = logp.size(1);
    std::vector<Beam> fresh(R);
    std::vector<int64_t> parent(R);
    for (int64_t r = 0; r < R; ++r) parent[r] = r;  // finished sentences keep their rows as they are
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      // Each live beam's 2K best tokens, then the 2K best of those: (score, row, token), best first, ties by the
      // lower row and token (so that K = 1 picks what argmax picks).
      struct Candidate {
        double score;
        int64_t row, token;
      };
      std::vector<Candidate> cands;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t r = b * K + k;
        if (beams[r].score == kDead) continue;
        const float* lp = logp.data<float>() + r * V;
        std::vector<int64_t> ids(V);
        for (int64_t v = 0; v < V; ++v) ids[v] = v;
        const int64_t n = std::min<int64_t>(2 * K, V);
        std::partial_sort(ids.begin(), ids.begin() + n, ids.end(),
                          [&](int64_t x, int64_t y) { return lp[x] > lp[y] || (lp[x] == lp[y] && x < y); });
        for (int64_t i = 0; i < n; ++i) cands.push_back({beams[r].score + lp[ids[i]], r, ids[i]});
      }
      std::stable_sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) {
        return x.score > y.score || (x.score == y.score && (x.row < y.row || (x.row == y.row && x.token < y.token)));
      });
      int64_t live = 0;
      for (size_t i = 0; i < cands.size() && live < K; ++i) {
        const Candidate& c = cands[i];
        Hypothesis h = beams[c.row].hyp;
        h.log_prob = c.score;
        h.weights.push_back(weights_row(w, c.row, lengths[b]));
        if (c.token == data::Vocab::kEos) {
          if (static_cast<int64_t>(i) < K) {
            h.finished = true;
            finished[b].push_back(std::move(h));
          }
          continue;
        }
        h.tokens.push_back(c.token);
        const int64_t r = b * K + live++;
        fresh[r] = {std::move(h), c.score};
        parent[r] = c.row;
        next[r] = c.token;
      }
      if (static_cast<int64_t>(finished[b].size()) >= K) done[b] = true;
    }
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      for (int64_t k = 0; k < K; ++k) beams[b * K + k] = std::move(fresh[b * K + k]);
    }
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    reorder(tensor(parent, {R}));
  }

  std::vector<Hypothesis> best(B);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<Hypothesis>& pool = finished[b];
    if (!done[b]) {  // max_len reached: the live beams compete too
      for (int64_t k = 0; k < K; ++k) {
        if (beams[b * K + k].score != kDead) pool.push_back(beams[b * K + k].hyp);
      }
    }
    double top = kDead;
    for (const Hypothesis& h : pool) {
      const double s = normalised(h);
      if (s > top) top = s, best[b] = h;
    }
  }
  return best;
}

}  // namespace glimpse::models
