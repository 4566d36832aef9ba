// Smoke tests of examples/gpt: a tiny run whose loss falls (result line, figures, report), a resumed run that is bit
// for bit the uninterrupted one, --sample (the KV cache gives the same tokens), and the clear errors.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "examples/run_example.h"
#include "svg_check.h"
#include "tensor/elementwise.h"
#include "tensor/safetensors.h"

using namespace glimpse;

namespace {
// Small and on one thread, so the tests stay quick on a loaded machine.
const std::string kSmoke = "--smoke --threads 1 --max-iters 20 --eval-interval 10 --lr-decay-iters 20 ";

// --threads sets glimpse's kernels only; OpenBLAS takes its count from OMP_NUM_THREADS. With two BLAS threads on a
// busy machine a smoke run spent 4 s of CPU waiting in barriers instead of 0.1 s, so the children get one.
struct OneBlasThread {
  OneBlasThread() { setenv("OMP_NUM_THREADS", "1", 1); }
  ~OneBlasThread() { unsetenv("OMP_NUM_THREADS"); }
};

std::string quoted(const std::filesystem::path& p) { return fmt::format("'{}'", p.string()); }
}  // namespace

TEST_CASE("gpt: --smoke trains, the loss falls, the result line, figures and report are written") {
  OneBlasThread one;
  const auto dir = example_test::fresh_dir("gpt_smoke");
  const auto r = example_test::run("gpt", "--smoke --threads 1 --out " + quoted(dir));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"val_loss", "ms_per_iter", "tokens_per_s", "first_val_loss", "iters", "params"}) {
    CHECK_MESSAGE(r.result.count(key) == 1, key);
  }
  REQUIRE(r.result.count("val_loss") == 1);
  CHECK(std::stod(r.result.at("val_loss")) < std::stod(r.result.at("first_val_loss")) - 0.3);
  CHECK(std::stod(r.result.at("tokens_per_s")) > 0);
  CHECK(r.output.find("step 20: train loss") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "ckpt.safetensors"));
  const std::string log = svg_test::read_file(dir / "log.txt");
  CHECK(log.find("iter 30: loss") != std::string::npos);  // every --log-interval (10) steps
  CHECK(log.find("step 40: train loss") != std::string::npos);
  svg_test::check_svg_file(dir / "loss.svg");
  for (const char* f : {"layer0_head0.svg", "layer0_head1.svg", "layer1_head0.svg", "layer1_head1.svg"}) {
    svg_test::check_svg_file(dir / "attention" / f);
  }
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("val_loss") != std::string::npos);
  CHECK(html.find("layer 1, head 1") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("gpt: --profile prints the tape inspector's table for one step and writes its table and figure") {
  OneBlasThread one;
  const auto dir = example_test::fresh_dir("gpt_profile");
  const auto r = example_test::run("gpt", kSmoke + "--max-iters 2 --profile --out " + quoted(dir));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("tape profile: one GPT training step (step 1)") != std::string::npos);
  // Every nn::Linear is one tape entry ("linear"), and its row counts FLOPs (not "-").
  const size_t at = r.output.find("\nlinear ");
  REQUIRE(at != std::string::npos);
  const std::string row = r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1);
  CHECK(row.back() != '-');
  CHECK(r.output.find("peak tensor memory") != std::string::npos);
  CHECK(svg_test::read_file(dir / "profile.txt").find("flash_attention") != std::string::npos);  // training runs flash
  svg_test::check_svg_file(dir / "profile.svg");
  std::filesystem::remove_all(dir);
}

TEST_CASE("gpt: a run stopped at step 10 and resumed to 20 is bit-identical to an uninterrupted one") {
  OneBlasThread one;
  const auto a = example_test::fresh_dir("gpt_resume_a"), b = example_test::fresh_dir("gpt_resume_b");
  auto r = example_test::run("gpt", kSmoke + "--dropout 0.1 --out " + quoted(a));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  r = example_test::run("gpt", kSmoke + "--dropout 0.1 --max-iters 10 --out " + quoted(b));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  r = example_test::run("gpt", "--smoke --threads 1 --max-iters 20 --resume --out " + quoted(b));  // settings from the checkpoint
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("resumed at step 10") != std::string::npos);
  const NamedTensors ca = load_safetensors((a / "ckpt.safetensors").string());
  const NamedTensors cb = load_safetensors((b / "ckpt.safetensors").string());
  REQUIRE(ca.size() == cb.size());
  for (size_t i = 0; i < ca.size(); ++i) {
    INFO(ca.tensors[i].first);
    CHECK(ca.tensors[i].first == cb.tensors[i].first);
    CHECK(equal(ca.tensors[i].second, cb.tensors[i].second));  // model, optimizer, schedule and loss history
  }
  CHECK(ca.at("history.step_loss").numel() == 20);
  // --eval-only evaluates the checkpoint (on the same batches as the run's last evaluation) and changes nothing.
  r = example_test::run("gpt", "--smoke --threads 1 --resume --eval-only --eval-iters 4 --out " + quoted(b));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(std::stod(r.result.at("val_loss")) == doctest::Approx(ca.at("history.eval_val").tolist().back()).epsilon(1e-3));
  CHECK(equal(load_safetensors((b / "ckpt.safetensors").string()).at("model.transformer.wte.weight"),
              ca.at("model.transformer.wte.weight")));
  CHECK(ca.at("history.eval_val").numel() == 3);
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST_CASE("gpt: --sample gives the same tokens with and without the KV cache, and draws the attention") {
  OneBlasThread one;
  const auto dir = example_test::fresh_dir("gpt_sample");
  auto r = example_test::run("gpt", kSmoke + "--max-iters 10 --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  r = example_test::run("gpt", "--sample --threads 1 --prompt 'ROMEO:' --max-new-tokens 80 --out " + quoted(dir));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.result.at("identical") == "yes");  // 80 tokens with a block of 32: the window moves, the cache refills
  CHECK(std::stod(r.result.at("tokens_per_s_cache")) > 0);
  CHECK(std::stod(r.result.at("tokens_per_s_no_cache")) > 0);
  CHECK(r.output.find("ROMEO:") != std::string::npos);
  svg_test::check_svg_file(dir / "sample" / "attention" / "layer1_head0.svg");
  svg_test::check_html_file(dir / "sample" / "report.html");
  std::filesystem::remove_all(dir);
}

TEST_CASE("gpt: clear errors for a config mismatch on resume, an unknown prompt character, a missing checkpoint") {
  OneBlasThread one;
  const auto dir = example_test::fresh_dir("gpt_errors");
  auto r = example_test::run("gpt", kSmoke + "--max-iters 10 --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  r = example_test::run("gpt", kSmoke + "--resume --n-layer 3 --out " + quoted(dir));
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.output.find("--n-layer is 3 on the command line but 2 in the checkpoint") != std::string::npos,
                r.output);
  r = example_test::run("gpt", "--sample --threads 1 --prompt 'caf\xc3\xa9' --out " + quoted(dir));
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.output.find("--prompt: CharVocab.encode: character '\\xc3' at position 3 is not in the vocabulary") !=
                    std::string::npos,
                r.output);
  r = example_test::run("gpt", "--sample --out " + quoted(dir / "nothing"));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("no checkpoint at") != std::string::npos);
  r = example_test::run("gpt", "--smoke --data /nonexistent/input.txt --out " + quoted(dir));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot read the text file") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("gpt: --init-from starts from a PyTorch-written nanoGPT state_dict, trains and samples from it") {
  OneBlasThread one;
  // A tiny nanoGPT with tiny shakespeare's 65 characters, written by tests/models/reference/make_gpt_reference.py.
  const std::string file = std::string(GLIMPSE_SOURCE_DIR) + "/tests/models/reference/gpt_char65.safetensors";
  const auto dir = example_test::fresh_dir("gpt_init_from");
  // 0 steps: the run evaluates the loaded model and writes it back; the weights must come out as they went in, under
  // the same keys in the same order (the shape, 2 layers of n_embd 8 and 2 heads, comes from the file).
  auto r = example_test::run("gpt", kSmoke + "--max-iters 0 --init-from '" + file + "' --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const NamedTensors in = load_safetensors(file), out = load_safetensors((dir / "model.safetensors").string());
  REQUIRE(in.size() == out.size());
  for (size_t i = 0; i < in.size(); ++i) {
    INFO(in.tensors[i].first);
    CHECK(in.tensors[i].first == out.tensors[i].first);
    CHECK(equal(in.tensors[i].second, out.tensors[i].second));
  }
  CHECK(out.metadata.at("n_head") == "2");
  // Training on from it, and sampling from it.
  r = example_test::run("gpt", kSmoke + "--max-iters 10 --init-from '" + file + "' --out " + quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(std::stod(r.result.at("val_loss")) < std::stod(r.result.at("first_val_loss")));
  r = example_test::run("gpt", "--sample --threads 1 --max-new-tokens 20 --init-from '" + file + "' --out " +
                        quoted(dir));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.result.at("identical") == "yes");
  // A file that does not fit: every missing and unexpected key is listed, and the run stops.
  NamedTensors bad = in;
  bad.tensors.erase(bad.tensors.begin() + 5);  // a weight of block 0
  bad.add("transformer.h.9.mlp.c_fc.weight", in.tensors[5].second);
  const std::string bad_path = (dir / "bad.safetensors").string();
  save_safetensors(bad, bad_path);
  r = example_test::run("gpt", kSmoke + "--max-iters 0 --init-from '" + bad_path + "' --out " + quoted(dir / "bad"));
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.output.find("missing keys: \"" + in.tensors[5].first + "\"") != std::string::npos, r.output);
  CHECK_MESSAGE(r.output.find("unexpected keys: \"transformer.h.9.mlp.c_fc.weight\"") != std::string::npos, r.output);
  r = example_test::run("gpt", kSmoke + "--init-from '" + file + "' --n-embd 16 --out " + quoted(dir / "bad"));
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.output.find("--n-embd is 16 on the command line but 8 in the checkpoint") != std::string::npos,
                r.output);
  r = example_test::run("gpt", "--resume --init-from '" + file + "' --out " + quoted(dir));
  CHECK(r.exit_code == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("gpt: bad flags exit 2 with a message, --help lists nanoGPT's settings") {
  auto r = example_test::run("gpt", "--no-such-flag");
  CHECK(r.exit_code == 2);
  r = example_test::run("gpt", "--n-layer 0");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--n-layer") != std::string::npos);
  r = example_test::run("gpt", "--batch_size abc");
  CHECK(r.exit_code == 2);
  r = example_test::run("gpt", "--sample --resume");
  CHECK(r.exit_code == 2);
  r = example_test::run("gpt", "--help");
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--max-iters", "--eval-interval", "--batch-size", "--block-size", "--n-layer", "--n-head",
                           "--n-embd", "--learning-rate", "--dropout", "--resume", "--sample", "--prompt",
                           "--max-new-tokens", "--temperature", "--top-k", "--seed", "--threads", "--out", "--smoke"}) {
    CHECK_MESSAGE(r.output.find(flag) != std::string::npos, flag);
  }
}
