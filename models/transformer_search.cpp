// models::Transformer decoding: greedy (with or without the decoder cache) and beam search, batched, each emitted
// token with the last decoder layer's cross-attention (averaged over heads). The beam search is models/beam_search.h's
// (shared with Seq2Seq) around this model's cached decoder step, so beam 1 is exactly greedy.
#include "autograd/grad_mode.h"
#include "data/vocab.h"
#include "models/beam_search.h"
#include "models/transformer.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse::models {
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
    w = w.contiguous();
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
  std::vector<int64_t> repeat(R);
  for (int64_t r = 0; r < R; ++r) repeat[r] = r / K;
  const Tensor rep = tensor(repeat, {R});
  // Row b·K + k is beam k of sentence b. The cross-attention keys are the same for a sentence's K rows and never
  // need reordering; the self-attention cache follows each beam's parent.
  const Encoded enc{Variable(index_select(enc1.memory.data(), 0, rep)), index_select(enc1.padding, 0, rep), {}};
  TransformerCache cache = make_cache(enc, o.max_len);
  return beam_search_rows(
      B, lengths, o,
      [&](const std::vector<int64_t>& next, int64_t) {
        BeamStep s;
        s.logp = step(tensor(next, {R}), cache, &s.weights);
        return s;
      },
      [&](const Tensor& parent) {  // each row continues its parent's prefix
        for (size_t l = 0; l < cache.self_k.size(); ++l) {
          cache.self_k[l] = index_select(cache.self_k[l], 0, parent);
          cache.self_v[l] = index_select(cache.self_v[l], 0, parent);
        }
      });
}

}  // namespace glimpse::models
