// Storage: the bytes behind one or more tensors. Views share a Storage through a shared_ptr.
//
// Buffers come from a small caching allocator (storage.cpp): training loops allocate the same sizes every step, and
// handing back a freed block of the right size is much cheaper than going to malloc each time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace glimpse {

class Storage {
 public:
  // `nbytes` uninitialised bytes, 64-byte aligned.
  explicit Storage(size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }

  // How many Storage objects are alive right now (tests use it to prove memory stays flat).
  static int64_t live_count();
  // The bytes those Storages hold (as asked for, before the allocator rounds up): what tensors use right now. The
  // tape inspector (autograd/profile.h) reads it to see what each recorded op keeps alive.
  static int64_t live_bytes();

 private:
  void* data_;
  size_t nbytes_;
};

// Frees every block the caching allocator holds (returns them to the system).
void empty_cache();

// The allocator's counters since the program started: buffer requests (one per new Storage) and how many of them went
// to the system (aligned_alloc) because no cached block fitted. A training loop in its steady state makes requests
// but no system allocations (tests/optim/test_training_step.cpp checks it).
struct AllocatorStats {
  int64_t requests = 0;
  int64_t system = 0;
};
AllocatorStats allocator_stats();

}  // namespace glimpse
