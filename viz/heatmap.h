// Heatmap: a matrix as coloured cells with labelled rows and columns, a colour scale, and each value printed in its
// cell when it fits. For attention weights: source tokens across, output tokens down.
//
//   std::string svg = viz::heatmap(weights, {.title = "dot attention", .row_labels = out_tokens,
//                                            .col_labels = src_tokens, .vmin = 0.0, .vmax = 1.0});
//   viz::save(out / "dot.svg", svg);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "viz/svg.h"  // viz::save, for the usage above

namespace glimpse::viz {

struct HeatmapOptions {
  std::string title = "";
  std::vector<std::string> row_labels = {};  // one per row (empty: 0, 1, 2, ...)
  std::vector<std::string> col_labels = {};  // one per column
  std::string row_axis = "";                 // e.g. "output token"
  std::string col_axis = "";                 // e.g. "source token"
  std::optional<double> vmin = {};           // colour scale range; default: the data's min and max
  std::optional<double> vmax = {};
  double cell = 40;                          // cell size in pixels
  bool values = true;                        // print each value in its cell when the text fits
};

// values: [rows, cols] (any float dtype) -> the SVG text. A non-finite value (a masked -inf score) is drawn grey.
std::string heatmap(const Tensor& values, const HeatmapOptions& options = {});

}  // namespace glimpse::viz
