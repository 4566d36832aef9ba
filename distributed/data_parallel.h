// distributed/data_parallel.h: data-parallel training on top of comm.h. Every rank holds the whole model, reads its
// own share of each batch, and after backward the ranks average their gradients, so every rank takes the same
// optimizer step and the parameters stay bit-identical everywhere (PyTorch's DistributedDataParallel, by hand).
//
//   distributed::Session mpi(argc, argv);
//   Model model(...);                                   // same seed on every rank, but rank 0's values win:
//   distributed::DataParallel dp(model.parameters());   // broadcasts the parameters from rank 0
//   for (...) {
//     Batch batch = make_batch(global_batch);          // the same global batch on every rank (same RNG stream)
//     distributed::Shard s = distributed::shard(global_batch);   // this rank's rows [s.start, s.start + s.length)
//     Variable loss = model.loss(batch.narrow(0, s.start, s.length));
//     opt.zero_grad();
//     loss.backward();
//     dp.average_gradients();                          // now every rank holds the gradient of the whole batch
//     opt.step();
//   }
//
// Because the loss is a mean over the rows of a batch, the mean over ranks of the per-rank gradients (each over b/N
// rows) is the gradient over all b rows: N ranks with batch b/N follow the run of one process with batch b, up to
// float rounding. It sees only Variables, never layers.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/variable.h"
#include "distributed/comm.h"

namespace glimpse::distributed {

struct DataParallelOptions {
  // Gradients travel in flat buckets of about this many bytes: one all-reduce per bucket instead of one per parameter
  // (each MPI call costs a latency of microseconds; a few big messages run at full bandwidth).
  int64_t bucket_bytes = int64_t{25} << 20;  // 25 MiB, as PyTorch's DDP
};

class DataParallel {
 public:
  // Broadcasts every parameter's value from rank 0, so all ranks start from the same model.
  explicit DataParallel(std::vector<Variable> params, DataParallelOptions options = {});

  // After backward, before the optimizer step: every parameter's gradient becomes the mean of all ranks' gradients.
  // A parameter that no rank's backward reached keeps an undefined gradient (the optimizer skips it, as on one
  // process); one that only some ranks reached counts as zero on the others.
  void average_gradients();
  // Copies rank 0's parameter values to every rank (the constructor does it once; after loading a checkpoint on rank
  // 0 only, call it again).
  void broadcast_parameters();

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  struct Bucket {
    std::vector<size_t> params;  // indices into params_, in order
    Tensor flat;                 // 1-d, one dtype, holds those parameters' gradients back to back
  };
  std::vector<Variable> params_;
  std::vector<Bucket> buckets_;
  Tensor reached_;  // int64 [params]: on how many ranks backward reached each parameter
};

// This rank's share of a batch of `batch_size` rows: rows [start, start + length). The batch must split evenly over
// the ranks (otherwise the ranks' mean gradients would not average to the whole batch's).
struct Shard {
  int64_t start = 0;
  int64_t length = 0;
};
Shard shard(int64_t batch_size);

// The same for a batch that need not split evenly (the last, shorter batch of an epoch): the first rows % N ranks get
// one row more, and a rank gets 0 rows when the batch has fewer rows than there are ranks. Only for a loss weighted
// with share_weight below: a plain mean over unequal shares would weigh rows unequally.
Shard uneven_shard(int64_t rows);

// For a loss that is a mean over counted items (e.g. the target tokens that are not <pad>): this rank's mean loss,
// multiplied by share_weight(its items, the whole batch's items), makes the mean over ranks (what average_gradients
// computes) the mean over all the batch's items, N * local / global. A world of one gives 1.
double share_weight(int64_t local_count, int64_t global_count);

// True when every parameter holds the same bits on every rank (compared with rank 0's; every rank gets the answer).
bool in_sync(const std::vector<Variable>& params);

// The mean over ranks of a scalar (a loss to print): every rank gets the same number.
double mean_over_ranks(double value);

}  // namespace glimpse::distributed
