// libFuzzer target for the safetensors reader (tensor/safetensors.cpp). Build and run it with scripts/fuzz.sh.
//
// Any byte string must either parse or raise glimpse::Error: a crash, a sanitizer report, a hang, a huge allocation
// or any other exception is a bug. When the bytes do parse, writing the result and reading it back must give the same
// tensors, and writing that again the very same bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "tensor/safetensors.h"

namespace {

// Same names, dtypes, shapes, metadata and bytes.
bool same(const glimpse::NamedTensors& a, const glimpse::NamedTensors& b) {
  if (a.size() != b.size() || a.metadata != b.metadata) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& [name_a, ta] = a.tensors[i];
    const auto& [name_b, tb] = b.tensors[i];
    if (name_a != name_b || ta.dtype() != tb.dtype() || !(ta.shape() == tb.shape())) return false;
    const size_t nbytes = static_cast<size_t>(ta.numel() * glimpse::dtype_size(ta.dtype()));
    if (nbytes > 0 && std::memcmp(ta.raw_data(), tb.raw_data(), nbytes) != 0) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  glimpse::NamedTensors parsed;
  try {
    parsed = glimpse::parse_safetensors(bytes, "fuzz input");
  } catch (const glimpse::Error&) {
    return 0;  // rejected cleanly: the expected outcome for almost every input
  }
  // Accepted: the round trip must be exact. Errors here are bugs, so they are not caught.
  const std::string written = glimpse::serialize_safetensors(parsed);
  const glimpse::NamedTensors again = glimpse::parse_safetensors(written, "re-serialized fuzz input");
  if (!same(parsed, again) || glimpse::serialize_safetensors(again) != written) std::abort();
  return 0;
}
