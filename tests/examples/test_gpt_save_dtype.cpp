// Smoke test of examples/gpt --save-dtype and --ckpt: a tiny run writes a float16 copy of its model beside the full
// checkpoint; the copy is about half the model's bytes, samples (--sample --ckpt) and evaluates (--resume --eval-only
// --ckpt) to nearly the float32 model's loss, and refuses to resume training. (A file of its own, beside
// test_gpt.cpp, so that the two can be edited on separate branches.)
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "examples/run_example.h"
#include "tensor/safetensors.h"

using namespace glimpse;

namespace {
const std::string kSmoke = "--smoke --threads 1 --max-iters 20 --eval-interval 10 --lr-decay-iters 20 ";
std::string quoted(const std::filesystem::path& p) { return fmt::format("'{}'", p.string()); }
}  // namespace

TEST_CASE("gpt: --save-dtype writes a half-size model copy that samples and evaluates, and cannot resume") {
  setenv("OMP_NUM_THREADS", "1", 1);  // one BLAS thread, as in test_gpt.cpp
  const auto dir = example_test::fresh_dir("gpt_save_dtype");
  auto r = example_test::run("gpt", kSmoke + "--save-dtype float16 --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const auto copy = dir / "ckpt_float16.safetensors";
  REQUIRE(std::filesystem::exists(copy));
  const NamedTensors half = load_safetensors(copy.string());
  const NamedTensors full = load_safetensors((dir / "ckpt.safetensors").string());
  int64_t model_bytes = 0;
  for (const auto& [name, t] : half.tensors) {
    INFO(name);
    CHECK(name.starts_with("model."));  // the model alone: no optimizer state, no history
    CHECK(t.dtype() == kFloat16);
    CHECK(t.tolist() == full.at(name).to(kFloat16).tolist());
    model_bytes += 4 * t.numel();
  }
  CHECK(half.metadata.at("saved_dtype") == "float16");
  CHECK(static_cast<int64_t>(std::filesystem::file_size(copy)) < model_bytes / 2 + 8192);

  // The float32 model's loss, then the copy's on the same batches: close, not necessarily equal.
  r = example_test::run("gpt", kSmoke + "--resume --eval-only --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const double full_loss = std::stod(r.result.at("val_loss"));
  CHECK(r.result.at("ckpt_dtype") == "float32");
  r = example_test::run("gpt", kSmoke + "--resume --eval-only --ckpt " + quoted(copy) + " --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.result.at("ckpt_dtype") == "float16");
  CHECK(std::fabs(std::stod(r.result.at("val_loss")) - full_loss) < 0.01);

  r = example_test::run("gpt", "--sample --threads 1 --max-new-tokens 20 --ckpt " + quoted(copy) + " --out " +
                                   quoted(dir));
  CHECK_MESSAGE(r.exit_code == 0, r.output);
  r = example_test::run("gpt", kSmoke + "--resume --max-iters 30 --ckpt " + quoted(copy) + " --out " + quoted(dir));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("is a model-only copy written by --save-dtype") != std::string::npos);
  r = example_test::run("gpt", kSmoke + "--save-dtype float8 --out " + quoted(dir));
  CHECK(r.exit_code == 2);
  std::filesystem::remove_all(dir);
  unsetenv("OMP_NUM_THREADS");
}
