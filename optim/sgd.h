// SGD with momentum, dampening, Nesterov and weight decay, updating exactly as torch.optim.SGD:
//   d = g + weight_decay * p
//   b = d on the first step, then b = momentum * b + (1 - dampening) * d
//   d = d + momentum * b (nesterov) or d = b (plain momentum)
//   p = p - lr * d
#pragma once

#include "optim/optimizer.h"

namespace glimpse::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;  // ascend instead of descend
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Variable> params, const SGDOptions& options = {});
  SGD(std::vector<ParamGroup> groups, const SGDOptions& options = {});
  void step() override;
  const SGDOptions& options() const { return options_; }

 private:
  std::vector<std::string> buffer_names() const override;
  SGDOptions options_;
};

}  // namespace glimpse::optim
