// The attention-flow view: input tokens on one row, output tokens on another, each output joined to every input by a
// line as thick and as dark as its attention weight.
//
//   viz::save(out / "flow.svg", viz::attention_flow(weights, src_tokens, out_tokens, {.title = "additive"}));
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "viz/svg.h"  // viz::save, for the usage above

namespace glimpse::viz {

struct AttentionFlowOptions {
  std::string title = "";
  std::string source_name = "input";
  std::string target_name = "output";
  double max_stroke = 9;      // line width of weight 1
  double min_weight = 0.01;   // weaker links are not drawn
};

// weights: [T_out, T_in], rows are the output tokens' distributions over the inputs -> the SVG text.
std::string attention_flow(const Tensor& weights, const std::vector<std::string>& source_tokens,
                           const std::vector<std::string>& target_tokens, const AttentionFlowOptions& options = {});

}  // namespace glimpse::viz
