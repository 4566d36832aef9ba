// InlineVector<T, N>: a vector whose first N elements live inside the object, for the tape's short lists.
//
// Every recorded op keeps a list of its inputs and every backward returns a list of gradients; almost always one to
// three of each. As std::vectors they cost a heap allocation each, per op, per step: for a tiny model (the context
// network makes six tape entries a step) that was a tenth of the step. Up to N elements are stored in place; the
// (N+1)-th moves them all into a std::vector, which then holds everything (cat of many tensors still works).
//
//   InlineVector<Tensor, 4> grads{da, db};   // no allocation
//   grads.push_back(dc);                     // still none; a fifth element would spill to the heap
//
// Only what the tape uses is here: size, indexing, iteration, push_back, resize, clear.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

namespace glimpse {

template <class T, size_t N>
class InlineVector {
 public:
  InlineVector() = default;
  explicit InlineVector(size_t n) { resize(n); }
  InlineVector(std::initializer_list<T> items) {
    reserve(items.size());
    for (const T& x : items) push_back(x);
  }
  InlineVector(const InlineVector&) = default;
  InlineVector& operator=(const InlineVector&) = default;
  // A moved-from InlineVector is empty (the defaulted move would leave it claiming moved-from elements).
  InlineVector(InlineVector&& other) noexcept
      : inline_(std::move(other.inline_)), heap_(std::move(other.heap_)), size_(other.size_), spilled_(other.spilled_) {
    other.clear();
  }
  InlineVector& operator=(InlineVector&& other) noexcept {
    inline_ = std::move(other.inline_);
    heap_ = std::move(other.heap_);
    size_ = other.size_;
    spilled_ = other.spilled_;
    other.clear();
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return spilled_ ? heap_.data() : inline_.data(); }
  const T* data() const { return spilled_ ? heap_.data() : inline_.data(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& back() { return data()[size_ - 1]; }

  void reserve(size_t n) {
    if (n > N) spill(n);
  }
  void push_back(T x) {
    if (!spilled_ && size_ == N) spill(2 * N);
    if (spilled_) {
      heap_.push_back(std::move(x));
    } else {
      inline_[size_] = std::move(x);
    }
    ++size_;
  }
  void pop_back() {
    --size_;
    if (spilled_) {
      heap_.pop_back();
    } else {
      inline_[size_] = T();  // release what it held now, as std::vector would
    }
  }
  // Grows with default-constructed elements or shrinks, releasing what the dropped elements held.
  void resize(size_t n) {
    if (n > N && !spilled_) spill(n);
    if (spilled_) {
      heap_.resize(n);
    } else {
      for (size_t i = n; i < size_; ++i) inline_[i] = T();
    }
    size_ = n;
  }
  void clear() { resize(0); }

 private:
  // Moves the inline elements to the heap; from now on heap_ holds every element.
  void spill(size_t capacity) {
    if (spilled_) {
      heap_.reserve(capacity);
      return;
    }
    heap_.reserve(capacity);
    for (size_t i = 0; i < size_; ++i) {
      heap_.push_back(std::move(inline_[i]));
      inline_[i] = T();
    }
    spilled_ = true;
  }

  std::array<T, N> inline_{};
  std::vector<T> heap_;
  size_t size_ = 0;
  bool spilled_ = false;
};

}  // namespace glimpse
