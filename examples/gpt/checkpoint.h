// examples/gpt: one safetensors file holds a whole run: the model, the optimizer, the schedule's position, the loss
// history, the settings, the vocabulary and where the random streams stand.
//
// Names: "model.<nanoGPT name>", "optim.<...>", "sched.last_epoch", "history.<series>"; metadata: "iter" (steps
// done), "vocab" (the characters in token order), "config.<flag>" (settings.h), "optim.<key>", and "rng". Every random
// draw of a step (its batch, its dropout masks, the evaluation batches) comes from a generator seeded with
// (--seed, step, purpose) (see stream_seed in train.cpp), so the seed and the step ARE the random state: a resumed run
// draws exactly what the uninterrupted run would have.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/char_vocab.h"
#include "models/gpt.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"

namespace gpt_example {

struct History {
  std::vector<double> step_loss;                        // the training loss of every step
  std::vector<double> eval_iter, eval_train, eval_val;  // each evaluation: step, train loss, validation loss
};

void save_checkpoint(const std::string& path, const glimpse::models::GPT& model, const glimpse::optim::Optimizer& opt,
                     const glimpse::optim::LRScheduler& sched, const History& history, int64_t iter,
                     const std::map<std::string, std::string>& settings, const glimpse::data::CharVocab& vocab);

struct Checkpoint {
  glimpse::NamedTensors all;
  std::string path;
  const std::map<std::string, std::string>& metadata() const { return all.metadata; }
  int64_t iter() const;
  glimpse::data::CharVocab vocab() const;
  // The entries under "<prefix>." with the prefix taken off (metadata too).
  glimpse::NamedTensors section(const std::string& prefix) const;
  History history() const;
};

// The model alone with its floating tensors in `dtype` (e.g. float16: half the bytes), and the metadata (settings,
// vocabulary, step; "saved_dtype" = the dtype): what --save-dtype writes beside the full checkpoint. --sample and
// --resume --eval-only read it like a full checkpoint; it holds no optimizer state, so training cannot resume from it.
void save_model_copy(const std::string& path, const glimpse::models::GPT& model, glimpse::DType dtype, int64_t iter,
                     const std::map<std::string, std::string>& settings, const glimpse::data::CharVocab& vocab);

// A clear Error when there is no file, or it is not a checkpoint of this program.
Checkpoint read_checkpoint(const std::string& path);

// The weights alone, as nanoGPT's state_dict (no "model." prefix; lm_head.weight and transformer.wte.weight both),
// with nanoGPT's model_args as metadata (n_layer, n_head, n_embd, block_size, bias, vocab_size, dropout): the file
// PyTorch loads with model.load_state_dict(safetensors.torch.load_file(path)), and --init-from reads.
void save_model_file(const std::string& path, const glimpse::models::GPT& model);

// --init-from: a state_dict written by PyTorch (or save_model_file), ready for GPT::load_state_dict, and the model
// settings it implies as "config.<flag>" (the form adopt_checkpoint_settings takes). The number of heads is the
// file's "n_head" metadata when it has one, else `n_head` (the --n-head flag). Its vocabulary must have the size of
// the one built from --data (`vocab_size` characters), else an Error says so.
struct InitFrom {
  glimpse::NamedTensors state;
  std::map<std::string, std::string> settings;
};
InitFrom read_init_from(const std::string& path, int64_t n_head, int64_t vocab_size);

}  // namespace gpt_example
