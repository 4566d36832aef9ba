// Padding a batch of token-id sequences into one int64 tensor, with the real lengths the recurrent layers take.
//
//   data::PaddedBatch src = data::pad_batch({{5, 6, 7}, {8}}, {.append_eos = true});
//   // src.ids = [[5, 6, 7, 2], [8, 2, 0, 0]], src.lengths = {4, 2}
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace glimpse::data {

struct PadOptions {
  bool prepend_bos = false;  // put <bos> (id 1) before every sequence
  bool append_eos = false;   // put <eos> (id 2) after every sequence
  int64_t pad_id = 0;
};

struct PaddedBatch {
  Tensor ids;                    // [B, T] int64, padded at the end with pad_id; T = the longest (with bos/eos)
  std::vector<int64_t> lengths;  // B real lengths (bos/eos included)
};

// seqs: B lists of ids -> ids [B, max length], lengths
PaddedBatch pad_batch(const std::vector<std::vector<int64_t>>& seqs, const PadOptions& options = {});

}  // namespace glimpse::data
