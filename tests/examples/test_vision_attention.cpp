// Smoke test of examples/vision_attention: --smoke trains all five models for one epoch on 512 digits, prints the
// result line last with every accuracy key, the loss falls, and every figure and the report parse.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "examples/run_example.h"
#include "svg_check.h"

using namespace glimpse;

namespace {
// The MNIST folder: GLIMPSE_MNIST_DIR when set, else the example's own default (<root>/../shared/data/mnist).
std::string data_flag() {
  const char* env = std::getenv("GLIMPSE_MNIST_DIR");
  return env ? std::string(" --data '") + env + "'" : "";
}
bool have_mnist() {
  const char* env = std::getenv("GLIMPSE_MNIST_DIR");
  const auto dir = env ? std::filesystem::path(env)
                       : std::filesystem::path(GLIMPSE_SOURCE_DIR) / ".." / "shared" / "data" / "mnist";
  return std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz");
}
}  // namespace

TEST_CASE("vision_attention: --smoke trains five models, prints the result line, writes figures and a report") {
  if (!have_mnist()) {
    MESSAGE("no MNIST files: skipped");
    return;
  }
  const auto dir = example_test::fresh_dir("vision_attention");
  const auto r = example_test::run("vision_attention", "--smoke --seed 1 --out '" + dir.string() + "'" + data_flag());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"cnn_accuracy", "se_accuracy", "spatial_accuracy", "nonlocal_accuracy", "vit_accuracy",
                          "best_accuracy"}) {
    REQUIRE_MESSAGE(r.result.count(key) == 1, key);
    const double a = std::stod(r.result.at(key));
    CHECK((a >= 0 && a <= 1));
  }
  CHECK(std::stod(r.result.at("cnn_last_loss")) < std::stod(r.result.at("cnn_first_loss")));
  CHECK(std::stod(r.result.at("best_accuracy")) > 0.2);  // one epoch on 512 digits is well above chance (0.1)
  for (const char* f : {"loss.svg", "spatial_attention.svg", "vit_attention.svg"}) svg_test::check_svg_file(dir / f);
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("best_accuracy") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("vision_attention: bad flags exit 2, a missing data folder exits 1 with a message") {
  auto r = example_test::run("vision_attention", "--epochs 0");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--epochs") != std::string::npos);
  r = example_test::run("vision_attention", "--no-such-flag");
  CHECK(r.exit_code == 2);
  r = example_test::run("vision_attention", "--smoke --data /no/such/folder");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot open") != std::string::npos);
  r = example_test::run("vision_attention", "--help");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("--data") != std::string::npos);
}

TEST_CASE("vision_attention: --cnn-only trains the plain CNN alone and reports its speed") {
  if (!have_mnist()) {
    MESSAGE("no MNIST files: skipped");
    return;
  }
  const auto dir = example_test::fresh_dir("vision_attention_cnn");
  const auto r = example_test::run("vision_attention",
                                   "--smoke --cnn-only --seed 1 --out '" + dir.string() + "'" + data_flag());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.result.count("cnn_ms_per_step") == 1);
  CHECK(std::stod(r.result.at("cnn_ms_per_step")) > 0);
  CHECK(r.result.count("vit_accuracy") == 0);  // the other four models did not run
  CHECK(std::stod(r.result.at("cnn_last_loss")) < std::stod(r.result.at("cnn_first_loss")));
  svg_test::check_svg_file(dir / "loss.svg");
  CHECK_FALSE(std::filesystem::exists(dir / "vit_attention.svg"));
  svg_test::check_html_file(dir / "report.html");
  std::filesystem::remove_all(dir);
}
