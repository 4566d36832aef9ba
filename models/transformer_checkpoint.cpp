// Saving and loading a Transformer with its optimizer, schedule, vocabularies, options and progress in one
// safetensors file (the layout of models/seq2seq_checkpoint.cpp, under "transformer." metadata keys).
#include "models/transformer_checkpoint.h"

#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "tensor/safetensors.h"

namespace glimpse::models {
namespace {

const std::string kModel = "model.", kOptimizer = "optimizer.", kScheduler = "scheduler.", kProgress = "progress.";

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

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The file's parts, checked for consistency (options against vocabularies), before any model exists.
struct Parts {
  TransformerOptions options;
  nlohmann::json options_json;
  data::Vocab src_vocab, tgt_vocab;
  NamedTensors weights, optimizer_state, scheduler_state;
  std::map<std::string, std::string> progress;
};

Parts read_parts(const std::string& path, const char* call) {
  const NamedTensors in = load_safetensors(path);
  auto meta = [&](const std::string& key) -> const std::string& {
    auto it = in.metadata.find(key);
    check(it != in.metadata.end(), "{}: '{}' is not a Transformer checkpoint (no '{}' in its metadata{})", call, path,
          key, in.metadata.count("seq2seq.options") ? "; it is an LSTM seq2seq checkpoint: drop --model transformer"
                                                    : "");
    return it->second;
  };
  Parts p;
  try {
    p.options_json = nlohmann::json::parse(meta("transformer.options"));
    p.options = options_from(p.options_json);
    p.src_vocab = data::Vocab::from_tokens(nlohmann::json::parse(meta("transformer.src_vocab")));
    p.tgt_vocab = data::Vocab::from_tokens(nlohmann::json::parse(meta("transformer.tgt_vocab")));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: '{}': unreadable options or vocabularies ({})", call, path, e.what()));
  }
  check(p.src_vocab.size() == p.options.src_vocab && p.tgt_vocab.size() == p.options.tgt_vocab,
        "{}: '{}': the vocabularies hold {} and {} tokens but the model was saved with src_vocab = {} and "
        "tgt_vocab = {}; the file is inconsistent", call, path, p.src_vocab.size(), p.tgt_vocab.size(),
        p.options.src_vocab, p.options.tgt_vocab);
  for (const auto& [name, t] : in.tensors) {
    if (starts_with(name, kModel)) p.weights.add(name.substr(kModel.size()), t);
    if (starts_with(name, kOptimizer)) p.optimizer_state.add(name.substr(kOptimizer.size()), t);
    if (starts_with(name, kScheduler)) p.scheduler_state.add(name.substr(kScheduler.size()), t);
  }
  for (const auto& [key, value] : in.metadata) {
    if (starts_with(key, kOptimizer)) p.optimizer_state.metadata[key.substr(kOptimizer.size())] = value;
    if (starts_with(key, kProgress)) p.progress[key.substr(kProgress.size())] = value;
  }
  return p;
}

}  // namespace

void save_transformer(const std::string& path, const TransformerCheckpoint& ck) {
  check(ck.model && ck.src_vocab && ck.tgt_vocab, "save_transformer: model and both vocabularies are required");
  check(ck.src_vocab->size() == ck.model->options.src_vocab && ck.tgt_vocab->size() == ck.model->options.tgt_vocab,
        "save_transformer: the vocabularies ({} and {} tokens) do not fit the model (src_vocab {}, tgt_vocab {})",
        ck.src_vocab->size(), ck.tgt_vocab->size(), ck.model->options.src_vocab, ck.model->options.tgt_vocab);
  NamedTensors out;
  for (auto& [name, t] : ck.model->state_dict().tensors) out.add(kModel + name, t);
  if (ck.optimizer) {
    NamedTensors opt = ck.optimizer->state_dict();
    for (auto& [name, t] : opt.tensors) out.add(kOptimizer + name, t);
    for (auto& [key, value] : opt.metadata) out.metadata[kOptimizer + key] = value;
  }
  if (ck.scheduler) {
    for (auto& [name, t] : ck.scheduler->state_dict().tensors) out.add(kScheduler + name, t);
  }
  out.metadata["transformer.options"] = options_json(ck.model->options).dump();
  out.metadata["transformer.src_vocab"] = nlohmann::json(ck.src_vocab->tokens()).dump();
  out.metadata["transformer.tgt_vocab"] = nlohmann::json(ck.tgt_vocab->tokens()).dump();
  for (auto& [key, value] : ck.progress) out.metadata[kProgress + key] = value;
  save_safetensors(out, path);
}

LoadedTransformer load_transformer(const std::string& path) {
  Parts p = read_parts(path, "load_transformer");
  LoadedTransformer out{.model = std::make_unique<Transformer>(p.options), .src_vocab = std::move(p.src_vocab),
                        .tgt_vocab = std::move(p.tgt_vocab), .optimizer_state = std::move(p.optimizer_state),
                        .scheduler_state = std::move(p.scheduler_state), .progress = std::move(p.progress)};
  out.model->load_state_dict(p.weights);  // strict: every missing, unexpected or mis-shaped weight is listed
  return out;
}

std::map<std::string, std::string> restore_transformer(const std::string& path, const RestoreTarget& t) {
  check(t.model != nullptr, "restore_transformer: a model to load into is required");
  Parts p = read_parts(path, "restore_transformer");
  const nlohmann::json own = options_json(t.model->options);
  std::vector<std::string> differences;
  for (const auto& [key, value] : own.items()) {
    if (p.options_json.at(key) != value) {
      differences.push_back(fmt::format("{} = {} in the checkpoint, {} in the model", key, p.options_json.at(key).dump(),
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
