// examples/gpt: the flags, the --smoke sizes, the default data path, and the settings a checkpoint pins.
#include "settings.h"

#include <fmt/format.h>

#include <filesystem>
#include <functional>

#include "data/shared_data.h"
#include "tensor/error.h"

namespace gpt_example {
namespace {

namespace fs = std::filesystem;
using glimpse::run::Cli;

// A pinned setting: its flag and a reader / writer of its value as text (round-trip exact for doubles).
struct Pinned {
  const char* flag;
  bool model;  // part of the model's shape (checked by --sample too); else it shapes only the training
  std::function<std::string()> get;
  std::function<void(const std::string&)> set;
};

template <class T>
Pinned pin(const char* flag, T& value, bool model = false) {
  if constexpr (std::is_same_v<T, double>) {
    return {flag, model, [&value] { return fmt::format("{:.17g}", value); },
            [&value](const std::string& t) { value = std::stod(t); }};
  } else if constexpr (std::is_same_v<T, bool>) {
    return {flag, model, [&value] { return std::string(value ? "true" : "false"); },
            [&value](const std::string& t) { value = t == "true"; }};
  } else {
    return {flag, model, [&value] { return fmt::format("{}", value); },
            [&value](const std::string& t) { value = static_cast<T>(std::stoll(t)); }};
  }
}

std::vector<Pinned> pinned(Settings& s, uint64_t& seed) {
  return {pin("--n-layer", s.n_layer, true),    pin("--n-head", s.n_head, true),
          pin("--n-embd", s.n_embd, true),      pin("--block-size", s.block_size, true),
          pin("--bias", s.bias, true),          pin("--dropout", s.dropout),
          pin("--batch-size", s.batch_size), pin("--learning-rate", s.learning_rate),
          pin("--min-lr", s.min_lr),         pin("--weight-decay", s.weight_decay),
          pin("--beta1", s.beta1),           pin("--beta2", s.beta2),
          pin("--grad-clip", s.grad_clip),   pin("--warmup-iters", s.warmup_iters),
          pin("--lr-decay-iters", s.lr_decay_iters), pin("--decay-lr", s.decay_lr),
          pin("--seed", seed)};
}

bool given(Cli& cli, const char* flag) { return cli.app().get_option(flag)->count() > 0; }

}  // namespace

void add_flags(Cli& cli, Settings& s) {
  using glimpse::run::non_negative;
  using glimpse::run::positive;
  // A flag given twice takes its last value (as nanoGPT's configurator: later overrides win).
  cli.app().option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cli.add("--data", s.data, "the training text (first 90 % train, last 10 % validation)");
  cli.add("--n-layer,--n_layer", s.n_layer, "Transformer blocks")->check(positive());
  cli.add("--n-head,--n_head", s.n_head, "attention heads per block")->check(positive());
  cli.add("--n-embd,--n_embd", s.n_embd, "embedding width (a multiple of --n-head)")->check(positive());
  cli.add("--block-size,--block_size", s.block_size, "context length in characters")->check(positive());
  cli.add("--dropout", s.dropout, "dropout on embeddings, attention and residual branches")->check(CLI::Range(0.0, 0.99));
  cli.add_flag("--bias", s.bias, "biases in the Linear layers and LayerNorms (nanoGPT's default: none)");
  cli.add("--batch-size,--batch_size", s.batch_size, "blocks per iteration")->check(positive());
  cli.add("--max-iters,--max_iters", s.max_iters, "optimizer steps in total (a resumed run continues to it)")
      ->check(non_negative());
  cli.add("--eval-interval,--eval_interval", s.eval_interval, "evaluate and checkpoint every this many steps")
      ->check(positive());
  cli.add("--eval-iters,--eval_iters", s.eval_iters, "batches per split in each evaluation")->check(positive());
  cli.add("--log-interval,--log_interval", s.log_interval, "print the training loss every this many steps")
      ->check(positive());
  cli.add("--learning-rate,--learning_rate,--lr", s.learning_rate, "peak AdamW learning rate")->check(positive());
  cli.add("--min-lr,--min_lr", s.min_lr, "learning rate at the end of the cosine decay")->check(non_negative());
  cli.add("--weight-decay,--weight_decay", s.weight_decay, "AdamW decay of matrices and embeddings (not of 1-d "
          "parameters)")->check(non_negative());
  cli.add("--beta1", s.beta1, "AdamW beta1")->check(CLI::Range(0.0, 0.999999));
  cli.add("--beta2", s.beta2, "AdamW beta2")->check(CLI::Range(0.0, 0.999999));
  cli.add("--grad-clip,--grad_clip", s.grad_clip, "clip the gradients' global norm to this (0 = off)")
      ->check(non_negative());
  cli.add("--warmup-iters,--warmup_iters", s.warmup_iters, "linear learning-rate warm-up steps")->check(non_negative());
  cli.add("--lr-decay-iters,--lr_decay_iters", s.lr_decay_iters, "the cosine decay reaches --min-lr here")
      ->check(positive());
  cli.add("--decay-lr,--decay_lr", s.decay_lr, "warm-up and cosine decay (false: constant --learning-rate)");
  cli.add_flag("--resume", s.resume, "continue the run whose checkpoint is <out>/ckpt.safetensors");
  cli.add_flag("--profile", s.profile, "print where one training step's time and memory go, op by op (the tape "
               "inspector; also <out>/profile.txt and profile.svg)");
  cli.add_flag("--eval-only,--eval_only", s.eval_only, "with --resume: evaluate the checkpoint on --eval-iters "
               "batches per split and stop");
  cli.add_flag("--sample", s.sample, "sample from <out>/ckpt.safetensors (or --ckpt) instead of training");
  cli.add("--ckpt", s.ckpt, "the checkpoint --sample and --resume read, instead of <out>/ckpt.safetensors (a "
          "--save-dtype copy can be sampled and evaluated with --eval-only)");
  cli.add("--save-dtype", s.save_dtype, "also write the model alone in this dtype, <out>/ckpt_<dtype>.safetensors, "
          "at every checkpoint (with --eval-only: once, from the checkpoint read)")
      ->check(CLI::IsMember({"float16", "bfloat16", "float32"}));
  cli.add("--init-from,--init_from", s.init_from, "start from this PyTorch-written safetensors state_dict (nanoGPT's "
          "names; the model's shape is read from it, the vocabulary from --data): train on from it, or --sample "
          "from it");
  cli.add("--prompt,--start", s.prompt, "--sample: the text to continue");
  cli.add("--max-new-tokens,--max_new_tokens", s.max_new_tokens, "--sample: characters to generate")
      ->check(positive());
  cli.add("--temperature", s.temperature, "--sample: softmax temperature (0 = greedy)")->check(non_negative());
  cli.add("--top-k,--top_k", s.top_k, "--sample: keep the k likeliest characters (0 = all)")->check(non_negative());
  cli.add("--attention-text", s.attention_text, "the text whose attention is drawn, per layer and head");
}

void apply_smoke(Cli& cli, Settings& s) {
  auto set = [&](const char* flag, auto& value, auto smoke_value) {
    if (!given(cli, flag)) value = smoke_value;
  };
  set("--n-layer", s.n_layer, 2);
  set("--n-head", s.n_head, 2);
  set("--n-embd", s.n_embd, 32);
  set("--block-size", s.block_size, 32);
  set("--batch-size", s.batch_size, 8);
  set("--max-iters", s.max_iters, 40);
  set("--eval-interval", s.eval_interval, 20);
  set("--eval-iters", s.eval_iters, 4);
  set("--warmup-iters", s.warmup_iters, 5);
  set("--lr-decay-iters", s.lr_decay_iters, 40);
  set("--learning-rate", s.learning_rate, 3e-3);
  set("--max-new-tokens", s.max_new_tokens, 60);
}

std::string default_data_path(const char* argv0) {
  const fs::path p = glimpse::data::shared_data_path(argv0, "tinyshakespeare.txt");
  std::error_code ec;
  return fs::exists(p, ec) ? p.string() : "";
}

std::map<std::string, std::string> pinned_settings(const Settings& s, uint64_t seed) {
  Settings copy = s;
  std::map<std::string, std::string> out;
  for (const auto& p : pinned(copy, seed)) out[std::string("config.") + p.flag] = p.get();
  return out;
}

void adopt_checkpoint_settings(Cli& cli, Settings& s, const std::map<std::string, std::string>& saved,
                               const std::string& path, bool model_only) {
  std::vector<std::string> mismatches;
  for (const auto& p : pinned(s, cli.seed)) {
    if (model_only && !p.model) continue;
    auto it = saved.find(std::string("config.") + p.flag);
    if (it == saved.end()) {
      mismatches.push_back(fmt::format("{} is not recorded in the checkpoint", p.flag));
      continue;
    }
    if (given(cli, p.flag) && p.get() != it->second) {
      mismatches.push_back(fmt::format("{} is {} on the command line but {} in the checkpoint", p.flag, p.get(),
                                       it->second));
    } else {
      p.set(it->second);
    }
  }
  if (!mismatches.empty()) {
    throw glimpse::Error(fmt::format(
        "the checkpoint {} was made with other settings:\n  {}\ndrop those flags (the checkpoint's values are used), "
        "or train a new run in another --out folder", path, fmt::join(mismatches, "\n  ")));
  }
}

}  // namespace gpt_example
