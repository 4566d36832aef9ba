// models::Seq2Seq decoding: greedy and beam search, batched, each emitted token with its attention weights.
//
// Beam search keeps beam_size live hypotheses per sentence as rows of one batch of B·K rows (the encoder's output
// repeated K times), so every step is one decode_step for the whole batch; the bookkeeping (candidates, finished
// hypotheses, length penalty) is models/beam_search.h's, shared with the Transformer. With K = 1 it is exactly greedy.
#include "autograd/grad_mode.h"
#include "autograd/ops_shape.h"
#include "data/vocab.h"
#include "models/beam_search.h"
#include "models/seq2seq.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse::models {
namespace {

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

  // Row b·K + k is beam k of sentence b: repeat the encoder's output K times.
  std::vector<int64_t> repeat(R);
  for (int64_t r = 0; r < R; ++r) repeat[r] = r / K;
  const Tensor rep = tensor(repeat, {R});
  Encoded enc{index_select(enc1.states, 0, rep), index_select(enc1.keys, 0, rep),
              index_select(enc1.padding, 0, rep), {}, {}};
  for (int64_t r = 0; r < R; ++r) enc.lengths.push_back(lengths[repeat[r]]);
  DecoderState state = select_rows(initial_state(enc1), rep);
  DecoderState after;  // the step's new state, reordered by the beams' parents before the next step
  return beam_search_rows(
      B, lengths, o,
      [&](const std::vector<int64_t>& next, int64_t t) {
        StepOutput so = decode_step(embed_gates(tensor(next, {R, 1})).select(1, 0), state, enc, t);
        after = so.state;
        return BeamStep{log_softmax(so.logits.data().to(kFloat32), 1),
                        so.weights.defined() ? so.weights.data().to(kFloat32) : Tensor()};
      },
      [&](const Tensor& parent) { state = select_rows(after, parent); });
}

}  // namespace glimpse::models
