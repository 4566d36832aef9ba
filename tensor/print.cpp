// to_string(Tensor): the PyTorch-style text of a tensor, e.g.
//   tensor([[0.1000, 0.2000],
//           [0.3000, 0.4000]], shape=[2, 2], dtype=float32)
//
// The rules follow PyTorch's printer (torch/_tensor_str.py) with its default options: floats get 4 decimals, or
// scientific notation when the non-zero finite values span more than 1000x, exceed 1e8, or go below 1e-4; integers
// print plainly; every number is right-aligned to the widest one; rows wrap at 80 columns. Past 1000 elements each
// dim shows only its first and last 3 entries with "..." between. (Unlike PyTorch, floats that happen to be whole
// numbers still print with 4 decimals, "1.0000" rather than "1.", and shape and dtype are always shown.)
#include "tensor/print.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace glimpse {
namespace {

constexpr int kPrecision = 4;
constexpr int64_t kSummarizeAbove = 1000;  // numel beyond which dims are elided
constexpr int64_t kEdgeItems = 3;          // entries kept at each end of an elided dim
constexpr int kLineWidth = 80;
constexpr int64_t kEllipsis = -1;  // stands for "..." in a list of shown positions

// The positions of a dim of size n that are printed, with kEllipsis where entries are left out.
std::vector<int64_t> shown_positions(int64_t n, bool summarize) {
  std::vector<int64_t> pos;
  if (summarize && n > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) pos.push_back(i);
    pos.push_back(kEllipsis);
    for (int64_t i = n - kEdgeItems; i < n; ++i) pos.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) pos.push_back(i);
  }
  return pos;
}

// How every number of one tensor is written: fixed or scientific for floats, plain for integers, padded on the left
// to a common width so columns line up.
struct NumberFormat {
  bool scientific = false;
  size_t width = 1;

  static std::string raw_fixed(double v, bool scientific) {
    if (std::isnan(v)) return "nan";  // fmt would print "-nan" for a NaN with its sign bit set
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return scientific ? fmt::format("{:.{}e}", v, kPrecision) : fmt::format("{:.{}f}", v, kPrecision);
  }
  std::string raw(double v) const { return raw_fixed(v, scientific); }
  std::string raw(int64_t v) const { return fmt::format("{}", v); }
  template <class T>
  std::string padded(T v) const {
    std::string s = raw(v);
    return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
  }
};

// Walks the printed elements of a (possibly strided) tensor of element type T and builds its text.
template <class T>
class Printer {
 public:
  explicit Printer(const Tensor& t) : t_(t), base_(t.data<T>()), summarize_(t.numel() > kSummarizeAbove) {
    choose_format();
  }

  // The bracketed body; `indent` is the column where the first "[" sits.
  std::string body(int indent) const {
    if (t_.dim() == 0) return format_.padded(value(0));
    return nested(0, 0, indent);
  }

 private:
  // Element values as the formatter takes them: double for floats, int64 for integers.
  using Value = std::conditional_t<std::is_same_v<T, int64_t>, int64_t, double>;
  Value value(int64_t offset) const { return static_cast<Value>(base_[offset]); }

  // Calls fn(value) for every printed element, in row-major order.
  template <class Fn>
  void for_each_shown(int d, int64_t offset, Fn&& fn) const {
    if (d == t_.dim()) {
      fn(value(offset));
      return;
    }
    for (int64_t i : shown_positions(t_.size(d), summarize_)) {
      if (i != kEllipsis) for_each_shown(d + 1, offset + i * t_.stride(d), fn);
    }
  }

  // Only the printed numbers decide the format (as in PyTorch, which formats the summarised data).
  void choose_format() {
    if constexpr (std::is_floating_point_v<T>) {
      double lo = INFINITY, hi = 0.0;
      for_each_shown(0, 0, [&](double v) {
        if (std::isfinite(v) && v != 0.0) {
          lo = std::min(lo, std::abs(v));
          hi = std::max(hi, std::abs(v));
        }
      });
      format_.scientific = hi > 0.0 && (hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4);
    }
    for_each_shown(0, 0, [&](Value v) { format_.width = std::max(format_.width, format_.raw(v).size()); });
  }

  // Dims d.. of the element at `offset`, PyTorch's layout: a row wraps after as many entries as fit in 80 columns;
  // sub-blocks are separated by one newline per dim they span.
  std::string nested(int d, int64_t offset, int indent) const {
    const int64_t stride = t_.stride(d);
    const std::vector<int64_t> pos = shown_positions(t_.size(d), summarize_);
    std::string out = "[";
    if (d == t_.dim() - 1) {
      const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / static_cast<int64_t>(format_.width + 2));
      const std::string line_break = ",\n" + std::string(indent + 1, ' ');
      for (size_t k = 0; k < pos.size(); ++k) {
        if (k > 0) out += k % per_line == 0 ? line_break : ", ";
        out += pos[k] == kEllipsis ? " ..." : format_.padded(value(offset + pos[k] * stride));
      }
    } else {
      const std::string sep = "," + std::string(t_.dim() - d - 1, '\n') + std::string(indent + 1, ' ');
      for (size_t k = 0; k < pos.size(); ++k) {
        if (k > 0) out += sep;
        out += pos[k] == kEllipsis ? "..." : nested(d + 1, offset + pos[k] * stride, indent + 1);
      }
    }
    return out + "]";
  }

  const Tensor& t_;
  const T* base_;
  bool summarize_;
  NumberFormat format_;
};

// Appends ", suffix" for each suffix, moving one to a new line when it would pass 80 columns (PyTorch's rule,
// including its count of the last line's length).
std::string add_suffixes(std::string text, const std::vector<std::string>& suffixes, int indent) {
  const size_t newline = text.rfind('\n');
  size_t last_line = newline == std::string::npos ? text.size() + 2 : text.size() - newline + 1;
  for (const std::string& s : suffixes) {
    if (last_line + s.size() + 2 > kLineWidth) {
      text += ",\n" + std::string(indent, ' ') + s;
      last_line = indent + s.size();
    } else {
      text += ", " + s;
      last_line += s.size() + 2;
    }
  }
  return text + ")";
}

}  // namespace

// t: any shape, any strides -> "tensor([...], shape=[...], dtype=...)"
std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const int indent = static_cast<int>(prefix.size());
  // The 16-bit floats print through float32, which holds each of their values exactly.
  const Tensor shown = is_storage_only(t.dtype()) ? t.to(kFloat32) : t;
  const std::string body =
      t.numel() == 0 ? "[]" : dispatch(shown.dtype(), [&]<class T>() { return Printer<T>(shown).body(indent); });
  const std::vector<std::string> suffixes = {fmt::format("shape={}", t.shape()),
                                             fmt::format("dtype={}", dtype_name(t.dtype()))};
  return add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace glimpse
