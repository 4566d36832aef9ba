// data::TextBlocks: a token stream sampled as random contiguous blocks for language modelling (nanoGPT's get_batch):
// x is a block of T tokens starting anywhere, y the same block shifted by one, so each position learns to predict the
// next token.
//
//   std::string text = data::read_text_file(path);
//   auto [train_ids, val_ids] = data::split_train_val(vocab.encode_bytes(text), 0.9);   // first 90 % / last 10 %
//   data::TextBlocks train(std::move(train_ids), 64);
//   auto [x, y] = train.sample(12, gen);                    // x, y: [12, 64] int64
//
// The stream is held in the narrowest type its ids fit: one byte per token when every id is below 256 (always so for
// a character vocabulary), else int64. Tiny shakespeare's 1.1 M tokens take 1.1 MB as bytes instead of 8.9 MB as
// int64, which was an eighth of the baby GPT's whole training footprint; the batches are int64 either way.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/random.h"

namespace glimpse::data {

struct Batch {
  Tensor x;  // [B, T] int64: the inputs
  Tensor y;  // [B, T] int64: the targets, x shifted left by one token
};

class TextBlocks {
 public:
  // ids: [N] int64 with N > block_size (at least one block and its next token). Kept as bytes if every id is in
  // [0, 256), else as given.
  TextBlocks(Tensor ids, int64_t block_size);
  // The same from ids that are bytes already (CharVocab::encode_bytes), without an int64 copy ever existing.
  TextBlocks(std::vector<uint8_t> ids, int64_t block_size);
  // B blocks with starts drawn uniformly from [0, N - block_size), as torch.randint(len(data) - block_size, (B,)).
  Batch sample(int64_t batch_size, Generator& gen = default_generator()) const;

  int64_t num_tokens() const { return num_tokens_; }
  int64_t block_size() const { return block_size_; }
  // Bytes the token stream takes (tests check the compact form).
  int64_t stream_bytes() const;

 private:
  void check_sizes() const;
  std::vector<uint8_t> bytes_;  // the ids, when they all fit a byte
  Tensor ids_;                  // else the int64 ids (contiguous)
  int64_t num_tokens_;
  int64_t block_size_;
};

// ids: [N] -> (the first round(N * train_fraction) ids, the rest): nanoGPT's int(n * 0.9) split, without shuffling
// (the validation text is a later, unseen part of the book).
std::pair<Tensor, Tensor> split_train_val(const Tensor& ids, double train_fraction = 0.9);
// The same split of byte ids (consumed: the training part reuses their buffer).
std::pair<std::vector<uint8_t>, std::vector<uint8_t>> split_train_val(std::vector<uint8_t> ids,
                                                                      double train_fraction = 0.9);

// The whole file as bytes; a clear Error when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace glimpse::data
