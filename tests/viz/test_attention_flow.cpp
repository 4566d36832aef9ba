// Tests for viz/attention_flow.h: one link per weight above the threshold, thicker and darker for larger weights.
#include <doctest/doctest.h>

#include <algorithm>

#include "svg_check.h"
#include "tensor/error.h"
#include "tensor/tensor.h"
#include "viz/attention_flow.h"

using namespace glimpse;

TEST_CASE("attention flow: token boxes, one link per visible weight, width growing with the weight") {
  const Tensor w = tensor({0.7, 0.3, 0.0, 0.1, 0.1, 0.8}).reshape({2, 3});
  const std::string svg = viz::attention_flow(w, {"I", "love", "<eos>"}, {"J'", "aime"}, {.title = "flow"});
  svg_test::check_svg(svg, "attention flow");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  std::vector<std::pair<std::string, double>> links;  // tooltip, width
  std::vector<std::string> texts;
  for (pugi::xml_node n : doc.child("svg").children()) {
    if (std::string(n.name()) == "path") links.emplace_back(n.child("title").text().get(), n.attribute("stroke-width").as_double());
    if (std::string(n.name()) == "text") texts.emplace_back(n.text().get());
  }
  REQUIRE(links.size() == 5);  // the 0.0 weight is not drawn
  CHECK(links.back().first == "<eos> -> aime: 0.800");  // strongest last (on top)
  CHECK(links.front().second < links.back().second);
  for (const char* t : {"I", "love", "<eos>", "J'", "aime", "flow"}) {
    CHECK(std::find(texts.begin(), texts.end(), t) != texts.end());
  }
}

TEST_CASE("attention flow: token counts must match the weights") {
  const Tensor w = tensor({0.5, 0.5}).reshape({1, 2});
  CHECK_THROWS_AS(viz::attention_flow(w, {"a"}, {"x"}), Error);
  CHECK_THROWS_AS(viz::attention_flow(w, {"a", "b"}, {}), Error);
  CHECK_THROWS_AS(viz::attention_flow(tensor({1.0}), {"a"}, {"x"}), Error);
}
