// Storage: the bytes behind one or more tensors. Views share a Storage through a shared_ptr.
//
// Buffers come from a small caching allocator (storage.cpp): training loops allocate the same sizes every step, and
// handing back a freed block of the right size is much cheaper than going to malloc each time.
//
// A Storage also counts the in-place changes made to its numbers (its version, as PyTorch's tensor._version): every
// in-place op (fill_, copy_, add_, uniform_, an optimizer step, ...) bumps it, so that autograd can tell that a tensor
// a backward saved was overwritten since (autograd/node.h). Views share the Storage, so they share the count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace glimpse {

class Storage {
 public:
  // `nbytes` uninitialised bytes, 64-byte aligned. A storage of at most kInlineBytes (a loss, a bias, one sample's
  // activations) keeps its bytes inside the Storage object instead (16-byte aligned): one allocation per tensor
  // instead of two. Not under AddressSanitizer, which should see every overflow.
  explicit Storage(size_t nbytes);
  static constexpr size_t kInlineBytes = 64;
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  // In-place changes so far. Not atomic: like the numbers themselves, one Storage is written by one thread at a time.
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

  // How many Storage objects are alive right now (tests use it to prove memory stays flat).
  static int64_t live_count();
  // The bytes those Storages hold (as asked for, before the allocator rounds up): what tensors use right now. The
  // tape inspector (autograd/profile.h) reads it to see what each recorded op keeps alive.
  static int64_t live_bytes();

 private:
  void* data_;
  size_t nbytes_;
  size_t block_bytes_;  // the allocator's block behind data_: nbytes_ rounded up, or a larger block it reused; 0 inline
  uint64_t version_ = 0;
  alignas(16) unsigned char inline_[kInlineBytes];  // the bytes of a small storage
};

// Frees every block the caching allocator holds (returns them to the system).
void empty_cache();

// The allocator's counters since the program started: buffer requests (one per new Storage) and how many of them went
// to the system (aligned_alloc) because no cached block fitted. A training loop in its steady state makes requests
// but no system allocations (tests/optim/test_training_step.cpp checks it).
struct AllocatorStats {
  int64_t requests = 0;
  int64_t system = 0;
  int64_t cached_bytes = 0;  // freed blocks the shared cache holds for reuse right now (as rounded up)
};
AllocatorStats allocator_stats();

}  // namespace glimpse
