// Smoke test of examples/context_network: runs --smoke, checks the result line, that the loss fell, and every figure.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "examples/run_example.h"
#include "svg_check.h"

using namespace glimpse;

TEST_CASE("context_network: --smoke trains, prints the result line last, writes figures and a report") {
  const auto dir = example_test::fresh_dir("context_network");
  const auto r = example_test::run("context_network", "--smoke --seed 1 --out '" + dir.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"mse", "attention_correct", "it_per_s", "train_seconds", "first_epoch_mse"}) {
    CHECK_MESSAGE(r.result.count(key) == 1, key);
  }
  REQUIRE(r.result.count("mse") == 1);
  CHECK(std::stod(r.result.at("mse")) < std::stod(r.result.at("first_epoch_mse")));  // the loss fell
  CHECK(r.result.at("attention_correct").find("/5") != std::string::npos);
  CHECK(std::stod(r.result.at("it_per_s")) > 0);
  CHECK(r.output.find("epoch 2/2") != std::string::npos);  // the progress bar and per-epoch lines
  svg_test::check_svg_file(dir / "attention.svg");
  svg_test::check_svg_file(dir / "loss.svg");
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("--smoke") != std::string::npos);  // the exact command
  CHECK(html.find("attention_correct") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("context_network: the full tutorial run reaches mse below 1e-4 and finds all 5 positions") {
  const auto dir = example_test::fresh_dir("context_network_full");
  const auto r = example_test::run("context_network", "--out '" + dir.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.result.count("mse") == 1);
  CHECK(std::stod(r.result.at("mse")) < 1e-4);
  CHECK(r.result.at("attention_correct") == "5/5");
  std::filesystem::remove_all(dir);
}

TEST_CASE("context_network: an unknown flag or a bad value exits 2 with a message, --help exits 0") {
  auto r = example_test::run("context_network", "--no-such-flag");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--no-such-flag") != std::string::npos);
  r = example_test::run("context_network", "--epochs 0");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--epochs") != std::string::npos);
  r = example_test::run("context_network", "--batch-size abc");
  CHECK(r.exit_code == 2);
  r = example_test::run("context_network", "--help");
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--seed", "--threads", "--out", "--smoke", "--epochs", "--batch-size"}) {
    CHECK_MESSAGE(r.output.find(flag) != std::string::npos, flag);
  }
}
