// Switches for the autograd tape: whether ops are recorded at all, and whether NaN/Inf are hunted down.
//
//   { NoGradGuard no_grad; auto y = model.forward(x); }   // evaluation: nothing is recorded, no memory is kept
//   { AnomalyModeGuard anomaly; loss.backward(); }         // the first op making NaN/Inf throws, naming itself
// Guards are RAII and nest: each restores the previous setting when it goes out of scope.
#pragma once

namespace glimpse {

// Is the tape recording on this thread? (On by default.)
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
// Does every recorded op, and every backward closure, check its result for NaN/Inf? (Off by default.)
bool is_anomaly_enabled();
void set_anomaly_enabled(bool enabled);

class NoGradGuard {
 public:
  NoGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

class EnableGradGuard {
 public:
  EnableGradGuard() : prev_(is_grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(prev_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

class AnomalyModeGuard {
 public:
  AnomalyModeGuard() : prev_(is_anomaly_enabled()) { set_anomaly_enabled(true); }
  ~AnomalyModeGuard() { set_anomaly_enabled(prev_); }
  AnomalyModeGuard(const AnomalyModeGuard&) = delete;
  AnomalyModeGuard& operator=(const AnomalyModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace glimpse
