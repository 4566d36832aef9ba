// The tape inspector (see profile.h): hooks called from record() and the engine, FLOP rules, and the tables.
#include "autograd/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string_view>

#include "autograd/node.h"
#include "tensor/error.h"
#include "tensor/storage.h"

namespace glimpse {
namespace {

double now_us() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

// matmul with torch.matmul's rules: a 1-d operand is a row (left) or a column (right); leading dims broadcast.
// a: [*, M, K] @ b: [*, K, N] -> 2·M·N·K per output matrix.
int64_t matmul_flops(const Node& node) {
  if (node.inputs.size() != 2) return -1;
  const Shape& a = node.inputs[0]->data.shape();
  const Shape& b = node.inputs[1]->data.shape();
  if (a.size() == 0 || b.size() == 0) return -1;
  const int64_t K = a[a.size() - 1];
  int64_t out = 1;  // output elements, each a K-long dot product
  for (int d = 0; d < node.output_shape.size(); ++d) out *= node.output_shape[d];
  return 2 * out * K;
}

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int d = 0; d < s.size(); ++d) n *= s[d];
  return n;
}

// linear: x: [*, in] · Wᵀ (+ b) -> [*, out]: a dot product of length `in` per output element, plus the bias add.
int64_t linear_flops(const Node& node) {
  if (node.inputs.size() < 2 || node.inputs[0]->data.dim() == 0) return -1;
  const int64_t in = node.inputs[0]->data.size(-1), out_elements = numel_of(node.output_shape);
  return 2 * out_elements * in + (node.inputs.size() == 3 ? out_elements : 0);
}

// FLOPs by op name: 1 per output element for elementwise math, 1 per input element for reductions, 2MNK for
// matrix products (and linear's, plus its bias add); -1 for what moves or selects numbers without arithmetic, and
// for fused layers.
int64_t count_flops(const Node& node) {
  static const std::set<std::string_view> elementwise = {
      "abs", "add", "clamp", "cos", "div", "exp", "gelu", "log", "log1p", "maximum", "minimum", "mul", "neg",
      "pow", "rdiv", "relu", "rsqrt", "rsub", "sigmoid", "sin", "sqrt", "square", "sub", "tanh", "where",
      "masked_fill", "dropout"};
  static const std::set<std::string_view> reductions = {
      "amax", "amin", "log_softmax", "logsumexp", "max", "mean", "min", "norm", "softmax", "masked_softmax", "std",
      "sum", "var"};
  const std::string_view name = node.name;
  if (name == "matmul") return matmul_flops(node);
  if (name == "linear") return linear_flops(node);
  if (elementwise.count(name)) return numel_of(node.output_shape);
  if (reductions.count(name) && !node.inputs.empty()) return numel_of(node.inputs[0]->data.shape());
  return -1;
}

std::string bytes_text(int64_t b) {
  if (b < 0) return fmt::format("-{}", bytes_text(-b));
  if (b < 1024) return fmt::format("{} B", b);
  if (b < 1024 * 1024) return fmt::format("{:.1f} KiB", b / 1024.0);
  return fmt::format("{:.2f} MiB", b / (1024.0 * 1024.0));
}

std::string flops_text(int64_t f) {
  if (f < 0) return "-";
  if (f < 1000) return fmt::format("{}", f);
  if (f < 1000000) return fmt::format("{:.1f} k", f / 1e3);
  if (f < 1000000000) return fmt::format("{:.2f} M", f / 1e6);
  return fmt::format("{:.2f} G", f / 1e9);
}

std::string totals_line(const TapeProfile& p) {
  return fmt::format("{} ops: forward {:.1f} us, backward {:.1f} us, kept {}, {} FLOPs counted; peak tensor memory "
                     "{} above the start\n", p.ops.size(), p.forward_us, p.backward_us, bytes_text(p.kept_bytes),
                     flops_text(p.flops), bytes_text(p.peak_bytes));
}

}  // namespace

TapeProfiler::TapeProfiler() {
  check(active_ == nullptr, "TapeProfiler: another profiler is already watching this thread; stop() it first");
  active_ = this;
  start_bytes_ = last_bytes_ = Storage::live_bytes();
  last_time_us_ = now_us();
}

TapeProfiler::~TapeProfiler() {
  if (active_ == this) active_ = nullptr;
}

void TapeProfiler::sample_peak() {
  profile_.peak_bytes = std::max(profile_.peak_bytes, Storage::live_bytes() - start_bytes_);
}

void TapeProfiler::on_record(const Node& node) {
  const double t = now_us();
  const int64_t bytes = Storage::live_bytes();
  ProfiledOp op{node.name, node.output_shape, node.output_dtype, t - last_time_us_, 0.0, bytes - last_bytes_,
                count_flops(node)};
  index_[&node] = profile_.ops.size();
  profile_.ops.push_back(std::move(op));
  sample_peak();
  last_bytes_ = bytes;
  last_time_us_ = now_us();  // the bookkeeping above is not charged to the next op
}

void TapeProfiler::on_backward(const Node& node, double microseconds) {
  auto it = index_.find(&node);
  if (it != index_.end()) profile_.ops[it->second].backward_us += microseconds;
  sample_peak();
}

void TapeProfiler::on_let_go(const Node& maker, int64_t freed_bytes) {
  auto it = index_.find(&maker);
  if (it != index_.end()) profile_.ops[it->second].kept_bytes -= freed_bytes;
  last_bytes_ -= freed_bytes;  // (a value made before the profiler started was in start_bytes_: nobody's row)
}

TapeProfile TapeProfiler::stop() {
  check(!stopped_, "TapeProfiler::stop: already stopped");
  stopped_ = true;
  if (active_ == this) active_ = nullptr;
  for (const ProfiledOp& op : profile_.ops) {
    profile_.forward_us += op.forward_us;
    profile_.backward_us += op.backward_us;
    profile_.kept_bytes += op.kept_bytes;
    if (op.flops > 0) profile_.flops += op.flops;
  }
  return profile_;
}

std::string TapeProfile::table(size_t max_rows) const {
  std::string out = fmt::format("{:>5}  {:<16} {:<18} {:<8} {:>10} {:>10} {:>11} {:>10}\n", "#", "op", "shape", "dtype",
                                "fwd us", "bwd us", "kept", "FLOPs");
  const size_t rows = max_rows == 0 ? ops.size() : std::min(max_rows, ops.size());
  for (size_t i = 0; i < rows; ++i) {
    const ProfiledOp& op = ops[i];
    out += fmt::format("{:>5}  {:<16} {:<18} {:<8} {:>10.1f} {:>10.1f} {:>11} {:>10}\n", i, op.name,
                       fmt::format("{}", op.shape), dtype_name(op.dtype), op.forward_us, op.backward_us,
                       bytes_text(op.kept_bytes), flops_text(op.flops));
  }
  if (rows < ops.size()) out += fmt::format("  ... {} more ops\n", ops.size() - rows);
  return out + totals_line(*this);
}

std::vector<OpSummary> TapeProfile::by_op() const {
  std::map<std::string, OpSummary> by_name;
  for (const ProfiledOp& op : ops) {
    OpSummary& r = by_name[op.name];
    r.name = op.name;
    ++r.count;
    r.forward_us += op.forward_us;
    r.backward_us += op.backward_us;
    r.kept_bytes += op.kept_bytes;
    if (op.flops >= 0) r.flops = std::max<int64_t>(r.flops, 0) + op.flops;
  }
  std::vector<OpSummary> rows;
  for (auto& [name, r] : by_name) rows.push_back(std::move(r));
  std::stable_sort(rows.begin(), rows.end(), [](const OpSummary& a, const OpSummary& b) {
    return a.forward_us + a.backward_us > b.forward_us + b.backward_us;
  });
  return rows;
}

std::string TapeProfile::summary() const {
  const double total = forward_us + backward_us;
  std::string out = fmt::format("{:<16} {:>6} {:>11} {:>11} {:>7} {:>11} {:>10}\n", "op", "count", "fwd us", "bwd us",
                                "time %", "kept", "FLOPs");
  for (const OpSummary& r : by_op()) {
    out += fmt::format("{:<16} {:>6} {:>11.1f} {:>11.1f} {:>6.1f}% {:>11} {:>10}\n", r.name, r.count, r.forward_us,
                       r.backward_us, total > 0 ? 100.0 * (r.forward_us + r.backward_us) / total : 0.0,
                       bytes_text(r.kept_bytes), flops_text(r.flops));
  }
  return out + totals_line(*this);
}

}  // namespace glimpse
