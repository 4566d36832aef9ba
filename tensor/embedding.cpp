// The embedding lookup and its backward: rows of a [V, D] table picked by int64 ids, and the gradient summed back
// into the table by id. Ids are checked against the table before anything is written (tensor/index_check.h).
#include <cstring>

#include "tensor/index_check.h"
#include "tensor/indexing.h"

namespace glimpse {

using detail::check_int64_index;
using detail::check_range;

// ids: [*] int64, weight: [V, D] -> [*, D]
Tensor embedding(const Tensor& ids, const Tensor& weight) {
  check_int64_index(ids, "embedding", "ids");
  check_defined(weight, "embedding");
  check(weight.dim() == 2, "embedding: weight must be a [num_embeddings, dim] table, got shape {}", weight.shape());
  const int64_t V = weight.size(0), D = weight.size(1);
  Tensor idx = ids.contiguous();
  const int64_t count = idx.numel();
  const int64_t* ip = idx.data<int64_t>();
  check_range(ip, count, V, "embedding", "id", [&] { return fmt::format("weight {} ({} rows)", weight.shape(), V); });

  Shape shape = ids.shape();
  check(shape.size() < kMaxDims, "embedding: ids shape {} leaves no room for the embedding dim (max {} dims)", shape,
        kMaxDims);
  shape.push_back(D);
  Tensor out = empty(shape, weight.dtype());
  if (out.numel() == 0) return out;
  const int64_t rs = weight.strides()[0], cs = weight.strides()[1];
  dispatch(weight.dtype(), [&]<class T>() {
    const T* w = weight.data<T>();
    T* o = out.data<T>();
    if (cs == 1 || D == 1) {  // rows are contiguous: one memcpy per id
      for (int64_t i = 0; i < count; ++i) std::memcpy(o + i * D, w + ip[i] * rs, static_cast<size_t>(D) * sizeof(T));
    } else {
      for (int64_t i = 0; i < count; ++i) {
        const T* row = w + ip[i] * rs;
        for (int64_t j = 0; j < D; ++j) o[i * D + j] = row[j * cs];
      }
    }
  });
  return out;
}

// ids: [*], grad: [*, D] -> [V, D]: row v is the sum of grad's rows whose id is v
Tensor embedding_backward(const Tensor& ids, const Tensor& grad, int64_t num_embeddings) {
  check_int64_index(ids, "embedding_backward", "ids");
  check_defined(grad, "embedding_backward");
  check(num_embeddings >= 0, "embedding_backward: num_embeddings must be non-negative (got {})", num_embeddings);
  Shape expected = ids.shape();
  check(grad.dim() == ids.dim() + 1 && std::equal(expected.begin(), expected.end(), grad.shape().begin()),
        "embedding_backward: grad shape {} does not match ids shape {}; expected ids' shape plus one dim [*, D]",
        grad.shape(), ids.shape());
  const int64_t V = num_embeddings, D = grad.size(-1);
  Tensor idx = ids.contiguous();
  const int64_t count = idx.numel();
  const int64_t* ip = idx.data<int64_t>();
  check_range(ip, count, V, "embedding_backward", "id", [&] { return fmt::format("a table of {} rows", V); });

  Tensor out = zeros({V, D}, grad.dtype());
  if (count == 0 || D == 0) return out;
  Tensor g = grad.reshape({count, D});  // a view for the usual contiguous grad
  const int64_t gr = g.strides()[0], gc = g.strides()[1];
  dispatch(grad.dtype(), [&]<class T>() {
    const T* src = g.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < count; ++i) {
      T* row = o + ip[i] * D;
      const T* gi = src + i * gr;
      if (gc == 1) {
        for (int64_t j = 0; j < D; ++j) row[j] += gi[j];
      } else {
        for (int64_t j = 0; j < D; ++j) row[j] += gi[j * gc];
      }
    }
  });
  return out;
}

}  // namespace glimpse
