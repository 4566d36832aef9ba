// nn::Embedding: N(0, 1) rows, lookups through the tensor layer's embedding kernel, and a padding row that never
// learns.
#include "nn/embedding.h"

#include "autograd/node.h"
#include "autograd/ops_shape.h"
#include "nn/init.h"
#include "tensor/indexing.h"

namespace glimpse::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx)
    : Module("Embedding"), num_embeddings(num_embeddings), embedding_dim(embedding_dim) {
  check(num_embeddings >= 0 && embedding_dim >= 0,
        "Embedding: num_embeddings and embedding_dim must be >= 0, got {} and {}", num_embeddings, embedding_dim);
  if (padding_idx) {
    const int64_t p = *padding_idx;
    check(p >= -num_embeddings && p < num_embeddings,
          "Embedding: padding_idx {} is out of range for {} embeddings (valid: {} to {})", p, num_embeddings,
          -num_embeddings, num_embeddings - 1);
    this->padding_idx = p < 0 ? p + num_embeddings : p;
  }
  weight = register_parameter("weight", empty({num_embeddings, embedding_dim}));
  init::normal_(weight);
  if (this->padding_idx) weight.data().select(0, *this->padding_idx).zero_();
}

// ids: [*] -> [*, D]
Variable Embedding::forward(const Tensor& ids) const {
  check(ids.defined(), "Embedding: the ids are undefined");
  if (!padding_idx) return embedding(ids, weight);  // the plain differentiable lookup (autograd/ops_shape.h)
  // With a padding row, the lookup is the same but the backward drops that row's gradient. The tensor kernel checks
  // the ids (dtype int64, each in [0, V)) and names the bad one.
  const int64_t pad = *padding_idx, rows = num_embeddings;
  return record("embedding", glimpse::embedding(ids, weight.data()), {weight},
                saved(ids), [ids, pad, rows](const Tensor& g) -> Grads {
                  Tensor grad_weight = embedding_backward(ids, g, rows);  // [*, D] summed by id into [V, D]
                  grad_weight.select(0, pad).zero_();
                  return {grad_weight};
                });
}

std::string Embedding::extra_repr() const {
  std::string s = fmt::format("{}, {}", num_embeddings, embedding_dim);
  if (padding_idx) s += fmt::format(", padding_idx={}", *padding_idx);
  return s;
}

}  // namespace glimpse::nn
