// Tests for viz/plots.h: bar panels (one bar per value, the marked position green) and line plots (linear and log).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "svg_check.h"
#include "tensor/error.h"
#include "viz/plots.h"
#include "viz/svg.h"

using namespace glimpse;

namespace {
int count_rects(const pugi::xml_document& doc, const std::string& fill) {
  int n = 0;
  for (pugi::xml_node r : doc.child("svg").children("rect")) n += fill == r.attribute("fill").value();
  return n;
}
}  // namespace

TEST_CASE("bar panels: an orange bar per value, a green bar per marked panel, heights on one scale") {
  std::vector<viz::BarPanel> panels = {{.title = "context 0", .values = {0.0, 0.5, 1.0}, .marked = 2},
                                       {.title = "context <1>", .values = {0.25, 0.0, 0.0}, .marked = 0},
                                       {.title = "no truth", .values = {0.1, 0.1, 0.1}}};
  const std::string svg = viz::bar_panels(panels, {.title = "learned attention", .panel_height = 100});
  svg_test::check_svg(svg, "bar panels");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  CHECK(count_rects(doc, viz::kOrange) == 9 + 1);  // 9 bars and the legend swatch
  CHECK(count_rects(doc, viz::kGreen) == 2 + 1);
  // Bar heights are proportional to the values on the shared y scale (max 1): 0.5 -> 50 px, 1.0 -> 100 px.
  std::vector<double> heights;
  for (pugi::xml_node r : doc.child("svg").children("rect")) {
    if (viz::kOrange == r.attribute("fill").value() && r.child("title")) heights.push_back(r.attribute("height").as_double());
  }
  REQUIRE(heights.size() == 9);
  CHECK(heights[1] == doctest::Approx(50).epsilon(0.01));
  CHECK(heights[2] == doctest::Approx(100).epsilon(0.01));
  CHECK(heights[3] == doctest::Approx(25).epsilon(0.01));
}

TEST_CASE("bar panels: panels of different lengths or a mark out of range are Errors") {
  CHECK_THROWS_AS(viz::bar_panels({{.values = {1, 2}}, {.values = {1}}}), Error);
  CHECK_THROWS_AS(viz::bar_panels({{.values = {1, 2}, .marked = 2}}), Error);
  CHECK_THROWS_AS(viz::bar_panels({}), Error);
}

TEST_CASE("line plot: one polyline per series, legend names, log axis in decades") {
  std::vector<viz::Series> s = {{.name = "train", .y = {1.0, 0.1, 0.01, 0.001}},
                                {.name = "valid & test", .y = {2.0, 0.5, 0.0, 0.05}}};
  const std::string svg = viz::line_plot(s, {.title = "loss", .x_label = "epoch", .y_label = "MSE", .log_y = true});
  svg_test::check_svg(svg, "line plot log");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  int lines = 0;
  std::vector<std::string> texts;
  for (pugi::xml_node n : doc.child("svg").children()) {
    if (std::string(n.name()) == "polyline") ++lines;
    if (std::string(n.name()) == "text") texts.emplace_back(n.text().get());
  }
  CHECK(lines == 2);
  for (const char* want : {"train", "valid & test", "1e-3", "1e0", "epoch", "MSE", "loss"}) {
    CHECK_MESSAGE(std::find(texts.begin(), texts.end(), want) != texts.end(), want);
  }
  // The non-positive value is left out of the log plot: the second series has 3 points.
  pugi::xml_node second = doc.child("svg").find_child_by_attribute("polyline", "stroke", viz::palette(1).c_str());
  const std::string pts = second.attribute("points").value();
  CHECK(std::count(pts.begin(), pts.end(), ',') == 3);
}

TEST_CASE("line plot: a linear axis has round ticks around the data and x values are used when given") {
  const std::string svg = viz::line_plot({{.y = {3, 5, 4}, .x = {10, 20, 30}}});
  svg_test::check_svg(svg, "line plot linear");
  CHECK(svg.find(">4.0</text>") != std::string::npos);  // y ticks every 0.5 over [2.9, 5.1]
  CHECK(svg.find(">20</text>") != std::string::npos);
  // Whole-number x values (lengths, epochs) get whole-number ticks only, none at 3.5.
  const std::string counts = viz::line_plot({{.y = {30, 50, 40, 20}, .x = {3, 4, 5, 6}}});
  CHECK(counts.find(">4</text>") != std::string::npos);
  CHECK(counts.find(">3.5</text>") == std::string::npos);
  CHECK(counts.find(">3.0</text>") == std::string::npos);
  CHECK_THROWS_AS(viz::line_plot({{.y = {1, 2}, .x = {1}}}), Error);
  CHECK_THROWS_AS(viz::line_plot({}), Error);
}

namespace {
struct Box {
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  void add(double x, double y) {
    x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  bool overlaps(const Box& b) const { return x0 < b.x1 && b.x0 < x1 && y0 < b.y1 && b.y0 < y1; }
};

// Checks a line plot's legend against its plot area, read back from the SVG: the box spanned by the axes, grid, ticks
// and every data point must not meet the legend's box, and the legend must lie inside the figure.
void check_legend_outside(const std::string& svg, size_t entries) {
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  const pugi::xml_node root = doc.child("svg");
  Box plot, legend;
  int legend_boxes = 0;
  for (pugi::xml_node n : root.children()) {
    const std::string name = n.name(), stroke = n.attribute("stroke").value();
    if (name == "line" && (stroke == "#444" || stroke == "#e4e4e4")) {  // axes, ticks, grid
      plot.add(n.attribute("x1").as_double(), n.attribute("y1").as_double());
      plot.add(n.attribute("x2").as_double(), n.attribute("y2").as_double());
    } else if (name == "polyline") {
      std::istringstream pts(n.attribute("points").value());
      double x = 0, y = 0;
      char comma = 0;
      while (pts >> x >> comma >> y) plot.add(x, y);
    } else if (name == "circle") {
      const double cx = n.attribute("cx").as_double(), cy = n.attribute("cy").as_double();
      const double r = n.attribute("r").as_double();
      plot.add(cx - r, cy - r), plot.add(cx + r, cy + r);
    } else if (name == "rect" && stroke == "#ccc") {  // the legend's box (the other rectangle is the background)
      ++legend_boxes;
      const double x = n.attribute("x").as_double(), y = n.attribute("y").as_double();
      legend.add(x, y), legend.add(x + n.attribute("width").as_double(), y + n.attribute("height").as_double());
    }
  }
  REQUIRE(legend_boxes == 1);
  INFO("plot area x " << plot.x0 << ".." << plot.x1 << ", y " << plot.y0 << ".." << plot.y1);
  INFO("legend x " << legend.x0 << ".." << legend.x1 << ", y " << legend.y0 << ".." << legend.y1);
  CHECK_FALSE(legend.overlaps(plot));
  CHECK(legend.x1 <= root.attribute("width").as_double());
  CHECK(legend.y1 <= root.attribute("height").as_double());
  // Every entry's swatch and name are inside the legend's box.
  size_t inside = 0;
  for (pugi::xml_node t : root.children("text")) {
    const double x = t.attribute("x").as_double(), y = t.attribute("y").as_double();
    inside += x > legend.x0 && x < legend.x1 && y > legend.y0 && y < legend.y1;
  }
  CHECK(inside == entries);
}
}  // namespace

TEST_CASE("line plot: the legend never covers the plot area, however many series or however long their names") {
  // Lines that fill the top right corner, where a legend inside the plot would sit (the by-length figure's fault).
  std::vector<viz::Series> rising;
  for (int k = 0; k < 7; ++k) {
    rising.push_back({.name = "series with a long name " + std::to_string(k),
                      .y = {1.0 + k, 5.0 + k, 9.0 + k, 16.0 + k}, .x = {3, 4, 5, 6}});
  }
  const std::string svg = viz::line_plot(rising, {.title = "BLEU", .x_label = "length", .y_label = "BLEU"});
  svg_test::check_svg(svg, "line plot legend");
  check_legend_outside(svg, rising.size());

  // More series than the plot is tall: the figure grows to hold the legend; on a log axis too.
  std::vector<viz::Series> many;
  for (int k = 0; k < 16; ++k) many.push_back({.name = "run " + std::to_string(k), .y = {1.0, 0.1 * (k + 1), 0.01}});
  const std::string tall = viz::line_plot(many, {.log_y = true, .height = 200});
  svg_test::check_svg(tall, "line plot tall legend");
  check_legend_outside(tall, many.size());

  // One named series has a legend too; one unnamed series has none and keeps the size asked for.
  check_legend_outside(viz::line_plot({{.name = "train", .y = {3, 1, 2}}}), 1);
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(viz::line_plot({{.y = {3, 1, 2}}}, {.width = 400, .height = 300}), doc).empty());
  CHECK(doc.child("svg").find_child_by_attribute("rect", "stroke", "#ccc").empty());
  CHECK(doc.child("svg").attribute("width").as_double() == 400);
}
