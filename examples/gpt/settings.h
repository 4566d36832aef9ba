// examples/gpt: every setting of a run (named as nanoGPT's train.py / sample.py name them), its flag, and how it is
// recorded in a checkpoint and checked on --resume.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "models/gpt.h"
#include "run/cli.h"

namespace gpt_example {

struct Settings {
  // data
  std::string data;  // default: shared/data/tinyshakespeare.txt found above the program (see default_data_path)
  // model: nanoGPT's CPU "baby GPT"
  int64_t n_layer = 4, n_head = 4, n_embd = 128, block_size = 64;
  double dropout = 0.0;
  bool bias = false;
  // training
  int64_t batch_size = 12, max_iters = 2000, eval_interval = 250, eval_iters = 20, log_interval = 10;
  double learning_rate = 1e-3, min_lr = 1e-4, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.99, grad_clip = 1.0;
  int64_t warmup_iters = 100, lr_decay_iters = 2000;
  bool decay_lr = true, resume = false, eval_only = false;
  std::string init_from;  // a PyTorch-written (nanoGPT) state_dict to train on from, or --sample from
  // checkpoints: --ckpt is the file --sample and --resume read ("" = <out>/ckpt.safetensors); --save-dtype float16 or
  // bfloat16 also writes the model alone at that size, <out>/ckpt_<dtype>.safetensors ("" = none)
  std::string ckpt, save_dtype;
  // sampling (--sample) and the attention figures
  bool sample = false;
  bool profile = false;  // print the tape inspector's table for one training step
  std::string prompt = "\n";
  int64_t max_new_tokens = 500, top_k = 200;
  double temperature = 0.8;
  std::string attention_text = "First Citizen:\nBefore we proceed any further, hear me speak.";

  glimpse::models::GPTConfig model(int64_t vocab_size) const {
    return {.block_size = block_size, .vocab_size = vocab_size, .n_layer = n_layer, .n_head = n_head,
            .n_embd = n_embd, .dropout = dropout, .bias = bias};
  }
};

// Adds every flag to the command line (nanoGPT's name with dashes, and with underscores as nanoGPT spells it).
void add_flags(glimpse::run::Cli& cli, Settings& s);
// --smoke: tiny sizes for every setting the user did not set explicitly.
void apply_smoke(glimpse::run::Cli& cli, Settings& s);
// shared/data/tinyshakespeare.txt beside the project, found by data::shared_data_path; "" when there is none.
std::string default_data_path(const char* argv0);

// The settings a checkpoint pins (the model's shape and everything that changes the training trajectory), as
// metadata "config.<flag>" = value, so a resumed run continues the very same run.
std::map<std::string, std::string> pinned_settings(const Settings& s, uint64_t seed);
// On --resume (all pinned settings) and --sample (model_only: the model's shape): each such setting given explicitly
// on the command line must equal the checkpoint's (else one Error lists every mismatch and the fix); the others take
// the checkpoint's values.
void adopt_checkpoint_settings(glimpse::run::Cli& cli, Settings& s, const std::map<std::string, std::string>& saved,
                               const std::string& path, bool model_only = false);

}  // namespace gpt_example
