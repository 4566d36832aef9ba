// Saving and loading a Seq2Seq with its optimizer, vocabularies, options and progress in one safetensors file (the
// layout is models/checkpoint_bundle.h's; this file gives it the model's options).
#include "models/seq2seq_checkpoint.h"

#include <nlohmann/json.hpp>

#include "models/checkpoint_bundle.h"

namespace glimpse::models {
namespace {

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

}  // namespace

void save_seq2seq(const std::string& path, const Seq2SeqCheckpoint& ck) {
  const nlohmann::json options = ck.model ? options_json(ck.model->options) : nlohmann::json::object();
  save_checkpoint_bundle(path, "seq2seq", {.model = ck.model, .options = options, .optimizer = ck.optimizer,
                                           .src_vocab = ck.src_vocab, .tgt_vocab = ck.tgt_vocab,
                                           .progress = ck.progress});
}

LoadedSeq2Seq load_seq2seq(const std::string& path) {
  Seq2SeqOptions options;
  auto read = [&](const nlohmann::json& j) { options = options_from(j); };
  LoadedBundle b = load_checkpoint_bundle(path, {.kind = "seq2seq", .call = "load_seq2seq", .read_options = read});
  LoadedSeq2Seq out{.model = std::make_unique<Seq2Seq>(options), .src_vocab = std::move(b.src_vocab),
                    .tgt_vocab = std::move(b.tgt_vocab), .optimizer_state = std::move(b.optimizer_state),
                    .progress = std::move(b.progress)};
  out.model->load_state_dict(b.weights);  // strict: every missing, unexpected or mis-shaped weight is listed
  return out;
}

}  // namespace glimpse::models
