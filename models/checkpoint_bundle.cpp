// The shared checkpoint layout of the two encoder-decoder models: bundling under prefixes and reading back.
#include "models/checkpoint_bundle.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace glimpse::models {
namespace {

const std::string kModel = "model.", kOptimizer = "optimizer.", kScheduler = "scheduler.", kProgress = "progress.";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

void save_checkpoint_bundle(const std::string& path, const std::string& kind, const CheckpointParts& ck) {
  check(ck.model && ck.src_vocab && ck.tgt_vocab, "save_{}: model and both vocabularies are required", kind);
  const int64_t src_size = ck.options.at("src_vocab"), tgt_size = ck.options.at("tgt_vocab");
  check(ck.src_vocab->size() == src_size && ck.tgt_vocab->size() == tgt_size,
        "save_{}: the vocabularies ({} and {} tokens) do not fit the model (src_vocab {}, tgt_vocab {})", kind,
        ck.src_vocab->size(), ck.tgt_vocab->size(), src_size, tgt_size);
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
  out.metadata[kind + ".options"] = ck.options.dump();
  out.metadata[kind + ".src_vocab"] = nlohmann::json(ck.src_vocab->tokens()).dump();
  out.metadata[kind + ".tgt_vocab"] = nlohmann::json(ck.tgt_vocab->tokens()).dump();
  for (auto& [key, value] : ck.progress) out.metadata[kProgress + key] = value;
  save_safetensors(out, path);
}

LoadedBundle load_checkpoint_bundle(const std::string& path, const BundleReader& r) {
  const NamedTensors in = load_safetensors(path);
  auto meta = [&](const std::string& key) -> const std::string& {
    auto it = in.metadata.find(key);
    const bool other = !r.other_kind_key.empty() && in.metadata.count(r.other_kind_key) == 1;
    check(it != in.metadata.end(), "{}: '{}' is not a {} checkpoint (no '{}' in its metadata{})", r.call, path,
          r.kind == "transformer" ? "Transformer" : r.kind, key, other ? "; " + r.other_kind_hint : "");
    return it->second;
  };
  LoadedBundle b;
  int64_t src_size = 0, tgt_size = 0;
  try {
    b.options = nlohmann::json::parse(meta(r.kind + ".options"));
    r.read_options(b.options);
    src_size = b.options.at("src_vocab"), tgt_size = b.options.at("tgt_vocab");
    b.src_vocab = data::Vocab::from_tokens(nlohmann::json::parse(meta(r.kind + ".src_vocab")));
    b.tgt_vocab = data::Vocab::from_tokens(nlohmann::json::parse(meta(r.kind + ".tgt_vocab")));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: '{}': unreadable options or vocabularies ({})", r.call, path, e.what()));
  }
  check(b.src_vocab.size() == src_size && b.tgt_vocab.size() == tgt_size,
        "{}: '{}': the vocabularies hold {} and {} tokens but the model was saved with src_vocab = {} and "
        "tgt_vocab = {}; the file is inconsistent", r.call, path, b.src_vocab.size(), b.tgt_vocab.size(), src_size,
        tgt_size);
  for (const auto& [name, t] : in.tensors) {
    if (starts_with(name, kModel)) b.weights.add(name.substr(kModel.size()), t);
    if (starts_with(name, kOptimizer)) b.optimizer_state.add(name.substr(kOptimizer.size()), t);
    if (starts_with(name, kScheduler)) b.scheduler_state.add(name.substr(kScheduler.size()), t);
  }
  for (const auto& [key, value] : in.metadata) {
    if (starts_with(key, kOptimizer)) b.optimizer_state.metadata[key.substr(kOptimizer.size())] = value;
    if (starts_with(key, kProgress)) b.progress[key.substr(kProgress.size())] = value;
  }
  return b;
}

}  // namespace glimpse::models
