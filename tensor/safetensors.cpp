// Reading safetensors checkpoints, from a file or from bytes in memory, and the NamedTensors lookups. The header is
// parsed and checked by safetensors_header.cpp before a byte of tensor data is allocated or read.
#include "tensor/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tensor/safetensors_format.h"

namespace glimpse {
namespace {

using namespace safetensors_detail;

// Reads exactly n bytes at `offset`; short reads are normal for large sizes, so it loops.
void read_exact(int fd, void* out, size_t n, uint64_t offset, const Source& src) {
  char* p = static_cast<char*>(out);
  while (n > 0) {
    ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(src, "read failed: {}", errno_text(errno));
    if (got == 0) fail(src, "the file ended early (did it change while being read?)");
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

// starting at `begin` into dst.
template <class ReadBytes>
NamedTensors make_tensors(Header header, ReadBytes&& read) {
  NamedTensors out;
  out.metadata = std::move(header.metadata);
  out.tensors.reserve(header.entries.size());
  for (Entry& e : header.entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (e.end > e.begin) read(t.raw_data(), e.begin, static_cast<size_t>(e.end - e.begin));
    out.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return out;
}

}  // namespace

// ---- NamedTensors

const Tensor* NamedTensors::find(std::string_view name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

Tensor* NamedTensors::find(std::string_view name) {
  return const_cast<Tensor*>(static_cast<const NamedTensors&>(*this).find(name));
}

const Tensor& NamedTensors::at(std::string_view name) const {
  if (const Tensor* t = find(name)) return *t;
  std::string names;
  for (size_t i = 0; i < tensors.size() && i < 10; ++i) names += (i ? ", " : "") + quote_name(tensors[i].first);
  if (tensors.size() > 10) names += fmt::format(", ... ({} in all)", tensors.size());
  throw Error(fmt::format("NamedTensors::at: no tensor named {}; the names are: {}", quote_name(name),
                          names.empty() ? "(none)" : names));
}

NamedTensors NamedTensors::to(DType dtype) const {
  check(is_floating(dtype) || is_storage_only(dtype),
        "NamedTensors::to: dtype {} is not a floating-point type; pick float32, float64, float16 or bfloat16",
        dtype_name(dtype));
  NamedTensors out{.tensors = {}, .metadata = metadata};
  out.tensors.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    const bool floating = t.defined() && (is_floating(t.dtype()) || is_storage_only(t.dtype()));
    out.add(name, floating ? t.to(dtype) : t);
  }
  return out;
}

// ---- reading

NamedTensors parse_safetensors(std::string_view bytes, std::string_view source) {
  const Source src{"parse_safetensors", source};
  if (bytes.size() < 8) {
    fail(src, "{} bytes is too short for a safetensors file (the header length alone takes 8)", bytes.size());
  }
  unsigned char prefix[8];
  std::memcpy(prefix, bytes.data(), 8);
  const uint64_t n = header_length(prefix, bytes.size(), src);
  const std::string_view data = bytes.substr(8 + n);
  Header header = parse_header(bytes.substr(8, n), data.size(), src);
  return make_tensors(std::move(header),
                      [&](void* dst, uint64_t begin, size_t count) { std::memcpy(dst, data.data() + begin, count); });
}

NamedTensors load_safetensors(const std::string& path) {
  const Source src{"load_safetensors", path};
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(src, "cannot open: {}", errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(src, "cannot stat: {}", errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail(src, "not a regular file{}", S_ISDIR(st.st_mode) ? " (it is a directory)" : "");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {
    fail(src, "{} bytes is too short for a safetensors file (the header length alone takes 8)", file_size);
  }

  unsigned char prefix[8];
  read_exact(fd.get(), prefix, 8, 0, src);
  const uint64_t n = header_length(prefix, file_size, src);
  std::string text(n, '\0');  // at most 100 MB, and no more than the file holds
  read_exact(fd.get(), text.data(), n, 8, src);
  Header header = parse_header(text, file_size - 8 - n, src);
  text = {};

  // Each tensor is read straight into its own storage: no second copy of the checkpoint in memory.
  return make_tensors(std::move(header), [&](void* dst, uint64_t begin, size_t count) {
    read_exact(fd.get(), dst, count, 8 + n + begin, src);
  });
}

}  // namespace glimpse
