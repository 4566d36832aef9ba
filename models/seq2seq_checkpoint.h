// One file holds everything needed to continue training or to translate: the model's weights, the optimizer's state,
// both vocabularies, the model's options and the trainer's progress (epoch, step, ...), as one safetensors file.
//
//   models::save_seq2seq(path, {.model = &model, .optimizer = &opt, .src_vocab = &en, .tgt_vocab = &fr,
//                               .progress = {{"step", "1500"}}});
//   models::LoadedSeq2Seq ck = models::load_seq2seq(path);      // ck.model is ready to translate
//   opt.load_state_dict(ck.optimizer_state);                     // to resume
//
// Names: "model.<parameter>", "optimizer.<state>"; metadata "seq2seq.options", "seq2seq.src_vocab",
// "seq2seq.tgt_vocab" (JSON), "optimizer.<key>", "progress.<key>".
#pragma once

#include <map>
#include <memory>
#include <string>

#include "data/vocab.h"
#include "models/seq2seq.h"
#include "optim/optimizer.h"

namespace glimpse::models {

struct Seq2SeqCheckpoint {
  const Seq2Seq* model = nullptr;
  const optim::Optimizer* optimizer = nullptr;  // optional
  const data::Vocab* src_vocab = nullptr;
  const data::Vocab* tgt_vocab = nullptr;
  std::map<std::string, std::string> progress = {};
};

// Atomic (temporary file, then rename).
void save_seq2seq(const std::string& path, const Seq2SeqCheckpoint& checkpoint);

struct LoadedSeq2Seq {
  std::unique_ptr<Seq2Seq> model;
  data::Vocab src_vocab, tgt_vocab;
  NamedTensors optimizer_state;  // empty if none was saved; pass to Optimizer::load_state_dict
  std::map<std::string, std::string> progress;
};

// An Error names the file and what is wrong (not a seq2seq checkpoint, vocabularies that disagree with the model's
// sizes, missing or mis-shaped weights), never a half-built model.
LoadedSeq2Seq load_seq2seq(const std::string& path);

}  // namespace glimpse::models
