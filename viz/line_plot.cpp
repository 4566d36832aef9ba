// Line plots: shared axes with round ticks (decades on a log axis), one colour per series, and a legend.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "viz/plots.h"
#include "viz/svg.h"

namespace glimpse::viz {

std::string line_plot(const std::vector<Series>& series, const LinePlotOptions& o) {
  check(!series.empty(), "viz::line_plot: no series to draw");
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  bool whole_x = true;  // every x a whole number
  for (const Series& s : series) {
    check(s.x.empty() || s.x.size() == s.y.size(), "viz::line_plot: series '{}' has {} x values for {} y values",
          s.name, s.x.size(), s.y.size());
    for (size_t i = 0; i < s.y.size(); ++i) {
      const double x = s.x.empty() ? static_cast<double>(i + 1) : s.x[i], y = s.y[i];
      if (!std::isfinite(x) || !std::isfinite(y) || (o.log_y && y <= 0)) continue;
      x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
      whole_x = whole_x && x == std::round(x);
      const double yy = o.log_y ? std::log10(y) : y;
      y_lo = std::min(y_lo, yy), y_hi = std::max(y_hi, yy);
    }
  }
  if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;  // nothing drawable: empty axes
  if (x_hi <= x_lo) x_hi = x_lo + 1;
  if (y_hi <= y_lo) y_lo -= 0.5, y_hi += 0.5;
  if (o.log_y) {  // whole decades
    y_lo = std::floor(y_lo), y_hi = std::ceil(y_hi);
    if (y_hi <= y_lo) y_hi = y_lo + 1;
  } else {
    const double pad = (y_hi - y_lo) * 0.05;
    y_lo = (y_lo >= 0 && y_lo - pad < 0) ? 0 : y_lo - pad;
    y_hi += pad;
  }

  // The plot area keeps the size the options give; the legend goes to its right, outside it, and the figure grows
  // to hold it (wider by the legend, taller when the legend is longer than the plot), so that it never hides data.
  const double left = 70, right = 20, top = o.title.empty() ? 16 : 40, bottom = 50;
  const double pw = o.width - left - right, ph = o.height - top - bottom;
  const bool legend = series.size() > 1 || !series[0].name.empty();
  double name_w = 0;
  for (const Series& s : series) name_w = std::max(name_w, text_width(s.name, 12));
  const double legend_w = name_w + 40, legend_h = 18.0 * static_cast<double>(series.size()) + 6;
  const double legend_x = left + pw + right, legend_y = top;  // the box's corner; `right` clears the last x label
  const double width = legend ? legend_x + legend_w + 10 : o.width;
  const double height = legend ? std::max(o.height, legend_y + legend_h + 10) : o.height;
  auto px = [&](double x) { return left + pw * (x - x_lo) / (x_hi - x_lo); };
  auto py = [&](double y) { return top + ph * (1 - (y - y_lo) / (y_hi - y_lo)); };
  Svg svg(width, height);
  if (!o.title.empty()) svg.text(12, 24, o.title, {.size = 15, .bold = true});

  // y grid and labels
  std::vector<double> yt;
  if (o.log_y) {
    const int every = static_cast<int>(std::ceil((y_hi - y_lo) / 6));  // at most ~6 labelled decades
    for (double d = y_lo; d <= y_hi + 1e-9; d += std::max(every, 1)) yt.push_back(d);
  } else {
    yt = nice_ticks(y_lo, y_hi, 5);
  }
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double t : yt) {
    if (t < y_lo - 1e-9 || t > y_hi + 1e-9) continue;
    svg.line(left, py(t), left + pw, py(t), "#e4e4e4");
    const std::string label = o.log_y ? fmt::format("1e{}", static_cast<int>(std::lround(t))) : tick_label(t, ystep);
    svg.text(left - 6, py(t), label, {.size = 11, .anchor = "end", .color = "#444", .baseline = "middle"});
  }
  std::vector<double> xt = nice_ticks(x_lo, x_hi, 6);
  if (whole_x && xt.size() > 1 && xt[1] - xt[0] < 1) {  // counts (lengths, epochs): no ticks between them
    xt.clear();
    for (double t = std::ceil(x_lo); t <= x_hi + 1e-9; ++t) xt.push_back(t);
  }
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double t : xt) {
    if (t < x_lo - 1e-9 || t > x_hi + 1e-9) continue;
    svg.line(px(t), top + ph, px(t), top + ph + 4, "#444");
    svg.text(px(t), top + ph + 17, tick_label(t, xstep), {.size = 11, .anchor = "middle", .color = "#444"});
  }
  svg.line(left, top + ph, left + pw, top + ph, "#444");
  svg.line(left, top, left, top + ph, "#444");
  if (!o.x_label.empty()) svg.text(left + pw / 2, top + ph + bottom - 10, o.x_label, {.size = 12, .anchor = "middle"});
  if (!o.y_label.empty()) svg.text(16, top + ph / 2, o.y_label, {.size = 12, .anchor = "middle", .rotate = -90});

  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    std::vector<std::pair<double, double>> pts;
    for (size_t i = 0; i < s.y.size(); ++i) {
      const double x = s.x.empty() ? static_cast<double>(i + 1) : s.x[i], y = s.y[i];
      if (!std::isfinite(x) || !std::isfinite(y) || (o.log_y && y <= 0)) continue;
      pts.emplace_back(px(x), py(o.log_y ? std::log10(y) : y));
    }
    svg.polyline(pts, palette(k), 2);
    if (pts.size() <= 20) {
      for (const auto& [x, y] : pts) svg.circle(x, y, 3, palette(k));
    }
  }
  if (legend) {  // right of the plot area (see above)
    svg.rect(legend_x, legend_y, legend_w, legend_h, "white", "#ccc", 0.9);
    for (size_t k = 0; k < series.size(); ++k) {
      const double y = legend_y + 12 + 18.0 * static_cast<double>(k);
      svg.line(legend_x + 6, y, legend_x + 26, y, palette(k), 2.5);
      svg.text(legend_x + 32, y, series[k].name, {.size = 12, .baseline = "middle"});
    }
  }
  return svg.str();
}

}  // namespace glimpse::viz
