// pad_batch: sequences of ids -> one padded [B, T] int64 tensor and the real lengths.
#include "data/batch.h"

#include <algorithm>

#include "data/vocab.h"

namespace glimpse::data {

// seqs: B lists of ids -> ids [B, T], lengths
PaddedBatch pad_batch(const std::vector<std::vector<int64_t>>& seqs, const PadOptions& options) {
  const int64_t B = static_cast<int64_t>(seqs.size());
  const int64_t extra = (options.prepend_bos ? 1 : 0) + (options.append_eos ? 1 : 0);
  PaddedBatch out;
  int64_t T = 0;
  for (const auto& s : seqs) {
    out.lengths.push_back(static_cast<int64_t>(s.size()) + extra);
    T = std::max(T, out.lengths.back());
  }
  out.ids = full({B, T}, static_cast<double>(options.pad_id), kInt64);
  int64_t* p = out.ids.data<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t* row = p + b * T;
    if (options.prepend_bos) *row++ = Vocab::kBos;
    row = std::copy(seqs[b].begin(), seqs[b].end(), row);
    if (options.append_eos) *row = Vocab::kEos;
  }
  return out;
}

}  // namespace glimpse::data
