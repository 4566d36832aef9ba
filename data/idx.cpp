// read_idx: the header, the sizes and the big-endian elements of an IDX file, through zlib.
#include "data/idx.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace glimpse::data {
namespace {

// Closes the gzFile on every path out, including errors.
struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes or throws, naming what was being read.
void read_exact(gzFile f, void* dst, size_t n, const std::string& path, const char* what) {
  size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    const int got = gzread(f, static_cast<char*>(dst) + done, chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      throw Error(fmt::format("read_idx: {}: cannot read the {}: {}", path, what, msg));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  check(done == n, "read_idx: {}: the file is truncated: the {} needs {} bytes, only {} were left", path, what, n,
        done);
}

// Element size of an IDX type byte (0 for an unknown type).
size_t element_size(uint8_t type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

// Element i of the raw big-endian bytes, as a double (exact for every IDX type).
double element(const uint8_t* p, uint8_t type) {
  uint64_t u = 0;
  for (size_t k = 0; k < element_size(type); ++k) u = (u << 8) | p[k];
  switch (type) {
    case 0x08: return static_cast<double>(static_cast<uint8_t>(u));
    case 0x09: return static_cast<double>(static_cast<int8_t>(u));
    case 0x0B: return static_cast<double>(static_cast<int16_t>(u));
    case 0x0C: return static_cast<double>(static_cast<int32_t>(u));
    case 0x0D: {
      const uint32_t bits = static_cast<uint32_t>(u);
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    default: {
      double d;
      std::memcpy(&d, &u, 8);
      return d;
    }
  }
}

}  // namespace

// path -> [d0, d1, ...] in `dtype`
Tensor read_idx(const std::string& path, DType dtype) {
  GzFile f(gzopen(path.c_str(), "rb"));
  check(f != nullptr, "read_idx: cannot open {}; pass the folder of the IDX files with --data", path);
  uint8_t magic[4];
  read_exact(f.get(), magic, 4, path, "header");
  const size_t esize = element_size(magic[2]);
  check(magic[0] == 0 && magic[1] == 0 && esize > 0 && magic[3] >= 1 && magic[3] <= 8,
        "read_idx: {} is not an IDX file (header bytes {:02x} {:02x} {:02x} {:02x}; expected 00 00, a type among 08 "
        "09 0b 0c 0d 0e, and 1 to 8 dims)",
        path, magic[0], magic[1], magic[2], magic[3]);
  Shape shape;
  int64_t count = 1;
  for (int d = 0; d < magic[3]; ++d) {
    uint8_t b[4];
    read_exact(f.get(), b, 4, path, "sizes");
    const int64_t size = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    // 2^40 elements is far beyond any IDX file; the bound keeps count * esize from overflowing.
    check(size <= (int64_t{1} << 40) / count, "read_idx: {}: sizes too large ({} in dim {})", path, size, d);
    count *= size;
    shape.push_back(size);
  }
  std::vector<uint8_t> raw(static_cast<size_t>(count) * esize);
  read_exact(f.get(), raw.data(), raw.size(), path, fmt::format("data ({} elements of {} bytes)", count, esize).c_str());
  uint8_t extra;
  check(gzread(f.get(), &extra, 1) == 0, "read_idx: {}: unexpected bytes after the {} elements the header announces",
        path, count);

  Tensor out = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* dst = out.data<T>();
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<T>(element(raw.data() + i * esize, magic[2]));
  });
  return out;
}

}  // namespace glimpse::data
