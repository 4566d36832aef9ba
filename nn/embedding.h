// nn::Embedding: a lookup table of learned vectors, one row per token id (torch.nn.Embedding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nn/module.h"

namespace glimpse::nn {

class Embedding : public Module {
 public:
  // weight: [num_embeddings, embedding_dim] ~ N(0, 1), as PyTorch. padding_idx (may be negative, counting from the
  // end) names a row that stays zero: it is zeroed at construction and never receives a gradient, so padding tokens
  // contribute nothing however long training runs.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt);

  // ids: [*] int64 -> [*, embedding_dim]. Ids outside [0, num_embeddings) are an Error.
  Variable forward(const Tensor& ids) const;
  // The same for ids carried in a Variable (so an Embedding can start a Sequential); ids: [*] -> [*, embedding_dim]
  Variable forward(const Variable& ids) const { return forward(ids.data()); }

  std::string extra_repr() const override;  // "10, 3, padding_idx=0"

  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;  // stored wrapped to [0, num_embeddings)
  Variable weight;
};

}  // namespace glimpse::nn
