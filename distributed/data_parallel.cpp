// distributed/data_parallel.cpp: gradient buckets, parameter broadcast, batch shards.
#include "distributed/data_parallel.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "tensor/elementwise.h"

namespace glimpse::distributed {

DataParallel::DataParallel(std::vector<Variable> params, DataParallelOptions options) : params_(std::move(params)) {
  check(options.bucket_bytes > 0, "distributed::DataParallel: bucket_bytes must be positive, got {}",
        options.bucket_bytes);
  for (size_t i = 0; i < params_.size(); ++i) {
    check(params_[i].defined(), "distributed::DataParallel: parameter {} is undefined", i);
  }
  // Parameters of one dtype share buckets. Walk them last to first: backward reaches the last layers first, so this
  // is the order in which their gradients become ready (what an overlapped all-reduce would need).
  std::map<DType, size_t> open;  // dtype -> index of the bucket being filled
  std::vector<std::pair<DType, int64_t>> sizes;  // per bucket: dtype and elements so far
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& p = params_[k].data();
    auto it = open.find(p.dtype());
    if (it == open.end() || sizes[it->second].second * dtype_size(p.dtype()) >= options.bucket_bytes) {
      buckets_.push_back({});
      sizes.emplace_back(p.dtype(), 0);
      it = open.insert_or_assign(p.dtype(), buckets_.size() - 1).first;
    }
    buckets_[it->second].params.push_back(k);
    sizes[it->second].second += p.numel();
  }
  // The flat buffers only exist where there is something to all-reduce: in a world of one they would cost as much
  // memory as the gradients themselves for nothing (average_gradients returns at once).
  if (world_size() > 1) {
    for (size_t b = 0; b < buckets_.size(); ++b) buckets_[b].flat = zeros({sizes[b].second}, sizes[b].first);
  }
  reached_ = zeros({static_cast<int64_t>(params_.size())}, kInt64);
  broadcast_parameters();
}

void DataParallel::broadcast_parameters() {
  if (world_size() == 1) return;
  for (const Variable& p : params_) broadcast(p.data(), 0);
}

void DataParallel::average_gradients() {
  const int n = world_size();
  if (n == 1) return;  // a world of one: the gradients are already the whole batch's
  // Which parameters each rank's backward reached: one small all-reduce, so that "undefined everywhere" stays
  // undefined and the optimizer treats the parameter exactly as one process would.
  int64_t* reached = reached_.data<int64_t>();
  for (size_t i = 0; i < params_.size(); ++i) reached[i] = params_[i].grad().defined() ? 1 : 0;
  all_reduce(reached_, ReduceOp::Sum);

  for (Bucket& b : buckets_) {
    // Pack: gradients back to back (zeros for a parameter this rank's backward did not reach).
    int64_t offset = 0;
    for (size_t i : b.params) {
      const Variable& p = params_[i];
      Tensor slot = b.flat.narrow(0, offset, p.numel()).view(p.shape());
      if (p.grad().defined()) {
        slot.copy_(p.grad());
      } else {
        slot.zero_();
      }
      offset += p.numel();
    }
    all_reduce(b.flat, ReduceOp::Sum);
    Tensor mean = b.flat;
    mul_(mean, 1.0 / n);
    // Unpack into each parameter's own gradient memory.
    offset = 0;
    for (size_t i : b.params) {
      const Variable& p = params_[i];
      Tensor slot = mean.narrow(0, offset, p.numel()).view(p.shape());
      offset += p.numel();
      if (reached[i] == 0) continue;
      if (p.grad().defined()) {
        p.grad().copy_(slot);
      } else {
        p.set_grad(slot.clone());
      }
    }
  }
}

Shard shard(int64_t batch_size) {
  const int n = world_size();
  check(batch_size > 0 && batch_size % n == 0,
        "distributed::shard: a batch of {} rows does not split evenly over {} ranks; use a batch size that is a "
        "multiple of the number of processes (mpirun -np)", batch_size, n);
  const int64_t length = batch_size / n;
  return {rank() * length, length};
}

Shard uneven_shard(int64_t rows) {
  check(rows >= 0, "distributed::uneven_shard: a batch cannot have {} rows", rows);
  const int64_t n = world_size(), r = rank();
  const int64_t base = rows / n, extra = rows % n;
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

double share_weight(int64_t local_count, int64_t global_count) {
  check(global_count > 0 && local_count >= 0 && local_count <= global_count,
        "distributed::share_weight: {} of {} items; the batch must count at least one item and this rank's share "
        "at most all of them", local_count, global_count);
  if (world_size() == 1) return 1.0;
  return static_cast<double>(world_size()) * static_cast<double>(local_count) / static_cast<double>(global_count);
}

bool in_sync(const std::vector<Variable>& params) {
  if (world_size() == 1) return true;
  Tensor differ = zeros({1}, kInt64);
  for (const Variable& p : params) {
    const Tensor mine = p.data().contiguous();
    const Tensor root = mine.clone();
    broadcast(root, 0);
    if (std::memcmp(mine.raw_data(), root.raw_data(), static_cast<size_t>(mine.numel()) * dtype_size(mine.dtype()))) {
      differ.data<int64_t>()[0] += 1;
    }
  }
  all_reduce(differ, ReduceOp::Sum);
  return differ.data<int64_t>()[0] == 0;
}

double mean_over_ranks(double value) {
  if (world_size() == 1) return value;
  Tensor t = scalar_tensor(value, kFloat64);
  all_reduce(t, ReduceOp::Mean);
  return t.item<double>();
}

}  // namespace glimpse::distributed
