// Chunks: the optimizer passes that touch every element of every parameter (the joint gradient norm, the Adam
// update) as one parallel loop over fixed pieces of the parameters, instead of one loop per parameter.
//
// A GPT has dozens of parameters, most under the 64k elements that make one loop worth a second thread; looping over
// them one by one ran nearly the whole optimizer step on one thread. Here every tensor is cut into chunks of at most
// kChunk elements, the chunks of all tensors form one list, and the threads share that list. The chunks depend only
// on the tensors' sizes: a sum taken per chunk and then added in chunk order gives the same bits on any number of
// threads (and a sum per chunk, on eight lanes, is also much shorter than one running sum over a million elements).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensor/parallel.h"

namespace glimpse::optim {

inline constexpr int64_t kChunk = 4096;

struct Chunk {
  std::size_t index;   // which tensor of the list
  int64_t begin, end;  // its elements [begin, end)
};

// Cuts tensors of the given sizes into chunks, in order, into `out` (cleared first; its memory is reused).
inline void make_chunks(const std::vector<int64_t>& sizes, std::vector<Chunk>& out) {
  out.clear();
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    for (int64_t b = 0; b < sizes[k]; b += kChunk) out.push_back({k, b, std::min(sizes[k], b + kChunk)});
  }
}

// f(chunk_number, chunk) for every chunk, split across the threads when there are enough of them (two grains'
// worth of elements), each chunk on one thread.
template <class F>
void for_each_chunk(const std::vector<Chunk>& chunks, F&& f) {
  parallel_for(static_cast<int64_t>(chunks.size()), kParallelGrain / kChunk, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) f(c, chunks[static_cast<std::size_t>(c)]);
  });
}

}  // namespace glimpse::optim
