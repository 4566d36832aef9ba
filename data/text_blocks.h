// data::TextBlocks: a token stream sampled as random contiguous blocks for language modelling (nanoGPT's get_batch):
// x is a block of T tokens starting anywhere, y the same block shifted by one, so each position learns to predict the
// next token.
//
//   std::string text = data::read_text_file(path);
//   auto [train_ids, val_ids] = data::split_train_val(vocab.encode_tensor(text), 0.9);   // first 90 % / last 10 %
//   data::TextBlocks train(train_ids, 64);
//   auto [x, y] = train.sample(12, gen);                    // x, y: [12, 64] int64
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "tensor/random.h"

namespace glimpse::data {

struct Batch {
  Tensor x;  // [B, T] int64: the inputs
  Tensor y;  // [B, T] int64: the targets, x shifted left by one token
};

class TextBlocks {
 public:
  // ids: [N] int64 with N > block_size (at least one block and its next token).
  TextBlocks(Tensor ids, int64_t block_size);
  // B blocks with starts drawn uniformly from [0, N - block_size), as torch.randint(len(data) - block_size, (B,)).
  Batch sample(int64_t batch_size, Generator& gen = default_generator()) const;

  int64_t num_tokens() const { return ids_.numel(); }
  int64_t block_size() const { return block_size_; }

 private:
  Tensor ids_;
  int64_t block_size_;
};

// ids: [N] -> (the first round(N * train_fraction) ids, the rest): nanoGPT's int(n * 0.9) split, without shuffling
// (the validation text is a later, unseen part of the book).
std::pair<Tensor, Tensor> split_train_val(const Tensor& ids, double train_fraction = 0.9);

// The whole file as bytes; a clear Error when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace glimpse::data
