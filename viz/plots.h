// Bar panels and line plots.
//
// Bar panels (the context network's figure: one panel per context, a green bar at the true position, orange bars
// for the learned attention):
//   std::vector<viz::BarPanel> panels;
//   for (int c = 0; c < 5; ++c) panels.push_back({.title = fmt::format("context {}", c), .values = attn[c],
//                                                 .marked = truth[c]});
//   viz::save(out / "attention.svg", viz::bar_panels(panels, {.title = "learned attention"}));
//
// Line plots (loss curves; several series, optional log y axis):
//   viz::save(out / "loss.svg", viz::line_plot({{.name = "train", .y = losses}}, {.y_label = "MSE", .log_y = true}));
#pragma once

#include <string>
#include <vector>

#include "viz/svg.h"  // viz::save, for the usage above

namespace glimpse::viz {

struct BarPanel {
  std::string title = "";
  std::vector<double> values = {};  // the orange bars, one per position
  int marked = -1;                  // the position of the green bar (the truth); -1 for none
};

struct BarPanelsOptions {
  std::string title = "";
  std::vector<std::string> x_labels = {};  // one per position (empty: 0, 1, 2, ...)
  std::string values_name = "learned attention";
  std::string marked_name = "true position";
  double y_max = 0;                        // 0: the largest value, and at least 1 when a bar is marked
  int columns = 0;                         // panels per row; 0: all in one row up to 5
  double panel_width = 200, panel_height = 150;
};

// One small bar chart per panel, sharing the y axis, with a legend.
std::string bar_panels(const std::vector<BarPanel>& panels, const BarPanelsOptions& options = {});

struct Series {
  std::string name = "";
  std::vector<double> y = {};
  std::vector<double> x = {};  // empty: 1, 2, 3, ...
};

struct LinePlotOptions {
  std::string title = "";
  std::string x_label = "";
  std::string y_label = "";
  bool log_y = false;  // values <= 0 are left out on a log axis
  double width = 560, height = 320;  // without the legend: the figure widens by the legend's width to hold it
};

// Several series on shared axes with round ticks and a legend (when there is more than one series, or it is named)
// to the right of the plot area, outside it, so that it never covers a line.
std::string line_plot(const std::vector<Series>& series, const LinePlotOptions& options = {});

}  // namespace glimpse::viz
