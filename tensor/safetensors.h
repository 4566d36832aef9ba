// Checkpoint files in the safetensors format (https://github.com/huggingface/safetensors), readable by PyTorch,
// NumPy and the Hugging Face tools, and safe to open even when they come from someone you do not trust.
//
// A file is three parts, back to back:
//   8 bytes   N, the header length, as a little-endian unsigned 64-bit integer
//   N bytes   a JSON object, padded with spaces to a multiple of 8:
//               {"__metadata__": {"step": "1000"},
//                "wte": {"dtype": "F32", "shape": [65, 64], "data_offsets": [0, 16640]}, ...}
//   the data  every tensor's elements, row-major and little-endian, at [begin, end) bytes from the start of the data
//
// glimpse reads and writes the dtypes it has: F32, F64, I64, and the storage dtypes F16 (IEEE half) and BF16
// (bfloat16), whose bytes are the same little-endian 16-bit patterns PyTorch and NumPy use. Reading checks everything
// the header claims against the bytes actually present before allocating anything, so a corrupt or hostile file raises
// glimpse::Error naming the file, the tensor and the problem, and never crashes or makes a huge allocation.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace glimpse {

// A named collection of tensors in insertion order (the order they are written in), plus free-form string metadata.
// An aggregate, so it can be built in place:
//   NamedTensors named{.tensors = {{"w", w}, {"b", b}}, .metadata = {{"step", "1000"}}};
struct NamedTensors {
  std::vector<std::pair<std::string, Tensor>> tensors = {};
  std::map<std::string, std::string> metadata = {};

  void add(std::string name, Tensor t) { tensors.emplace_back(std::move(name), std::move(t)); }
  // The tensor called `name`, or nullptr. A linear scan: checkpoints hold tens to thousands of tensors, and a
  // caller that looks up every one of them can build its own map.
  const Tensor* find(std::string_view name) const;
  Tensor* find(std::string_view name);
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // The tensor called `name`, or an Error listing the names there are.
  const Tensor& at(std::string_view name) const;
  size_t size() const { return tensors.size(); }
  // A copy in which every floating-point tensor (float32, float64, float16, bfloat16) is converted to `dtype`, a
  // floating dtype: how a checkpoint is stored at half size (or widened back). int64 tensors (step counts, token ids)
  // are kept as they are; so is the metadata. Tensors already in `dtype` are shared, not copied.
  NamedTensors to(DType dtype) const;
  bool empty() const { return tensors.empty(); }
};

// Writes `named` to `path` atomically: the bytes go to "<path>.tmp.<pid>", are flushed to disk (fsync), and the
// temporary file is then renamed over `path`. A crash or error part way through leaves any previous file at `path`
// untouched and removes the temporary file. Non-contiguous tensors are written as their row-major values.
// Throws Error for duplicate names, the reserved name "__metadata__", undefined tensors, strings that are not
// UTF-8, and any I/O failure (with the system's reason).
void save_safetensors(const NamedTensors& named, const std::string& path);

// Reads a whole file. Each tensor gets its own contiguous storage, so keeping one alive does not pin the others.
// Tensors come back in the order of their data in the file, which is insertion order for files glimpse wrote.
NamedTensors load_safetensors(const std::string& path);

// The same format in memory: the exact bytes save_safetensors writes, and a parser over any byte string. `source`
// only names the bytes in error messages (a file name, a URL, ...).
std::string serialize_safetensors(const NamedTensors& named);
NamedTensors parse_safetensors(std::string_view bytes, std::string_view source = "<memory>");

}  // namespace glimpse
