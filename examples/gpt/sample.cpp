// examples/gpt --sample: continue a prompt from a checkpoint, with the KV cache and without (the same tokens, two
// speeds), and draw the attention of every layer and head.
#include <fmt/format.h>

#include <chrono>

#include "data/text_blocks.h"
#include "figures.h"
#include "run/result.h"
#include "train.h"
#include "viz/report.h"

namespace gpt_example {

using namespace glimpse;

int sample(run::Cli& cli, Settings& s) {
  // The weights and the vocabulary: <out>/ckpt.safetensors, or --init-from with the characters of --data.
  NamedTensors weights;
  std::string chars;
  if (s.init_from.empty()) {
    const std::string ckpt_path = s.ckpt.empty() ? (cli.out / "ckpt.safetensors").string() : s.ckpt;
    const Checkpoint ckpt = read_checkpoint(ckpt_path);
    adopt_checkpoint_settings(cli, s, ckpt.metadata(), ckpt_path, /*model_only=*/true);
    chars = ckpt.vocab().chars();
    weights = ckpt.section("model");
  } else {
    chars = data::CharVocab::from_text(data::read_text_file(s.data)).chars();
    InitFrom init = read_init_from(s.init_from, s.n_head, static_cast<int64_t>(chars.size()));
    adopt_checkpoint_settings(cli, s, init.settings, s.init_from, /*model_only=*/true);
    weights = std::move(init.state);
  }
  const data::CharVocab vocab(chars);
  models::GPT model(s.model(vocab.size()));
  model.load_state_dict(weights);  // a --save-dtype copy converts to float32
  model.eval();
  const std::vector<int64_t> prompt = encode_flag(vocab, s.prompt, "--prompt");
  check(!prompt.empty(), "--prompt: the prompt is empty; give at least one character (nanoGPT starts from \"\\n\")");

  // Each path gets a generator with the same seed, so they draw the same random numbers.
  auto timed = [&](bool cache, double& seconds) {
    Generator gen(cli.seed);
    const auto t0 = std::chrono::steady_clock::now();
    auto ids = model.generate(prompt, {.max_new_tokens = s.max_new_tokens, .temperature = s.temperature,
                                       .top_k = s.top_k, .use_kv_cache = cache, .generator = &gen});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return ids;
  };
  double with_s = 0, without_s = 0;
  const auto with_cache = timed(true, with_s);
  const auto without_cache = timed(false, without_s);
  const bool identical = with_cache == without_cache;
  const double n = static_cast<double>(s.max_new_tokens);
  const std::string text = vocab.decode(with_cache);
  fmt::print("{}\n---\n", text);
  fmt::print("{} new tokens: {:.0f} tokens/s with the KV cache, {:.0f} tokens/s without ({:.1f}x); the tokens are "
             "{}\n", s.max_new_tokens, n / with_s, n / without_s, without_s / with_s,
             identical ? "identical" : "DIFFERENT");

  const auto dir = cli.out / "sample";
  const auto attention = attention_figures(model, vocab, s.attention_text, "--attention-text", dir);
  run::Result result;
  result.add("tokens_per_s_cache", n / with_s)
      .add("tokens_per_s_no_cache", n / without_s)
      .add("speedup", without_s / with_s)
      .add("identical", identical ? "yes" : "no")
      .add("new_tokens", s.max_new_tokens);
  viz::Report report("Character-level GPT: a sample");
  report.command(cli.command())
      .metrics(result.items())
      .heading("Sample")
      .preformatted(text)
      .heading("Attention, per layer and head")
      .figure_grid(attention);
  report.save(dir / "report.html");
  result.print();
  if (!identical) {
    fmt::print(stderr, "gpt: error: generation with and without the KV cache gave different tokens\n");
    return run::kExitFailure;
  }
  return 0;
}

}  // namespace gpt_example
