// Saving and loading a Seq2Seq with its optimizer, vocabularies, options and progress in one safetensors file.
#include "models/seq2seq_checkpoint.h"

#include <nlohmann/json.hpp>

#include "tensor/safetensors.h"

namespace glimpse::models {
namespace {

const std::string kModel = "model.", kOptimizer = "optimizer.", kProgress = "progress.";

nlohmann::json options_json(const Seq2SeqOptions& o) {
  return {{"src_vocab", o.src_vocab}, {"tgt_vocab", o.tgt_vocab}, {"emb", o.emb},
          {"hidden", o.hidden},       {"layers", o.layers},       {"bidirectional", o.bidirectional},
          {"attention", o.attention}, {"local_window", o.local_window}, {"dropout", o.dropout}};
}

Seq2SeqOptions options_from(const nlohmann::json& j) {
  return {.src_vocab = j.at("src_vocab"), .tgt_vocab = j.at("tgt_vocab"), .emb = j.at("emb"),
          .hidden = j.at("hidden"), .layers = j.at("layers"), .bidirectional = j.at("bidirectional"),
          .attention = j.at("attention"), .local_window = j.at("local_window"), .dropout = j.at("dropout")};
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

void save_seq2seq(const std::string& path, const Seq2SeqCheckpoint& ck) {
  check(ck.model && ck.src_vocab && ck.tgt_vocab, "save_seq2seq: model and both vocabularies are required");
  check(ck.src_vocab->size() == ck.model->options.src_vocab && ck.tgt_vocab->size() == ck.model->options.tgt_vocab,
        "save_seq2seq: the vocabularies ({} and {} tokens) do not fit the model (src_vocab {}, tgt_vocab {})",
        ck.src_vocab->size(), ck.tgt_vocab->size(), ck.model->options.src_vocab, ck.model->options.tgt_vocab);
  NamedTensors out;
  for (auto& [name, t] : ck.model->state_dict().tensors) out.add(kModel + name, t);
  if (ck.optimizer) {
    NamedTensors opt = ck.optimizer->state_dict();
    for (auto& [name, t] : opt.tensors) out.add(kOptimizer + name, t);
    for (auto& [key, value] : opt.metadata) out.metadata[kOptimizer + key] = value;
  }
  out.metadata["seq2seq.options"] = options_json(ck.model->options).dump();
  out.metadata["seq2seq.src_vocab"] = nlohmann::json(ck.src_vocab->tokens()).dump();
  out.metadata["seq2seq.tgt_vocab"] = nlohmann::json(ck.tgt_vocab->tokens()).dump();
  for (auto& [key, value] : ck.progress) out.metadata[kProgress + key] = value;
  save_safetensors(out, path);
}

LoadedSeq2Seq load_seq2seq(const std::string& path) {
  const NamedTensors in = load_safetensors(path);
  auto meta = [&](const std::string& key) -> const std::string& {
    auto it = in.metadata.find(key);
    check(it != in.metadata.end(), "load_seq2seq: '{}' is not a seq2seq checkpoint (no '{}' in its metadata)", path,
          key);
    return it->second;
  };
  LoadedSeq2Seq out;
  Seq2SeqOptions options;
  try {
    options = options_from(nlohmann::json::parse(meta("seq2seq.options")));
    out.src_vocab = data::Vocab::from_tokens(nlohmann::json::parse(meta("seq2seq.src_vocab")));
    out.tgt_vocab = data::Vocab::from_tokens(nlohmann::json::parse(meta("seq2seq.tgt_vocab")));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("load_seq2seq: '{}': unreadable options or vocabularies ({})", path, e.what()));
  }
  check(out.src_vocab.size() == options.src_vocab && out.tgt_vocab.size() == options.tgt_vocab,
        "load_seq2seq: '{}': the vocabularies hold {} and {} tokens but the model was saved with src_vocab = {} and "
        "tgt_vocab = {}; the file is inconsistent", path, out.src_vocab.size(), out.tgt_vocab.size(),
        options.src_vocab, options.tgt_vocab);
  out.model = std::make_unique<Seq2Seq>(options);
  NamedTensors weights;
  for (const auto& [name, t] : in.tensors) {
    if (starts_with(name, kModel)) weights.add(name.substr(kModel.size()), t);
    if (starts_with(name, kOptimizer)) out.optimizer_state.add(name.substr(kOptimizer.size()), t);
  }
  for (const auto& [key, value] : in.metadata) {
    if (starts_with(key, kOptimizer)) out.optimizer_state.metadata[key.substr(kOptimizer.size())] = value;
    if (starts_with(key, kProgress)) out.progress[key.substr(kProgress.size())] = value;
  }
  out.model->load_state_dict(weights);  // strict: every missing, unexpected or mis-shaped weight is listed
  return out;
}

}  // namespace glimpse::models
