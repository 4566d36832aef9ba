// The batching both trainers share (train.cpp for the LSTM, transformer_run.cpp for the Transformer): pairs to padded
// id tensors, slices of TEST, ids to words, and the teacher-forced TEST loss.
#include <fmt/format.h>

#include "autograd/grad_mode.h"
#include "seq2seq_example.h"

namespace glimpse::seq2seq_example {

Batch make_batch(const std::vector<const Pair*>& pairs) {
  std::vector<std::vector<int64_t>> src, tgt;
  for (const Pair* p : pairs) {
    src.push_back(p->src);
    tgt.push_back(p->tgt);
  }
  return {data::pad_batch(src), data::pad_batch(tgt, {.prepend_bos = true}), data::pad_batch(tgt, {.append_eos = true})};
}

std::vector<const Pair*> slice(const std::vector<Pair>& pairs, size_t begin, size_t end) {
  std::vector<const Pair*> out;
  for (size_t i = begin; i < std::min(end, pairs.size()); ++i) out.push_back(&pairs[i]);
  return out;
}

std::vector<std::string> words(const data::Vocab& v, const std::vector<int64_t>& ids) {
  std::vector<std::string> out;
  for (int64_t id : ids) out.push_back(v.token(id));
  return out;
}

double test_loss(const Corpus& c, const std::function<double(const Batch&)>& batch_loss) {
  NoGradGuard no_grad;
  double sum = 0, tokens = 0;
  for (size_t b = 0; b < c.test.size(); b += 128) {
    Batch batch = make_batch(slice(c.test, b, b + 128));
    double n = 0;
    for (int64_t len : batch.tgt_out.lengths) n += static_cast<double>(len);
    sum += batch_loss(batch) * n;
    tokens += n;
  }
  return sum / tokens;
}

}  // namespace glimpse::seq2seq_example
