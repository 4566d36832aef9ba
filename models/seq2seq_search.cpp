// models::Seq2Seq decoding: greedy and beam search, batched, each emitted token with its attention weights.
//
// Beam search keeps beam_size live hypotheses per sentence as rows of one batch of B·K rows (the encoder's output
// repeated K times), so every step is one decode_step for the whole batch. At each step a sentence's 2K best
// continuations are examined best first: one ending in <eos> among the first K is set aside as finished, the others
// refill the K live beams. A sentence stops when it has K finished hypotheses; at max_len its live beams count as
// (unfinished) hypotheses too. The winner has the best log_prob / length^length_penalty. With K = 1 this is exactly
// greedy decoding (the single best continuation is either <eos>, which finishes, or the next live beam).
#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "autograd/ops_shape.h"
#include "data/vocab.h"
#include "models/seq2seq.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse::models {
namespace {

// The attention row of batch row r, cut to the sentence's real source length.
std::vector<float> weights_row(const Tensor& w, int64_t r, int64_t length) {
  if (!w.defined()) return {};
  const float* p = w.data<float>() + r * w.size(1);
  return std::vector<float>(p, p + length);
}

// Rows `index` of every part of the decoder's input (beam reordering and the K-fold repeat of the encoder's output).
Seq2Seq::DecoderState select_rows(const Seq2Seq::DecoderState& s, const Tensor& index) {
  Seq2Seq::DecoderState out{{index_select(s.lstm.first, 0, index), index_select(s.lstm.second, 0, index)}, Variable()};
  if (s.context.defined()) out.context = index_select(s.context, 0, index);
  return out;
}

}  // namespace

std::vector<Hypothesis> Seq2Seq::greedy(const Tensor& src, const std::vector<int64_t>& lengths,
                                        const GreedyOptions& o) const {
  check(o.max_len >= 1, "Seq2Seq.greedy: max_len must be >= 1, got {}", o.max_len);
  NoGradGuard no_grad;
  const Encoded enc = encode(src, lengths);
  const int64_t B = src.size(0);
  DecoderState state = initial_state(enc);
  std::vector<Hypothesis> hyps(B);
  std::vector<int64_t> next(B, data::Vocab::kBos);
  int64_t alive = B;
  for (int64_t t = 0; t < o.max_len && alive > 0; ++t) {
    StepOutput so = decode_step(embed_gates(tensor(next, {B, 1})).select(1, 0), state, enc, t);
    const Tensor logp = log_softmax(so.logits.data().to(kFloat32), 1).contiguous();
    const Tensor best = argmax(logp, 1);  // first of ties
    const Tensor w = so.weights.defined() ? so.weights.data().to(kFloat32).contiguous() : Tensor();
    const int64_t V = logp.size(1);
    for (int64_t b = 0; b < B; ++b) {
      Hypothesis& h = hyps[b];
      if (h.finished) continue;
      const int64_t tok = best.data<int64_t>()[b];
      h.log_prob += logp.data<float>()[b * V + tok];
      h.weights.push_back(weights_row(w, b, lengths[b]));
      if (tok == data::Vocab::kEos) {
        h.finished = true;
        --alive;
      } else {
        h.tokens.push_back(tok);
      }
      next[b] = tok;
    }
    state = so.state;
  }
  return hyps;
}

std::vector<Hypothesis> Seq2Seq::beam_search(const Tensor& src, const std::vector<int64_t>& lengths,
                                             const BeamOptions& o) const {
  check(o.beam_size >= 1 && o.max_len >= 1, "Seq2Seq.beam_search: beam_size ({}) and max_len ({}) must be >= 1",
        o.beam_size, o.max_len);
  NoGradGuard no_grad;
  const Encoded enc1 = encode(src, lengths);
  const int64_t B = src.size(0), K = o.beam_size, R = B * K;
  constexpr double kDead = -std::numeric_limits<double>::infinity();

  // Row b·K + k is beam k of sentence b: repeat the encoder's output K times.
  std::vector<int64_t> repeat(R);
  for (int64_t r = 0; r < R; ++r) repeat[r] = r / K;
  const Tensor rep = tensor(repeat, {R});
  Encoded enc{index_select(enc1.states, 0, rep), index_select(enc1.keys, 0, rep),
              index_select(enc1.padding, 0, rep), {}, {}};
  for (int64_t r = 0; r < R; ++r) enc.lengths.push_back(lengths[repeat[r]]);
  DecoderState state = select_rows(initial_state(enc1), rep);

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
    StepOutput so = decode_step(embed_gates(tensor(next, {R, 1})).select(1, 0), state, enc, t);
    const Tensor logp = log_softmax(so.logits.data().to(kFloat32), 1).contiguous();
    const Tensor w = so.weights.defined() ? so.weights.data().to(kFloat32).contiguous() : Tensor();
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
    state = select_rows(so.state, tensor(parent, {R}));
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
