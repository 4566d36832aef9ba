// Tests for viz/image_overlay.h: one embedded PNG per panel, titles, boxes and the peak mark; the figure parses and
// renders; bad panels are errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "svg_check.h"
#include "tensor/error.h"
#include "viz/image_overlay.h"

using namespace glimpse;

TEST_SUITE("image_overlay") {
  TEST_CASE("panels with a coarse heat grid, a box and the peak: parses, renders, one image per panel") {
    std::vector<viz::OverlayPanel> panels;
    for (int k = 0; k < 3; ++k) {
      viz::OverlayPanel p{.title = "digit " + std::to_string(k), .height = 6, .width = 8};
      for (int i = 0; i < 48; ++i) p.image.push_back((i % 7) / 6.0);
      p.heat = {0, 1, 0, 0, 0, 0};
      p.heat[k] = 5;
      p.heat_height = 2;
      p.heat_width = 3;
      p.boxes.push_back({.x = 1, .y = 1, .width = 3, .height = 3});
      p.mark_peak = true;
      panels.push_back(p);
    }
    const std::string svg = viz::image_overlay(panels, {.title = "a <title> & more", .columns = 2});
    svg_test::check_svg(svg, "image_overlay");
    pugi::xml_document doc;
    REQUIRE(svg_test::xml_error(svg, doc).empty());
    int images = 0, outlines = 0, marks = 0;
    for (pugi::xml_node n : doc.child("svg").children()) {
      const std::string name = n.name();
      if (name == "image") {
        ++images;
        CHECK(std::string(n.attribute("xlink:href").value()).rfind("data:image/png;base64,", 0) == 0);
      }
      if (name == "rect" && std::string(n.attribute("fill").value()) == "none") ++outlines;
      if (name == "path") ++marks;
    }
    CHECK(images == 3);
    CHECK(outlines == 3);
    CHECK(marks == 3);
    CHECK(svg.find("digit 2") != std::string::npos);
    CHECK(svg.find("a &lt;title&gt; &amp; more") != std::string::npos);
  }

  TEST_CASE("an image without heat is drawn plain, and a panel of the wrong size is an error") {
    viz::OverlayPanel plain{.title = "plain", .image = std::vector<double>(4, 0.5), .height = 2, .width = 2};
    svg_test::check_svg(viz::image_overlay({plain}), "plain");
    viz::OverlayPanel bad = plain;
    bad.image.pop_back();
    CHECK_THROWS_WITH_AS(viz::image_overlay({bad}), doctest::Contains("3 image values"), Error);
    bad = plain;
    bad.heat = {1, 2, 3};
    bad.heat_height = bad.heat_width = 2;
    CHECK_THROWS_WITH_AS(viz::image_overlay({bad}), doctest::Contains("heat values"), Error);
    CHECK_THROWS_AS(viz::image_overlay({}), Error);
  }
}
