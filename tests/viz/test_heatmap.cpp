// Tests for viz/heatmap.h: one cell per value coloured on the scale, labels, values that fit, bad input.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>

#include "svg_check.h"
#include "tensor/error.h"
#include "tensor/tensor.h"
#include "viz/heatmap.h"
#include "viz/svg.h"

using namespace glimpse;

namespace {
// Rect elements carrying a <title> are the cells (the colour bar and background have none).
std::vector<pugi::xml_node> cells(const pugi::xml_document& doc) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node r : doc.child("svg").children("rect")) {
    if (r.child("title")) out.push_back(r);
  }
  return out;
}
bool has_text(const pugi::xml_document& doc, const std::string& s) {
  for (pugi::xml_node t : doc.child("svg").children("text")) {
    if (s == t.text().get()) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("heatmap: a cell per value, coloured by the scale, with labels, axis names and values") {
  const Tensor w = tensor({0.1, 0.9, 0.5, 0.0, 1.0, 0.25}).reshape({2, 3});
  const std::string svg = viz::heatmap(w, {.title = "dot <attention>", .row_labels = {"J'", "aime"},
                                           .col_labels = {"I", "love", "ML"}, .row_axis = "output",
                                           .col_axis = "source", .vmin = 0.0, .vmax = 1.0});
  svg_test::check_svg(svg, "heatmap");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  const auto c = cells(doc);
  REQUIRE(c.size() == 6);
  CHECK(std::string(c[0].attribute("fill").value()) == viz::viridis(0.1).hex());
  CHECK(std::string(c[4].attribute("fill").value()) == viz::viridis(1.0).hex());
  CHECK(std::string(c[3].attribute("fill").value()) == viz::viridis(0.0).hex());
  CHECK(std::string(c[1].child("title").text().get()) == "J' / love: 0.90");
  for (const char* s : {"dot <attention>", "J'", "aime", "I", "love", "ML", "output", "source", "0.25", "0.10"}) {
    CHECK_MESSAGE(has_text(doc, s), s);
  }
}

TEST_CASE("heatmap: the default scale is the data's range, and masked -inf cells are grey") {
  const Tensor w = tensor({2.0, 4.0, -INFINITY, 3.0}).reshape({2, 2});
  const std::string svg = viz::heatmap(w);
  svg_test::check_svg(svg, "heatmap -inf");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  const auto c = cells(doc);
  REQUIRE(c.size() == 4);
  CHECK(std::string(c[0].attribute("fill").value()) == viz::viridis(0).hex());
  CHECK(std::string(c[1].attribute("fill").value()) == viz::viridis(1).hex());
  CHECK(std::string(c[3].attribute("fill").value()) == viz::viridis(0.5).hex());
  CHECK(std::string(c[2].attribute("fill").value()) == "#d0d0d0");
  CHECK(has_text(doc, "-inf"));
  CHECK(has_text(doc, "0"));  // default labels are the indices
}

TEST_CASE("heatmap: values are left out when they do not fit the cell") {
  const Tensor w = tensor({0.123, 0.456}).reshape({1, 2});
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(viz::heatmap(w, {.cell = 12}), doc).empty());
  CHECK_FALSE(has_text(doc, "0.12"));
  REQUIRE(svg_test::xml_error(viz::heatmap(w, {.cell = 40}), doc).empty());
  CHECK(has_text(doc, "0.12"));
}

TEST_CASE("heatmap: wrong dimensions or label counts are Errors") {
  CHECK_THROWS_AS(viz::heatmap(tensor({1.0, 2.0})), Error);
  CHECK_THROWS_AS(viz::heatmap(tensor({1.0, 2.0}).reshape({1, 2}), {.row_labels = {"a", "b"}}), Error);
  CHECK_THROWS_AS(viz::heatmap(tensor({1.0, 2.0}).reshape({1, 2}), {.col_labels = {"a"}}), Error);
}

TEST_CASE("heatmap: small cells label every few rows and columns instead of overlapping them") {
  std::vector<std::string> labels;
  for (int i = 0; i < 64; ++i) labels.push_back(fmt::format("t{}", i));
  const Tensor w = zeros({64, 64});
  const std::string svg = viz::heatmap(w, {.row_labels = labels, .col_labels = labels, .cell = 6});
  svg_test::check_svg(svg, "heatmap 64x64");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  CHECK(has_text(doc, "t0"));
  CHECK_FALSE(has_text(doc, "t1"));  // 8 px labels on 6 px cells: every second one
  CHECK(has_text(doc, "t2"));
  CHECK(cells(doc).size() == 64 * 64);
}
