// One safetensors file holds everything a Transformer run needs to continue training or to translate: the model's
// weights, the optimizer's state, the learning-rate schedule's position, both vocabularies, the model's options and
// the trainer's progress (models/seq2seq_checkpoint.h does the same for the LSTM model).
//
//   models::save_transformer(path, {.model = &model, .optimizer = &opt, .scheduler = &sched, .src_vocab = &en,
//                                   .tgt_vocab = &fr, .progress = {{"step", "1530"}}});
//   models::LoadedTransformer ck = models::load_transformer(path);   // ck.model is ready to translate
//   auto progress = models::restore_transformer(path, {.model = &model, .optimizer = &opt, .scheduler = &sched});
//
// Names: "model.<parameter>", "optimizer.<state>"; metadata "transformer.options", "transformer.src_vocab",
// "transformer.tgt_vocab" (JSON), "optimizer.<key>", "scheduler.last_epoch", "progress.<key>".
#pragma once

#include <map>
#include <memory>
#include <string>

#include "data/vocab.h"
#include "models/transformer.h"
#include "optim/lr_scheduler.h"

namespace glimpse::models {

struct TransformerCheckpoint {
  const Transformer* model = nullptr;
  const optim::Optimizer* optimizer = nullptr;      // optional
  const optim::LRScheduler* scheduler = nullptr;    // optional
  const data::Vocab* src_vocab = nullptr;
  const data::Vocab* tgt_vocab = nullptr;
  std::map<std::string, std::string> progress = {};
};

// Atomic (temporary file, then rename).
void save_transformer(const std::string& path, const TransformerCheckpoint& checkpoint);

struct LoadedTransformer {
  std::unique_ptr<Transformer> model;
  data::Vocab src_vocab, tgt_vocab;
  NamedTensors optimizer_state, scheduler_state;  // empty if none was saved
  std::map<std::string, std::string> progress;
};

// A fresh model built from the saved options. An Error names the file and what is wrong (not a Transformer
// checkpoint, vocabularies that disagree with the model's sizes, missing or mis-shaped weights).
LoadedTransformer load_transformer(const std::string& path);

// Loads the checkpoint into `model` (and `optimizer`, `scheduler` when given) -> the saved progress. The saved options
// must equal the model's and the saved vocabularies the ones given (else an Error lists each difference); nothing is
// changed unless everything fits.
struct RestoreTarget {
  Transformer* model = nullptr;
  optim::Optimizer* optimizer = nullptr;      // optional
  optim::LRScheduler* scheduler = nullptr;    // optional
  const data::Vocab* src_vocab = nullptr;     // optional: must equal the saved one, token for token
  const data::Vocab* tgt_vocab = nullptr;
};
std::map<std::string, std::string> restore_transformer(const std::string& path, const RestoreTarget& target);

// Whether `path` is a Transformer checkpoint (a readable safetensors file with "transformer.options").
bool is_transformer_checkpoint(const std::string& path);

}  // namespace glimpse::models
