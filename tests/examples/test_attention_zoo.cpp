// Smoke test of examples/attention_zoo: every variant's heatmap, the flow figure and the overview page are written and
// parse; the tutorial snippet's weights are [1, 5] summing to 1; the layers trained to align lowered their loss.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "examples/run_example.h"
#include "svg_check.h"

using namespace glimpse;

TEST_CASE("attention_zoo: --smoke writes a heatmap per variant, the flow figure and the report") {
  const auto dir = example_test::fresh_dir("attention_zoo");
  const auto r = example_test::run("attention_zoo", "--smoke --out '" + dir.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"variants", "tutorial_weights_shape", "tutorial_weights_sum", "dot_aligned",
                          "additive_aligned", "align_loss_first", "align_loss_last"}) {
    CHECK_MESSAGE(r.result.count(key) == 1, key);
  }
  REQUIRE(r.result.count("variants") == 1);
  CHECK(r.result.at("tutorial_weights_shape") == "1x5");
  CHECK(std::stod(r.result.at("tutorial_weights_sum")) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(std::stod(r.result.at("align_loss_last")) < std::stod(r.result.at("align_loss_first")));  // the loss fell
  // One heatmap per variant, named in the output with its formula.
  int svgs = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() == ".svg") {
      svg_test::check_svg_file(f.path());
      ++svgs;
    }
  }
  CHECK(svgs == std::stoi(r.result.at("variants")) + 1);  // + flow.svg
  for (const char* name : {"additive.svg", "dot.svg", "general.svg", "concat.svg", "scaled_dot.svg", "local_m.svg",
                           "local_p.svg", "hard.svg", "soft.svg", "causal.svg", "padding.svg", "flow.svg",
                           "multihead_self_head0.svg", "multihead_cross_head1.svg"}) {
    CHECK_MESSAGE(std::filesystem::exists(dir / name), name);
  }
  for (const char* text : {"score(q, k) = vᵀ tanh(W1 k + W2 q)", "qᵀ k / √d", "== hard (arg-max) ==", "<pad>"}) {
    CHECK_MESSAGE(r.output.find(text) != std::string::npos, text);
  }
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("&lt;pad&gt;") != std::string::npos);  // tokens are escaped, not markup
  std::filesystem::remove_all(dir);
}

TEST_CASE("attention_zoo: an unknown flag or a bad value exits 2 with a message") {
  auto r = example_test::run("attention_zoo", "--heads 3");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--heads") != std::string::npos);
  r = example_test::run("attention_zoo", "--train-steps -1");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--train-steps") != std::string::npos);
}
