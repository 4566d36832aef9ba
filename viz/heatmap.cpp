// Heatmap layout: title, column labels (turned when long), row labels, cells, then the colour bar on the right.
#include "viz/heatmap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "viz/svg.h"

namespace glimpse::viz {

namespace {

std::string cell_text(double v, double largest) {
  if (!std::isfinite(v)) return v > 0 ? "inf" : v < 0 ? "-inf" : "nan";
  return largest < 10 ? fmt::format("{:.2f}", v) : fmt::format("{:.3g}", v);
}

}  // namespace

// values: [rows, cols] -> SVG
std::string heatmap(const Tensor& values, const HeatmapOptions& o) {
  check(values.dim() == 2, "viz::heatmap: values must be 2-D [rows, cols], got {}-D", values.dim());
  const int64_t rows = values.size(0), cols = values.size(1);
  check(rows > 0 && cols > 0, "viz::heatmap: values [{}, {}] is empty", rows, cols);
  check(o.row_labels.empty() || static_cast<int64_t>(o.row_labels.size()) == rows,
        "viz::heatmap: {} row labels for {} rows", o.row_labels.size(), rows);
  check(o.col_labels.empty() || static_cast<int64_t>(o.col_labels.size()) == cols,
        "viz::heatmap: {} column labels for {} columns", o.col_labels.size(), cols);
  const std::vector<double> v = values.tolist();

  auto label = [](const std::vector<std::string>& labels, int64_t i) {
    return labels.empty() ? std::to_string(i) : labels[static_cast<size_t>(i)];
  };
  double lo = INFINITY, hi = -INFINITY, largest = 0;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    largest = std::max(largest, std::fabs(x));
  }
  if (!std::isfinite(lo)) lo = hi = 0;
  lo = o.vmin.value_or(lo);
  hi = o.vmax.value_or(hi);
  const double span = hi > lo ? hi - lo : 1.0;

  // Layout: measure the labels so that nothing is cut off.
  // Labels shrink with small cells, down to 8 px; below that only every `stride`-th label is written (a 64-token
  // attention map with 12 px cells labels every second token instead of printing them on top of each other).
  const double label_size = std::clamp(o.cell * 0.8, 8.0, 13.0), value_size = std::min(12.0, o.cell * 0.3);
  const int64_t stride = static_cast<int64_t>(std::ceil((label_size + 1) / o.cell));
  double row_label_w = 0, col_label_w = 0;
  for (int64_t i = 0; i < rows; ++i) row_label_w = std::max(row_label_w, text_width(label(o.row_labels, i), label_size));
  for (int64_t j = 0; j < cols; ++j) col_label_w = std::max(col_label_w, text_width(label(o.col_labels, j), label_size));
  const bool turn = col_label_w > o.cell - 4;  // turned 45 degrees when they would overlap
  const double col_label_h = turn ? col_label_w * 0.72 + 10 : label_size + 8;
  const double title_h = o.title.empty() ? 8 : 30;
  const double col_axis_h = o.col_axis.empty() ? 0 : 20;
  const double left = 12 + (o.row_axis.empty() ? 0 : 20) + row_label_w + 8;
  const double top = title_h + col_axis_h + col_label_h;
  const double grid_w = cols * o.cell, grid_h = rows * o.cell;
  const double bar_x = left + grid_w + 18, bar_w = 14;
  const double tick_w = text_width("-0.000", 11);
  const double width = std::max(bar_x + bar_w + 8 + tick_w + 12, text_width(o.title, 15) + 24);
  const double height = top + grid_h + 16;

  Svg svg(width, height);
  if (!o.title.empty()) svg.text(12, 20, o.title, {.size = 15, .bold = true});
  if (!o.col_axis.empty()) {
    svg.text(left + grid_w / 2, title_h + 14, o.col_axis, {.size = 12, .anchor = "middle", .color = "#555"});
  }
  if (!o.row_axis.empty()) {
    svg.text(22, top + grid_h / 2, o.row_axis, {.size = 12, .anchor = "middle", .color = "#555", .rotate = -90});
  }
  for (int64_t j = 0; j < cols; j += turn ? stride : 1) {
    const double cx = left + (j + 0.5) * o.cell;
    if (turn) {
      svg.text(cx, top - 6, label(o.col_labels, j), {.size = label_size, .rotate = -45});
    } else {
      svg.text(cx, top - 7, label(o.col_labels, j), {.size = label_size, .anchor = "middle"});
    }
  }
  for (int64_t i = 0; i < rows; i += stride) {
    svg.text(left - 8, top + (i + 0.5) * o.cell, label(o.row_labels, i),
             {.size = label_size, .anchor = "end", .baseline = "middle"});
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const double x = v[static_cast<size_t>(i * cols + j)];
      const double cx = left + j * o.cell, cy = top + i * o.cell;
      const std::string text = cell_text(x, largest);
      const std::string tip = fmt::format("{} / {}: {}", label(o.row_labels, i), label(o.col_labels, j), text);
      const char* gap = o.cell >= 16 ? "white" : "none";  // white gaps between big cells; small ones would drown
      if (!std::isfinite(x)) {
        svg.rect(cx, cy, o.cell, o.cell, "#d0d0d0", gap, 1.0, tip);
      } else {
        svg.rect(cx, cy, o.cell, o.cell, viridis((x - lo) / span).hex(), gap, 1.0, tip);
      }
      if (o.values && text_width(text, value_size) <= o.cell - 4) {
        const Rgb bg = std::isfinite(x) ? viridis((x - lo) / span) : Rgb{0.8, 0.8, 0.8};
        svg.text(cx + o.cell / 2, cy + o.cell / 2, text,
                 {.size = value_size, .anchor = "middle", .color = text_color_on(bg), .baseline = "middle"});
      }
    }
  }
  // The colour bar: 32 bands from lo (bottom) to hi (top), with round ticks.
  const int bands = 32;
  for (int k = 0; k < bands; ++k) {
    const double t = (k + 0.5) / bands;
    svg.rect(bar_x, top + grid_h * (1 - (k + 1.0) / bands), bar_w, grid_h / bands + 0.5, viridis(t).hex());
  }
  svg.rect(bar_x, top, bar_w, grid_h, "none", "#888");
  const std::vector<double> ticks = nice_ticks(lo, hi, std::max(2, static_cast<int>(grid_h / 40)));
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : span;
  for (double t : ticks) {
    const double y = top + grid_h * (1 - (t - lo) / span);
    svg.line(bar_x + bar_w, y, bar_x + bar_w + 4, y, "#555");
    svg.text(bar_x + bar_w + 7, y, tick_label(t, step), {.size = 11, .color = "#444", .baseline = "middle"});
  }
  return svg.str();
}

}  // namespace glimpse::viz
