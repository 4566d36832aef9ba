// Writing safetensors checkpoints (the format is described in safetensors.h).
//
// Writing builds the header by hand (nlohmann only escapes the strings) so that it lists tensors in insertion order,
// then streams each tensor's row-major bytes straight to the file, copying only tensors that are not contiguous.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "tensor/safetensors_format.h"

namespace glimpse {
namespace {

using namespace safetensors_detail;
using json = nlohmann::json;

void write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR) continue;
    check_sys(put > 0, "save_safetensors: writing {} failed", path);
    p += put;
    n -= static_cast<size_t>(put);
  }
}

// Turns checked header entries and the bytes they describe into tensors. `read(dst, begin, n)` copies n data bytes
// ---- writing

// A string as JSON text: quoted and escaped. JSON text is UTF-8, so other bytes are an Error naming `what`.
std::string json_string(const std::string& s, std::string_view what, const char* op) {
  try {
    return json(s).dump();
  } catch (const json::exception&) {
    throw Error(fmt::format("{}: {} {} is not valid UTF-8; JSON (and so safetensors) needs UTF-8 strings", op, what,
                            quote_name(s)));
  }
}

// The 8-byte length followed by the header JSON, padded with spaces to a multiple of 8 bytes (so the data that
// follows starts 8-aligned). Checks everything about `named` that could make the save fail, so the caller can do this
// before touching the disk.
std::string encode_header(const NamedTensors& named, const char* op) {
  std::string text = "{";
  if (!named.metadata.empty()) {
    text += fmt::format("\"{}\":{{", kMetadataKey);
    const char* sep = "";
    for (const auto& [key, value] : named.metadata) {
      text += sep;
      text += json_string(key, "metadata key", op);
      text += ':';
      text += json_string(value, "metadata value", op);
      sep = ",";
    }
    text += "}";
  }
  std::unordered_set<std::string_view> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : named.tensors) {
    check(t.defined(), "{}: tensor {} is undefined (default-constructed); give it a value or leave it out", op,
          quote_name(name));
    check(name != kMetadataKey, "{}: the name \"{}\" is reserved for the metadata; rename that tensor", op,
          kMetadataKey);
    check(seen.insert(name).second, "{}: tensor {} appears twice; names must be unique", op, quote_name(name));
    const uint64_t nbytes = static_cast<uint64_t>(t.numel() * dtype_size(t.dtype()));
    text += fmt::format("{}{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}", text.size() > 1 ? "," : "",
                        json_string(name, "tensor name", op), dtype_code(t.dtype()),
                        fmt::join(t.shape().begin(), t.shape().end(), ","), offset, offset + nbytes);
    offset += nbytes;
  }
  text += "}";
  text.append((8 - text.size() % 8) % 8, ' ');
  check(text.size() <= kMaxHeaderBytes, "{}: the header would take {} bytes, over the {} byte cap readers enforce", op,
        text.size(), kMaxHeaderBytes);

  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);  // little-endian
  return out + text;
}

// Calls `write(bytes, n)` with each tensor's row-major bytes in order, copying only tensors that are not contiguous
// (one at a time, so a save never holds more than one extra tensor).
template <class Write>
void for_each_tensor_bytes(const NamedTensors& named, Write&& write) {
  for (const auto& [name, t] : named.tensors) {
    Tensor c = t.contiguous();
    const size_t nbytes = static_cast<size_t>(c.numel() * dtype_size(c.dtype()));
    if (nbytes > 0) write(static_cast<const char*>(c.raw_data()), nbytes);
  }
}

}  // namespace

std::string serialize_safetensors(const NamedTensors& named) {
  std::string out = encode_header(named, "serialize_safetensors");
  size_t total = out.size();
  for (const auto& [name, t] : named.tensors) total += static_cast<size_t>(t.numel() * dtype_size(t.dtype()));
  out.reserve(total);
  for_each_tensor_bytes(named, [&](const char* p, size_t n) { out.append(p, n); });
  return out;
}

// ---- files

void save_safetensors(const NamedTensors& named, const std::string& path) {
  const char* op = "save_safetensors";
  const std::string header = encode_header(named, op);  // every check on `named`, before the disk is touched

  // Write everything to a temporary file beside `path`, then rename it over `path`: rename is atomic, so a reader
  // (or a crash) sees either the old checkpoint or the complete new one, never half of one.
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  check_sys(fd.get() >= 0, "{}: cannot create {} (does the directory exist, and is it writable?)", op, tmp);
  try {
    write_all(fd.get(), header.data(), header.size(), tmp);
    for_each_tensor_bytes(named, [&](const char* p, size_t n) { write_all(fd.get(), p, n, tmp); });
    // fsync before rename: otherwise after a power cut the rename may be on disk while the data is not.
    check_sys(::fsync(fd.get()) == 0, "{}: flushing {} to disk failed", op, tmp);
    check_sys(::close(fd.release()) == 0, "{}: closing {} failed", op, tmp);
    check_sys(::rename(tmp.c_str(), path.c_str()) == 0, "{}: renaming {} to {} failed", op, tmp, path);
  } catch (...) {
    ::unlink(tmp.c_str());  // never leave a half-written temporary behind; `path` itself was not touched
    throw;
  }

  // The rename itself is durable once the directory is flushed too. Best effort: some file systems refuse to fsync a
  // directory, and the checkpoint is complete either way.
  std::string dir = std::filesystem::path(path).parent_path().string();
  FileDescriptor dir_fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
}

}  // namespace glimpse
