// Bar panels: a grid of small bar charts on one y scale, the marked position drawn as a green bar behind.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "viz/plots.h"
#include "viz/svg.h"

namespace glimpse::viz {

std::string bar_panels(const std::vector<BarPanel>& panels, const BarPanelsOptions& o) {
  check(!panels.empty(), "viz::bar_panels: no panels to draw");
  const size_t n = panels[0].values.size();
  double y_max = o.y_max;
  bool any_marked = false;
  for (const BarPanel& p : panels) {
    check(!p.values.empty() && p.values.size() == n,
          "viz::bar_panels: panel '{}' has {} values, the first has {} (every panel needs the same positions)",
          p.title, p.values.size(), n);
    check(p.marked < static_cast<int>(n), "viz::bar_panels: panel '{}' marks position {} of {}", p.title, p.marked, n);
    any_marked = any_marked || p.marked >= 0;
    if (o.y_max <= 0) {
      for (double v : p.values) y_max = std::max(y_max, std::isfinite(v) ? v : 0.0);
    }
  }
  check(o.x_labels.empty() || o.x_labels.size() == n, "viz::bar_panels: {} x labels for {} positions",
        o.x_labels.size(), n);
  if (o.y_max <= 0 && any_marked) y_max = std::max(y_max, 1.0);
  if (y_max <= 0) y_max = 1;

  const int columns = o.columns > 0 ? o.columns : static_cast<int>(std::min<size_t>(panels.size(), 5));
  const int rows = static_cast<int>((panels.size() + columns - 1) / columns);
  const double pad_left = 40, pad_top = 26, pad_bottom = 26, gap = 14;
  const double cell_w = o.panel_width + pad_left + gap, cell_h = o.panel_height + pad_top + pad_bottom + gap;
  const double title_h = o.title.empty() ? 10 : 34, legend_h = 26;
  const double width = 10 + columns * cell_w, height = title_h + legend_h + rows * cell_h;
  Svg svg(width, height);
  if (!o.title.empty()) svg.text(12, 22, o.title, {.size = 16, .bold = true});
  // Legend: two swatches.
  double lx = 14;
  const double ly = title_h + 4;
  if (any_marked) {
    svg.rect(lx, ly, 12, 12, kGreen, "none", 0.55);
    svg.text(lx + 18, ly + 7.5, o.marked_name, {.size = 12, .baseline = "middle"});
    lx += 18 + text_width(o.marked_name, 12) + 22;
  }
  svg.rect(lx, ly, 12, 12, kOrange);
  svg.text(lx + 18, ly + 7.5, o.values_name, {.size = 12, .baseline = "middle"});

  const std::vector<double> ticks = nice_ticks(0, y_max, 4);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : y_max;
  const double slot = o.panel_width / static_cast<double>(n);
  // With many positions only every `every`-th x label is written, so they never overlap.
  size_t max_label = 1;
  for (size_t i = 0; i < n; ++i) max_label = std::max(max_label, o.x_labels.empty() ? std::to_string(i).size() : o.x_labels[i].size());
  const size_t every = static_cast<size_t>(std::ceil((static_cast<double>(max_label) * 6.0 + 4) / slot));
  for (size_t k = 0; k < panels.size(); ++k) {
    const BarPanel& p = panels[k];
    const double x0 = 10 + (k % columns) * cell_w + pad_left;
    const double y0 = title_h + legend_h + (k / columns) * cell_h + pad_top;  // top of the plot area
    const double bottom = y0 + o.panel_height;
    auto y_of = [&](double v) { return bottom - o.panel_height * std::clamp(v / y_max, 0.0, 1.0); };
    svg.text(x0 + o.panel_width / 2, y0 - 9, p.title, {.size = 13, .anchor = "middle", .bold = true});
    for (double t : ticks) {
      svg.line(x0, y_of(t), x0 + o.panel_width, y_of(t), "#e4e4e4");
      svg.text(x0 - 5, y_of(t), tick_label(t, step), {.size = 10, .anchor = "end", .color = "#555", .baseline = "middle"});
    }
    if (p.marked >= 0) {  // the truth: a wide translucent green bar behind
      svg.rect(x0 + p.marked * slot + slot * 0.08, y_of(y_max >= 1 ? 1.0 : y_max), slot * 0.84,
               bottom - y_of(y_max >= 1 ? 1.0 : y_max), kGreen, "none", 0.55, fmt::format("true position {}", p.marked));
    }
    for (size_t i = 0; i < n; ++i) {
      const double v = std::isfinite(p.values[i]) ? p.values[i] : 0.0;
      const double top = y_of(v);
      svg.rect(x0 + i * slot + slot * 0.25, top, slot * 0.5, bottom - top, kOrange, "none", 1.0,
               fmt::format("position {}: {:.3f}", i, p.values[i]));
      if (i % every != 0) continue;
      const std::string xl = o.x_labels.empty() ? std::to_string(i) : o.x_labels[i];
      svg.text(x0 + (i + 0.5) * slot, bottom + 14, xl, {.size = 10, .anchor = "middle", .color = "#444"});
    }
    svg.line(x0, bottom, x0 + o.panel_width, bottom, "#444");
    svg.line(x0, y0, x0, bottom, "#444");
  }
  return svg.str();
}

}  // namespace glimpse::viz
