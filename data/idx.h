// IDX files: the array format of MNIST (http://yann.lecun.com/exdb/mnist/), plain or gzip-compressed.
//
// Layout: two zero bytes, a type byte, a byte with the number of dims d, then d big-endian uint32 sizes, then the
// elements row-major, big-endian. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
// The file is read through zlib's gzread, which also reads uncompressed files as they are.
//
//   Tensor images = read_idx("t10k-images-idx3-ubyte.gz");           // [10000, 28, 28] float32, values 0..255
//   Tensor labels = read_idx("t10k-labels-idx1-ubyte.gz", kInt64);   // [10000]
//
// Bad files (missing, not IDX, an unknown type, truncated, trailing bytes) are a glimpse::Error naming the path and
// what was expected, never a partial tensor.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace glimpse::data {

// The whole array, converted to `dtype` (values kept as they are: uint8 pixels stay 0..255).
Tensor read_idx(const std::string& path, DType dtype = kFloat32);

}  // namespace glimpse::data
