// Tests for viz/plots.h: bar panels (one bar per value, the marked position green) and line plots (linear and log).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

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
  CHECK_THROWS_AS(viz::line_plot({{.y = {1, 2}, .x = {1}}}), Error);
  CHECK_THROWS_AS(viz::line_plot({}), Error);
}
