// data::TextBlocks: the random contiguous block sampler, the train/validation split, reading a text file.
#include "data/text_blocks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace glimpse::data {

TextBlocks::TextBlocks(Tensor ids, int64_t block_size) : ids_(std::move(ids)), block_size_(block_size) {
  check(ids_.defined() && ids_.dtype() == kInt64 && ids_.dim() == 1,
        "TextBlocks: ids must be a 1-d int64 tensor of token ids, got {}",
        ids_.defined() ? fmt::format("{} ({})", ids_.shape(), dtype_name(ids_.dtype())) : "undefined");
  num_tokens_ = ids_.numel();
  check_sizes();
  ids_ = ids_.contiguous();
  const int64_t* p = ids_.data<int64_t>();
  if (std::all_of(p, p + num_tokens_, [](int64_t id) { return id >= 0 && id < 256; })) {
    bytes_.assign(p, p + num_tokens_);  // every id fits a byte: keep those and let the int64 tensor go
    ids_ = Tensor();
  }
}

TextBlocks::TextBlocks(std::vector<uint8_t> ids, int64_t block_size)
    : bytes_(std::move(ids)), num_tokens_(static_cast<int64_t>(bytes_.size())), block_size_(block_size) {
  check_sizes();
}

void TextBlocks::check_sizes() const {
  check(block_size_ >= 1, "TextBlocks: block_size must be >= 1, got {}", block_size_);
  check(num_tokens_ > block_size_,
        "TextBlocks: {} tokens are too few for blocks of {} (a block and its next token need {}); use a longer text "
        "or a smaller block_size", num_tokens_, block_size_, block_size_ + 1);
}

int64_t TextBlocks::stream_bytes() const {
  return ids_.defined() ? ids_.numel() * static_cast<int64_t>(sizeof(int64_t)) : static_cast<int64_t>(bytes_.size());
}

// -> x, y: [B, T]
Batch TextBlocks::sample(int64_t batch_size, Generator& gen) const {
  check(batch_size >= 1, "TextBlocks.sample: batch_size must be >= 1, got {}", batch_size);
  const int64_t T = block_size_;
  Tensor x = empty({batch_size, T}, kInt64), y = empty({batch_size, T}, kInt64);
  int64_t* px = x.data<int64_t>();
  int64_t* py = y.data<int64_t>();
  for (int64_t b = 0; b < batch_size; ++b) {
    const int64_t start = gen.integer(0, num_tokens_ - T);
    if (ids_.defined()) {
      const int64_t* src = ids_.data<int64_t>() + start;
      std::copy(src, src + T, px + b * T);
      std::copy(src + 1, src + T + 1, py + b * T);
    } else {
      const uint8_t* src = bytes_.data() + start;  // widened to int64 as they are copied
      std::copy(src, src + T, px + b * T);
      std::copy(src + 1, src + T + 1, py + b * T);
    }
  }
  return {x, y};
}

namespace {
// int(N * train_fraction), as nanoGPT, after checking the fraction.
int64_t train_count(int64_t n, double train_fraction) {
  check(train_fraction > 0.0 && train_fraction < 1.0, "split_train_val: train_fraction must be in (0, 1), got {}",
        train_fraction);
  return static_cast<int64_t>(static_cast<double>(n) * train_fraction);
}
}  // namespace

// ids: [N] -> [n], [N - n]
std::pair<Tensor, Tensor> split_train_val(const Tensor& ids, double train_fraction) {
  check(ids.defined() && ids.dim() == 1, "split_train_val: ids must be 1-d, got {}",
        ids.defined() ? fmt::format("{}", ids.shape()) : "undefined");
  const int64_t n = train_count(ids.numel(), train_fraction);
  return {ids.narrow(0, 0, n), ids.narrow(0, n, ids.numel() - n)};
}

std::pair<std::vector<uint8_t>, std::vector<uint8_t>> split_train_val(std::vector<uint8_t> ids,
                                                                      double train_fraction) {
  const auto n = static_cast<size_t>(train_count(static_cast<int64_t>(ids.size()), train_fraction));
  std::vector<uint8_t> val(ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end());
  ids.resize(n);
  ids.shrink_to_fit();
  return {std::move(ids), std::move(val)};
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw Error(fmt::format("cannot read the text file \"{}\": {}; pass the file with --data", path,
                            std::strerror(errno)));
  }
  // One string of the file's size, read into directly: a stringstream would grow its buffer by doubling and then
  // copy it out, three times the text's size at the peak and a heap left fragmented behind it.
  const std::streamoff size = in.tellg();
  check(size >= 0, "cannot tell the size of the text file \"{}\"; pass a regular file with --data", path);
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(text.data(), size);
  check(in.gcount() == size, "reading the text file \"{}\" stopped after {} of {} bytes", path, in.gcount(), size);
  return text;
}

}  // namespace glimpse::data
