// The beam search both sequence-to-sequence models share (models::Seq2Seq, models::Transformer): the bookkeeping of
// hypotheses, candidates and finished sentences, with the model's decoder step passed in as a function.
//
// B sentences, K = beam_size: row b·K + k of every step's batch is beam k of sentence b. At each step a sentence's 2K
// best continuations are examined best first (ties: lower row, then lower token): one ending in <eos> among the first
// K is set aside as finished, the others refill the K live beams. A sentence stops when it has K finished hypotheses;
// at max_len its live beams count as (unfinished) hypotheses too. The winner has the best log_prob /
// length^length_penalty. With K = 1 this is exactly greedy decoding.
//
//   auto best = models::beam_search_rows(B, lengths, options,
//       [&](const std::vector<int64_t>& next, int64_t t) { ...; return models::BeamStep{logp, weights}; },
//       [&](const Tensor& parent) { state = select_rows(state, parent); });
#pragma once

#include <functional>
#include <vector>

#include "models/seq2seq.h"  // Hypothesis, BeamOptions

namespace glimpse::models {

struct BeamStep {
  Tensor logp;     // [B·K, V] float32: log-probabilities of each row's next token
  Tensor weights;  // [B·K, S] float32 attention weights of the step, or undefined (no attention)
};

// step(next, t): next holds the B·K tokens fed at position t (<bos> at t = 0) -> that step's BeamStep.
// reorder(parent): parent [B·K] int64, row r continues row parent[r]; the caller reorders its decoder state.
// lengths: the B source lengths (each token's weights are cut to its sentence's length) -> B best hypotheses.
std::vector<Hypothesis> beam_search_rows(int64_t batch, const std::vector<int64_t>& lengths, const BeamOptions& options,
                                         const std::function<BeamStep(const std::vector<int64_t>&, int64_t)>& step,
                                         const std::function<void(const Tensor&)>& reorder);

// Row r of the [rows, S] float32 contiguous attention weights w, cut to the sentence's real source length (empty when
// w is undefined: no attention).
std::vector<float> weights_row(const Tensor& w, int64_t r, int64_t length);

}  // namespace glimpse::models
