// Saving and loading a Transformer with its optimizer, schedule, vocabularies, options and progress in one
// safetensors file (models/checkpoint_bundle.h's layout, under "transformer." metadata keys).
#include "models/transformer_checkpoint.h"

#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "models/checkpoint_bundle.h"

namespace glimpse::models {
namespace {

nlohmann::json options_json(const TransformerOptions& o) {
  return {{"src_vocab", o.src_vocab}, {"tgt_vocab", o.tgt_vocab}, {"d_model", o.d_model},
          {"heads", o.heads},         {"layers", o.layers},       {"ff", o.ff},
          {"dropout", o.dropout},     {"pre_norm", o.pre_norm},   {"tie_embeddings", o.tie_embeddings},
          {"max_positions", o.max_positions}};
}

TransformerOptions options_from(const nlohmann::json& j) {
  return {.src_vocab = j.at("src_vocab"), .tgt_vocab = j.at("tgt_vocab"), .d_model = j.at("d_model"),
          .heads = j.at("heads"), .layers = j.at("layers"), .ff = j.at("ff"), .dropout = j.at("dropout"),
          .pre_norm = j.at("pre_norm"), .tie_embeddings = j.at("tie_embeddings"),
          .max_positions = j.at("max_positions")};
}

// The file's parts, checked for consistency (options against vocabularies), before any model exists.
LoadedBundle read_parts(const std::string& path, const char* call, TransformerOptions& options) {
  auto read = [&](const nlohmann::json& j) { options = options_from(j); };
  return load_checkpoint_bundle(path, {.kind = "transformer", .call = call, .read_options = read,
                                       .other_kind_key = "seq2seq.options",
                                       .other_kind_hint = "it is an LSTM seq2seq checkpoint: drop --model transformer"});
}

}  // namespace

void save_transformer(const std::string& path, const TransformerCheckpoint& ck) {
  const nlohmann::json options = ck.model ? options_json(ck.model->options) : nlohmann::json::object();
  save_checkpoint_bundle(path, "transformer", {.model = ck.model, .options = options, .optimizer = ck.optimizer,
                                               .scheduler = ck.scheduler, .src_vocab = ck.src_vocab,
                                               .tgt_vocab = ck.tgt_vocab, .progress = ck.progress});
}

LoadedTransformer load_transformer(const std::string& path) {
  TransformerOptions options;
  LoadedBundle p = read_parts(path, "load_transformer", options);
  LoadedTransformer out{.model = std::make_unique<Transformer>(options), .src_vocab = std::move(p.src_vocab),
                        .tgt_vocab = std::move(p.tgt_vocab), .optimizer_state = std::move(p.optimizer_state),
                        .scheduler_state = std::move(p.scheduler_state), .progress = std::move(p.progress)};
  out.model->load_state_dict(p.weights);  // strict: every missing, unexpected or mis-shaped weight is listed
  return out;
}

std::map<std::string, std::string> restore_transformer(const std::string& path, const RestoreTarget& t) {
  check(t.model != nullptr, "restore_transformer: a model to load into is required");
  TransformerOptions saved;  // read to check them; compared below as JSON, key by key
  LoadedBundle p = read_parts(path, "restore_transformer", saved);
  const nlohmann::json own = options_json(t.model->options);
  std::vector<std::string> differences;
  for (const auto& [key, value] : own.items()) {
    if (p.options.at(key) != value) {
      differences.push_back(fmt::format("{} = {} in the checkpoint, {} in the model", key, p.options.at(key).dump(),
                                        value.dump()));
    }
  }
  if (t.src_vocab && t.src_vocab->tokens() != p.src_vocab.tokens()) differences.push_back("the source vocabulary");
  if (t.tgt_vocab && t.tgt_vocab->tokens() != p.tgt_vocab.tokens()) differences.push_back("the target vocabulary");
  check(differences.empty(), "restore_transformer: '{}' was saved from a different Transformer or data ({}); nothing "
        "was loaded. Resume with the flags and data it was trained with, or read it alone with load_transformer",
        path, fmt::join(differences, "; "));
  check(!t.optimizer || !p.optimizer_state.empty(), "restore_transformer: '{}' holds no optimizer state to resume "
        "from; nothing was loaded", path);
  // The weights go in first (checked whole, then copied); should the optimizer's state then not fit, the old weights
  // go back, so a failure leaves everything as it was.
  NamedTensors before;
  for (const auto& [name, w] : t.model->state_dict().tensors) before.add(name, w.clone());
  t.model->load_state_dict(p.weights);
  try {
    if (t.optimizer) t.optimizer->load_state_dict(p.optimizer_state);
    if (t.scheduler && !p.scheduler_state.empty()) t.scheduler->load_state_dict(p.scheduler_state);
  } catch (...) {
    t.model->load_state_dict(before);
    throw;
  }
  return p.progress;
}

bool is_transformer_checkpoint(const std::string& path) {
  try {
    return load_safetensors(path).metadata.count("transformer.options") == 1;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace glimpse::models
