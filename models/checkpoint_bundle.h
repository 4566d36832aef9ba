// The one-file layout both encoder-decoder checkpoints share (models/seq2seq_checkpoint.h, transformer_checkpoint.h):
// tensors "model.<parameter>", "optimizer.<state>", "scheduler.<state>"; metadata "<kind>.options" (the model's
// options as JSON), "<kind>.src_vocab" and "<kind>.tgt_vocab" (token lists as JSON), "optimizer.<key>" and
// "progress.<key>". Each model's file keeps only what is its own: the kind, and its options to and from JSON.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "data/vocab.h"
#include "nn/module.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"
#include "tensor/safetensors.h"

namespace glimpse::models {

struct CheckpointParts {
  const nn::Module* model = nullptr;
  nlohmann::json options;                           // the model's options; "src_vocab"/"tgt_vocab" give its sizes
  const optim::Optimizer* optimizer = nullptr;      // optional
  const optim::LRScheduler* scheduler = nullptr;    // optional
  const data::Vocab* src_vocab = nullptr;
  const data::Vocab* tgt_vocab = nullptr;
  std::map<std::string, std::string> progress = {};
};

// Checks that the vocabularies fit the options' sizes, then writes the file atomically. kind: "seq2seq" | "transformer"
// (the metadata keys' prefix; errors name the call save_<kind>).
void save_checkpoint_bundle(const std::string& path, const std::string& kind, const CheckpointParts& parts);

struct LoadedBundle {
  nlohmann::json options;
  data::Vocab src_vocab, tgt_vocab;
  NamedTensors weights, optimizer_state, scheduler_state;  // the states are empty if none was saved
  std::map<std::string, std::string> progress;
};

struct BundleReader {
  std::string kind;  // "seq2seq" | "transformer"
  std::string call;  // the user's call, for errors ("load_seq2seq", ...)
  // Reads the model's options from "<kind>.options" (a JSON error in it is reported as unreadable options).
  std::function<void(const nlohmann::json&)> read_options;
  std::string other_kind_key = "";   // a metadata key that marks a file of another kind ...
  std::string other_kind_hint = "";  // ... and what the error then adds
};

// Reads a file save_checkpoint_bundle wrote, checked for consistency (the vocabularies against the options' sizes)
// before any model exists. Errors name the reader's call and the path.
LoadedBundle load_checkpoint_bundle(const std::string& path, const BundleReader& reader);

}  // namespace glimpse::models
