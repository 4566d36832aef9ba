// The batching both trainers share (train.cpp for the LSTM, transformer_run.cpp for the Transformer): pairs to padded
// id tensors, each epoch's training batches, slices of TEST, ids to words, and the teacher-forced TEST loss.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

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

EpochBatches::EpochBatches(const Corpus& c, int64_t batch_size, uint64_t seed, int64_t epoch)
    : corpus_(c), batch_size_(batch_size), gen_(seed * 1000003 + static_cast<uint64_t>(epoch)), order_(c.train.size()) {
  std::iota(order_.begin(), order_.end(), 0);
  for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[gen_.next_u64() % i]);
}

Batch EpochBatches::batch(int64_t index) {
  if (corpus_.synthetic) {
    const std::vector<Pair> fresh = reverse_batch(corpus_, batch_size_, gen_);
    std::vector<const Pair*> pairs;
    for (const Pair& p : fresh) pairs.push_back(&p);
    return make_batch(pairs);  // copies the ids: `fresh` may go
  }
  std::vector<const Pair*> pairs;
  const size_t first = static_cast<size_t>(index * batch_size_);
  for (size_t k = first; k < std::min(first + static_cast<size_t>(batch_size_), order_.size()); ++k) {
    pairs.push_back(&corpus_.train[order_[k]]);
  }
  return make_batch(pairs);
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
