// The tape inspector: where a training step's time and memory go, op by op.
//
//   TapeProfiler profiler;                    // from here on, every recorded op is watched
//   Variable loss = model.forward(x);
//   loss.backward();
//   TapeProfile profile = profiler.stop();
//   fmt::print("{}", profile.table());        // one row per recorded op, then the totals
//
// For each op the tape records, in order: its name, output shape and dtype, the time of its forward and of its
// backward, the memory it keeps alive for the backward, and its floating-point operations where it has a simple
// count. How each is measured, so that the numbers can be trusted:
//   - forward time is the time from the previous recorded op (or the profiler's start) to this one's record(): the
//     op's own forward, plus any plain-Tensor work the caller did in between.
//   - backward time is the time spent in its backward closure.
//   - kept bytes are the tensor bytes that became live during its forward and were still live when it was recorded:
//     its output (zero for a view, which shares its input's memory) and whatever its backward saved. An output that
//     no backward saved is freed as soon as the program lets go of it (autograd/variable.h, let_go); those bytes are
//     then taken off the op that made it, which keeps only what backward will read.
//   - FLOPs: 2·M·N·K per matrix product (times the batch), one per output element for elementwise ops, one per input
//     element for reductions; -1 (not counted) for copies, views, indexing and fused layers.
// The profile's peak is the most tensor memory that was live above the level at the start, sampled at every record
// and after every backward step. Profiling costs a clock read and a map insert per op; without a profiler, record()
// pays one thread-local pointer test.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor/shape.h"
#include "tensor/dtype.h"

namespace glimpse {

struct Node;

struct ProfiledOp {
  std::string name;          // as recorded ("matmul", "gelu", "masked_softmax")
  Shape shape;               // of the output
  DType dtype = kFloat32;
  double forward_us = 0;
  double backward_us = 0;    // 0 when no backward reached it
  int64_t kept_bytes = 0;    // memory that became live in its forward and is held for backward
  int64_t flops = -1;        // -1: not counted
};

// The rows of one op name added up (TapeProfile::by_op).
struct OpSummary {
  std::string name;
  int64_t count = 0;
  double forward_us = 0, backward_us = 0;
  int64_t kept_bytes = 0;
  int64_t flops = -1;  // -1 when no row of this name has a count
};

struct TapeProfile {
  std::vector<ProfiledOp> ops;  // in recording order
  double forward_us = 0;        // sums over ops
  double backward_us = 0;
  int64_t kept_bytes = 0;
  int64_t flops = 0;            // of the ops that have a count
  int64_t peak_bytes = 0;       // the most tensor memory live above the start level

  // One row per op (the first `max_rows`, all when 0), then the totals; times in µs, memory in KiB/MiB.
  std::string table(size_t max_rows = 0) const;
  // One row per op name, the most time first (forward + backward).
  std::vector<OpSummary> by_op() const;
  // by_op() as a table, with each name's share of the time, then the totals.
  std::string summary() const;
};

// Watches the tape of the calling thread from construction until stop() (or destruction). One at a time per thread.
class TapeProfiler {
 public:
  TapeProfiler();
  ~TapeProfiler();
  TapeProfiler(const TapeProfiler&) = delete;
  TapeProfiler& operator=(const TapeProfiler&) = delete;

  // Stops watching and returns what was seen. Calling it twice is an Error.
  TapeProfile stop();

  // ---- called by the autograd machinery (node.h's record(), the engine), not by users
  static TapeProfiler* active() { return active_; }
  void on_record(const Node& node);
  void on_backward(const Node& node, double microseconds);
  // The data of a value `maker` made was let go (Variable::let_go), freeing `freed_bytes`: maker no longer keeps
  // them, and the op recorded next is not credited with them.
  void on_let_go(const Node& maker, int64_t freed_bytes);

 private:
  void sample_peak();

  TapeProfile profile_;
  std::unordered_map<const Node*, size_t> index_;  // node -> its row in profile_.ops
  int64_t start_bytes_ = 0, last_bytes_ = 0;
  double last_time_us_ = 0;
  bool stopped_ = false;
  static inline thread_local TapeProfiler* active_ = nullptr;
};

}  // namespace glimpse
