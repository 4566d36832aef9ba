// Tests for viz/profile_chart.h: one row per op name, the bars' lengths proportional to time and memory.
#include <doctest/doctest.h>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/profile.h"
#include "svg_check.h"
#include "tensor/random.h"
#include "viz/profile_chart.h"

using namespace glimpse;

TEST_CASE("profile chart: a row per op name, bars scaled to the largest, the rest folded into 'other'") {
  TapeProfile p;
  p.ops = {{.name = "matmul", .shape = {4, 4}, .forward_us = 300, .backward_us = 100, .kept_bytes = 2048},
           {.name = "tanh", .shape = {4, 4}, .forward_us = 100, .backward_us = 100, .kept_bytes = 1024},
           {.name = "tanh", .shape = {4, 4}, .forward_us = 50, .backward_us = 50, .kept_bytes = 1024},
           {.name = "view", .shape = {16}, .forward_us = 1, .backward_us = 1, .kept_bytes = 0}};
  p.forward_us = 451;
  p.backward_us = 251;
  const std::string svg = viz::profile_chart(p, {.title = "a <step> & more"});
  svg_test::check_svg(svg, "profile chart");
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg, doc).empty());
  // The green memory bars: matmul 2048 and tanh 2 x 1024 are the same length (the largest); view has none.
  std::vector<double> green;
  for (pugi::xml_node r : doc.child("svg").children("rect")) {
    if (std::string(r.attribute("fill").value()) == viz::kGreen) green.push_back(r.attribute("width").as_double());
  }
  REQUIRE(green.size() == 3);
  CHECK(green[0] == doctest::Approx(green[1]));
  CHECK(green[0] > 0);
  CHECK(green[2] == 0);
  CHECK(svg.find("a &lt;step&gt; &amp; more") != std::string::npos);
  CHECK(svg.find("tanh ×2") != std::string::npos);

  const std::string folded = viz::profile_chart(p, {.max_ops = 2});
  CHECK(folded.find("other (2 ops)") != std::string::npos);
}

TEST_CASE("profile chart of a real profile renders") {
  Variable x(randn({64, 64}), true);
  TapeProfiler profiler;
  sum(tanh(x) * x).backward();
  svg_test::check_svg(viz::profile_chart(profiler.stop()), "real profile chart");
}
