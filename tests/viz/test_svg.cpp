// Tests for viz/svg.h: escaping, saving, colour scales and tick placement.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "svg_check.h"
#include "tensor/error.h"
#include "viz/svg.h"

using namespace glimpse;

TEST_CASE("svg: escape_xml turns every markup character into an entity") {
  CHECK(viz::escape_xml("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(viz::escape_xml("J' aime") == "J&#39; aime");
  CHECK(viz::escape_xml("plain") == "plain");
}

TEST_CASE("svg: text with markup characters survives a round trip through an XML parser") {
  viz::Svg svg(100, 50);
  const std::string nasty = "<eos> & \"quoted\" l'apprentissage";
  svg.text(10, 20, nasty, {.rotate = -45});
  svg.rect(0, 0, 10, 10, "#123456", "none", 1.0, nasty);
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg.str(), doc).empty());
  CHECK(std::string(doc.child("svg").child("text").text().get()) == nasty);
  CHECK(std::string(doc.child("svg").find_child_by_attribute("rect", "fill", "#123456").child("title").text().get()) ==
        nasty);
  svg_test::check_svg(svg.str(), "escaping");
}

TEST_CASE("svg: save creates the folder, and an impossible path is an Error naming it") {
  const auto root = std::filesystem::temp_directory_path() / "glimpse_viz_save_test";
  std::filesystem::remove_all(root);
  viz::save(root / "nested" / "a.svg", "<svg/>");
  CHECK(svg_test::read_file(root / "nested" / "a.svg") == "<svg/>");
  // a.svg is a file, so it cannot be a folder
  CHECK_THROWS_WITH_AS(viz::save(root / "nested" / "a.svg" / "b.svg", "x"), doctest::Contains("viz::save"), Error);
  std::filesystem::remove_all(root);
}

TEST_CASE("svg: viridis runs from dark purple to yellow and clamps outside [0, 1]") {
  CHECK(viz::viridis(0).hex() == "#440154");
  CHECK(viz::viridis(1).hex() == "#fde725");
  CHECK(viz::viridis(-3).hex() == viz::viridis(0).hex());
  CHECK(viz::viridis(7).hex() == viz::viridis(1).hex());
  CHECK(viz::text_color_on(viz::viridis(0)) == "#fff");  // white on dark
  CHECK(viz::text_color_on(viz::viridis(1)) == "#111");  // black on light
}

TEST_CASE("svg: nice_ticks are round steps covering the range") {
  auto t = viz::nice_ticks(0, 1, 5);
  REQUIRE(t.size() == 6);
  CHECK(t.front() == 0);
  CHECK(t.back() == doctest::Approx(1.0));
  CHECK(t[1] == doctest::Approx(0.2));
  t = viz::nice_ticks(-3, 47, 5);
  CHECK(t.front() == 0);  // first multiple of 10 at or above -3
  CHECK(t[1] - t[0] == doctest::Approx(10));
  CHECK(t.back() == doctest::Approx(40));
  CHECK(viz::nice_ticks(2, 2).size() == 1);
  CHECK(viz::nice_ticks(0, NAN).empty());
  CHECK(viz::tick_label(0.2, 0.2) == "0.2");
  CHECK(viz::tick_label(0.25, 0.05) == "0.25");
  CHECK(viz::tick_label(200, 100) == "200");
  CHECK(viz::tick_label(1e-4, 1e-4) == "1e-04");
}

TEST_CASE("svg: text_width counts characters, not UTF-8 bytes") {
  CHECK(viz::text_width("ab", 10) == doctest::Approx(12));
  CHECK(viz::text_width("ée", 10) == doctest::Approx(12));
}
