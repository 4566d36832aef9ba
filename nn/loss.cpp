// Loss modules: settings checked once at construction, then one call to the autograd loss per forward.
#include "nn/loss.h"

namespace glimpse::nn {
namespace {

void check_reduction(const std::string& reduction, const char* op) {
  check(reduction == "mean" || reduction == "sum" || reduction == "none",
        "{}: reduction \"{}\" is not supported; use \"mean\", \"sum\" or \"none\"", op, reduction);
}

// PyTorch prints only the settings that differ from the defaults.
std::string reduction_repr(const std::string& reduction) {
  return reduction == "mean" ? "" : fmt::format("reduction='{}'", reduction);
}

void append(std::string& s, const std::string& part) {
  if (part.empty()) return;
  if (!s.empty()) s += ", ";
  s += part;
}

}  // namespace

// ---- MSELoss

MSELoss::MSELoss(std::string reduction) : Module("MSELoss"), reduction(std::move(reduction)) {
  check_reduction(this->reduction, "MSELoss");
}

// input, target: [*] -> []
Variable MSELoss::forward(const Variable& input, const Variable& target) const {
  return mse_loss(input, target, reduction);
}

std::string MSELoss::extra_repr() const { return reduction_repr(reduction); }

// ---- CrossEntropyLoss

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyOptions options) : Module("CrossEntropyLoss"), options(options) {
  check_reduction(options.reduction, "CrossEntropyLoss");
  check(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0,
        "CrossEntropyLoss: label_smoothing must be between 0 and 1, got {}", options.label_smoothing);
}

// logits: [N, C], target: [N] -> []
Variable CrossEntropyLoss::forward(const Variable& logits, const Tensor& target) const {
  return cross_entropy(logits, target, options);
}

std::string CrossEntropyLoss::extra_repr() const {
  std::string s = reduction_repr(options.reduction);
  if (options.ignore_index != -100) append(s, fmt::format("ignore_index={}", options.ignore_index));
  if (options.label_smoothing != 0.0) append(s, fmt::format("label_smoothing={}", options.label_smoothing));
  return s;
}

// ---- NLLLoss

NLLLoss::NLLLoss(NLLLossOptions options) : Module("NLLLoss"), options(options) {
  check_reduction(options.reduction, "NLLLoss");
}

// log_probs: [N, C], target: [N] -> []
Variable NLLLoss::forward(const Variable& log_probs, const Tensor& target) const {
  return nll_loss(log_probs, target, options);
}

std::string NLLLoss::extra_repr() const {
  std::string s = reduction_repr(options.reduction);
  if (options.ignore_index != -100) append(s, fmt::format("ignore_index={}", options.ignore_index));
  return s;
}

// ---- BCEWithLogitsLoss

BCEWithLogitsLoss::BCEWithLogitsLoss(std::string reduction, const Tensor& pos_weight)
    : Module("BCEWithLogitsLoss"), reduction(std::move(reduction)) {
  check_reduction(this->reduction, "BCEWithLogitsLoss");
  if (pos_weight.defined()) {
    check(is_floating(pos_weight.dtype()), "BCEWithLogitsLoss: pos_weight must be float32 or float64, got {}",
          dtype_name(pos_weight.dtype()));
    register_buffer("pos_weight", pos_weight);  // a buffer, so that a checkpoint saves and restores it
  }
}

// logits, target: [*] -> []
Variable BCEWithLogitsLoss::forward(const Variable& logits, const Tensor& target) const {
  return binary_cross_entropy_with_logits(logits, target, reduction, pos_weight());
}

Tensor BCEWithLogitsLoss::pos_weight() const {
  for (const auto& [name, t] : named_buffers()) {
    if (name == "pos_weight") return t;
  }
  return Tensor();
}

std::string BCEWithLogitsLoss::extra_repr() const { return reduction_repr(reduction); }

}  // namespace glimpse::nn
