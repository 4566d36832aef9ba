// Smoke test of examples/show_attend_tell: --smoke trains for a few steps, prints the result line last with the
// captioning scores, the loss falls, and the attention-over-time figure and the report parse.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "examples/run_example.h"
#include "svg_check.h"

using namespace glimpse;

namespace {
std::filesystem::path mnist_dir() {
  if (const char* env = std::getenv("GLIMPSE_MNIST_DIR")) return env;
  return std::filesystem::path(GLIMPSE_SOURCE_DIR) / ".." / "shared" / "data" / "mnist";
}
}  // namespace

TEST_CASE("show_attend_tell: --smoke trains, prints the scores last, writes the overlays and a report") {
  if (!std::filesystem::exists(mnist_dir() / "t10k-images-idx3-ubyte.gz")) {
    MESSAGE("no MNIST files: skipped");
    return;
  }
  const auto dir = example_test::fresh_dir("show_attend_tell");
  const auto r = example_test::run("show_attend_tell", "--smoke --seed 1 --out '" + dir.string() + "' --data '" +
                                                           mnist_dir().string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"sequence_accuracy", "attention_in_box", "digit_accuracy", "first_loss", "last_loss"}) {
    REQUIRE_MESSAGE(r.result.count(key) == 1, key);
  }
  for (const char* key : {"sequence_accuracy", "attention_in_box", "digit_accuracy"}) {
    const double v = std::stod(r.result.at(key));
    CHECK((v >= 0 && v <= 1));
  }
  CHECK(std::stod(r.result.at("last_loss")) < std::stod(r.result.at("first_loss")));
  svg_test::check_svg_file(dir / "attention_over_time.svg");
  svg_test::check_svg_file(dir / "loss.svg");
  const std::string svg = svg_test::read_file(dir / "attention_over_time.svg");
  CHECK(svg.find("canvas 4, step 3") != std::string::npos);  // 4 canvases x 3 emitted digits
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("attention_in_box") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("show_attend_tell: bad flags exit 2, --help exits 0") {
  auto r = example_test::run("show_attend_tell", "--steps 0");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--steps") != std::string::npos);
  r = example_test::run("show_attend_tell", "--batch-size x");
  CHECK(r.exit_code == 2);
  r = example_test::run("show_attend_tell", "--help");
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--seed", "--threads", "--out", "--smoke", "--data", "--steps"}) {
    CHECK_MESSAGE(r.output.find(flag) != std::string::npos, flag);
  }
}
