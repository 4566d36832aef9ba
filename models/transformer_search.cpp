// models::Transformer decoding: greedy (with or without the decoder cache) and beam search, batched, each emitted
// token with the last decoder layer's cross-attention (averaged over heads). The beam search follows the rules of
// Seq2Seq::beam_search (seq2seq_search.cpp): B·K rows, 2K candidates per sentence examined best first, an <eos> among
// the first K finishes a hypothesis, a sentence stops at K finished ones, so beam 1 is exactly greedy.
#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "data/vocab.h"
#include "models/transformer.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse::models {
namespace {

std::vector<float> weights_row(const Tensor& w, int64_t r, int64_t length) {
  const Tensor row = w.contiguous();
  const float* p = row.data<float>() + r * row.size(1);
  return std::vector<float>(p, p + length);
}

}  // namespace

std::vector<Hypothesis> Transformer::greedy(const Tensor& src, const std::vector<int64_t>& lengths,
                                            const GreedyOptions& o, bool use_cache) const {
  check(o.max_len >= 1, "Transformer.greedy: max_len must be >= 1, got {}", o.max_len);
  NoGradGuard no_grad;
  const Encoded enc = encode(src, lengths);
  const int64_t B = src.size(0);
  TransformerCache cache;
  if (use_cache) cache = make_cache(enc, o.max_len);
  std::vector<Hypothesis> hyps(B);
  std::vector<int64_t> prefix(B, data::Vocab::kBos);  // [B, t + 1] row-major, for the uncached path
  std::vector<int64_t> next(B, data::Vocab::kBos);
  int64_t alive = B;
  for (int64_t t = 0; t < o.max_len && alive > 0; ++t) {
    Tensor logp, w;
    if (use_cache) {
      logp = step(tensor(next, {B}), cache, &w);
    } else {  // the whole prefix again: the reference the cache must reproduce
      std::vector<Tensor> cross;
      const Variable logits = decode(enc, tensor(prefix, {B, t + 1}), &cross);
      logp = log_softmax(logits.data().select(1, t).to(kFloat32), 1).contiguous();
      w = mean(cross.back().select(2, t).to(kFloat32), {1});  // [B, H, S] -> [B, S]
    }
    const Tensor best = argmax(logp, 1);
    const int64_t V = logp.size(1);
    std::vector<int64_t> grown;
    for (int64_t b = 0; b < B; ++b) {
      Hypothesis& h = hyps[b];
      const int64_t tok = h.finished ? static_cast<int64_t>(data::Vocab::kPad) : best.data<int64_t>()[b];
      if (!h.finished) {
        h.log_prob += logp.contiguous().data<float>()[b * V + tok];
        h.weights.push_back(weights_row(w, b, lengths[b]));
        if (tok == data::Vocab::kEos) {
          h.finished = true;
          --alive;
        } else {
          h.tokens.push_back(tok);
        }
      }
      next[b] = tok;
      grown.insert(grown.end(), prefix.begin() + b * (t + 1), prefix.begin() + (b + 1) * (t + 1));
      grown.push_back(tok);
    }
    prefix = std::move(grown);
  }
  return hyps;
}

std::vector<Hypothesis> Transformer::beam_search(const Tensor& src, const std::vector<int64_t>& lengths,
                                                 const BeamOptions& o) const {
  check(o.beam_size >= 1 && o.max_len >= 1, "Transformer.beam_search: beam_size ({}) and max_len ({}) must be >= 1",
        o.beam_size, o.max_len);
  NoGradGuard no_grad;
  const Encoded enc1 = encode(src, lengths);
  const int64_t B = src.size(0), K = o.beam_size, R = B * K;
  constexpr double kDead = -std::numeric_limits<double>::infinity();
  std::vector<int64_t> repeat(R);
  for (int64_t r = 0; r < R; ++r) repeat[r] = r / K;
  const Tensor rep = tensor(repeat, {R});
  // Row b·K + k is beam k of sentence b. The cross-attention keys are the same for a sentence's K rows and never
  // need reordering; the self-attention cache follows each beam's parent.
  const Encoded enc{Variable(index_select(enc1.memory.data(), 0, rep)), index_select(enc1.padding, 0, rep), {}};
  TransformerCache cache = make_cache(enc, o.max_len);

  struct Beam {
    Hypothesis hyp;
    double score = kDead;
  };
  std::vector<Beam> beams(R);
  for (int64_t b = 0; b < B; ++b) beams[b * K].score = 0.0;
  std::vector<std::vector<Hypothesis>> finished(B);
  std::vector<bool> done(B, false);
  std::vector<int64_t> next(R, data::Vocab::kBos);
  auto normalised = [&](const Hypothesis& h) {
    const double len = static_cast<double>(h.tokens.size() + (h.finished ? 1 : 0));
    return o.length_penalty == 0.0 ? h.log_prob : h.log_prob / std::pow(std::max(len, 1.0), o.length_penalty);
  };
  for (int64_t t = 0; t < o.max_len; ++t) {
    Tensor w;
    const Tensor logp = step(tensor(next, {R}), cache, &w).contiguous();
    const int64_t V = logp.size(1);
    std::vector<Beam> fresh(R);
    std::vector<int64_t> parent(R);
    for (int64_t r = 0; r < R; ++r) parent[r] = r;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
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
    const Tensor order = tensor(parent, {R});
    for (size_t l = 0; l < cache.self_k.size(); ++l) {  // each row continues its parent's prefix
      cache.self_k[l] = index_select(cache.self_k[l], 0, order);
      cache.self_v[l] = index_select(cache.self_v[l], 0, order);
    }
  }
  std::vector<Hypothesis> best(B);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<Hypothesis>& pool = finished[b];
    if (!done[b]) {
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
