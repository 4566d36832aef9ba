// data::TextBlocks: the random contiguous block sampler, the train/validation split, reading a text file.
#include "data/text_blocks.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace glimpse::data {

TextBlocks::TextBlocks(Tensor ids, int64_t block_size) : ids_(std::move(ids)), block_size_(block_size) {
  check(ids_.defined() && ids_.dtype() == kInt64 && ids_.dim() == 1,
        "TextBlocks: ids must be a 1-d int64 tensor of token ids, got {}",
        ids_.defined() ? fmt::format("{} ({})", ids_.shape(), dtype_name(ids_.dtype())) : "undefined");
  check(block_size_ >= 1, "TextBlocks: block_size must be >= 1, got {}", block_size_);
  check(ids_.numel() > block_size_,
        "TextBlocks: {} tokens are too few for blocks of {} (a block and its next token need {}); use a longer text "
        "or a smaller block_size", ids_.numel(), block_size_, block_size_ + 1);
  ids_ = ids_.contiguous();
}

// -> x, y: [B, T]
Batch TextBlocks::sample(int64_t batch_size, Generator& gen) const {
  check(batch_size >= 1, "TextBlocks.sample: batch_size must be >= 1, got {}", batch_size);
  const int64_t T = block_size_;
  Tensor x = empty({batch_size, T}, kInt64), y = empty({batch_size, T}, kInt64);
  const int64_t* src = ids_.data<int64_t>();
  int64_t* px = x.data<int64_t>();
  int64_t* py = y.data<int64_t>();
  for (int64_t b = 0; b < batch_size; ++b) {
    const int64_t start = gen.integer(0, ids_.numel() - T);
    std::memcpy(px + b * T, src + start, static_cast<size_t>(T) * sizeof(int64_t));
    std::memcpy(py + b * T, src + start + 1, static_cast<size_t>(T) * sizeof(int64_t));
  }
  return {x, y};
}

// ids: [N] -> [n], [N - n]
std::pair<Tensor, Tensor> split_train_val(const Tensor& ids, double train_fraction) {
  check(ids.defined() && ids.dim() == 1, "split_train_val: ids must be 1-d, got {}",
        ids.defined() ? fmt::format("{}", ids.shape()) : "undefined");
  check(train_fraction > 0.0 && train_fraction < 1.0, "split_train_val: train_fraction must be in (0, 1), got {}",
        train_fraction);
  const int64_t n = static_cast<int64_t>(static_cast<double>(ids.numel()) * train_fraction);  // int(), as nanoGPT
  return {ids.narrow(0, 0, n), ids.narrow(0, n, ids.numel() - n)};
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read the text file \"{}\": {}; pass the file with --data", path,
                            std::strerror(errno)));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace glimpse::data
