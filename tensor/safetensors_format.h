// Internals shared by the three files of the safetensors code: the header parser (safetensors_header.cpp), the reader
// (safetensors.cpp) and the writer (safetensors_write.cpp). Not part of the API: programs include tensor/safetensors.h.
#pragma once

#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/safetensors.h"

namespace glimpse::safetensors_detail {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and glimpse copies it as is; a big-endian port must swap bytes");

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the cap of the reference implementation
constexpr const char* kMetadataKey = "__metadata__";

// ---- dtypes: safetensors spells them F32, F64, I64, F16, BF16 (dtype_from_code: nullopt for a code glimpse lacks)
std::string_view dtype_code(DType d);
std::optional<DType> dtype_from_code(std::string_view code);

// ---- error messages

// A string from a file, quoted and escaped for an error message, and cut short: a hostile name can be megabytes long.
std::string quote_name(std::string_view s);
std::string errno_text(int err);

// Where the bytes being read come from: every reading error starts "<op>: <source>: ".
struct Source {
  std::string_view op;
  std::string_view name;
};

// Throws Error "<op>: <source>: <message>". Reading code calls it as `if (bad) fail(...)` rather than through check(),
// so that the arguments (quoted names, JSON snippets) are only formatted when something is wrong.
template <class... Args>
[[noreturn]] void fail(const Source& src, fmt::format_string<Args...> message, Args&&... args) {
  throw Error(fmt::format("{}: {}: {}", src.op, src.name, fmt::format(message, std::forward<Args>(args)...)));
}

// Like check(), for a system call that failed: appends the system's reason (from errno) to the message. The caller
// passes `ok` straight from the call, and nothing else it passes touches errno.
template <class... Args>
void check_sys(bool ok, fmt::format_string<Args...> message, Args&&... args) {
  if (!ok) [[unlikely]] {
    int err = errno;
    throw Error(fmt::format("{}: {}", fmt::format(message, std::forward<Args>(args)...), errno_text(err)));
  }
}

// ---- the header, parsed and checked

struct Entry {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range in the data
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  std::map<std::string, std::string> metadata;
};


// Parses and checks the header JSON against a data buffer of `data_size` bytes.
Header parse_header(std::string_view text, uint64_t data_size, const Source& src);
// The header length from the file's first 8 bytes, checked against the cap and the size of the whole file.
uint64_t header_length(const unsigned char prefix[8], uint64_t file_size, const Source& src);

// A file descriptor, closed when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace glimpse::safetensors_detail
