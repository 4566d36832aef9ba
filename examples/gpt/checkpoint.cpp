// examples/gpt: writing and reading the run's checkpoint (see checkpoint.h for the layout).
#include "checkpoint.h"

#include <fmt/format.h>

#include <filesystem>

#include "tensor/safetensors.h"

namespace gpt_example {

using namespace glimpse;

namespace {

void add_section(NamedTensors& out, const std::string& prefix, const NamedTensors& part) {
  for (const auto& [name, t] : part.tensors) out.add(prefix + "." + name, t);
  for (const auto& [key, value] : part.metadata) out.metadata[prefix + "." + key] = value;
}

Tensor series(const std::vector<double>& v) {
  return tensor(v, {static_cast<int64_t>(v.size())}, kFloat64);
}

void add_metadata(NamedTensors& all, const std::map<std::string, std::string>& settings, int64_t iter,
                  const data::CharVocab& vocab) {
  for (const auto& [key, value] : settings) all.metadata[key] = value;
  all.metadata["program"] = "glimpse examples/gpt";
  all.metadata["iter"] = std::to_string(iter);
  all.metadata["vocab"] = vocab.chars();
}

std::vector<double> values(const NamedTensors& all, const std::string& name) {
  const Tensor* t = all.find(name);
  return t != nullptr ? t->tolist() : std::vector<double>{};
}

}  // namespace

void save_checkpoint(const std::string& path, const models::GPT& model, const optim::Optimizer& opt,
                     const optim::LRScheduler& sched, const History& history, int64_t iter,
                     const std::map<std::string, std::string>& settings, const data::CharVocab& vocab) {
  NamedTensors all;
  add_section(all, "model", model.state_dict());
  add_section(all, "optim", opt.state_dict());
  add_section(all, "sched", sched.state_dict());
  all.add("history.step_loss", series(history.step_loss));
  all.add("history.eval_iter", series(history.eval_iter));
  all.add("history.eval_train", series(history.eval_train));
  all.add("history.eval_val", series(history.eval_val));
  add_metadata(all, settings, iter, vocab);
  all.metadata["rng"] = "derived: every step's draws come from generators seeded by (config.--seed, step, purpose)";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  save_safetensors(all, path);  // atomic: a temporary file renamed over the old checkpoint
}

void save_model_copy(const std::string& path, const models::GPT& model, DType dtype, int64_t iter,
                     const std::map<std::string, std::string>& settings, const data::CharVocab& vocab) {
  NamedTensors all;
  add_section(all, "model", model.state_dict().to(dtype));
  add_metadata(all, settings, iter, vocab);
  all.metadata["saved_dtype"] = std::string(dtype_name(dtype));
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  save_safetensors(all, path);
}

Checkpoint read_checkpoint(const std::string& path) {
  check(std::filesystem::exists(path), "no checkpoint at {}; train first (without --resume / --sample), or point "
        "--out at the folder of an earlier run", path);
  Checkpoint c{load_safetensors(path), path};
  auto it = c.all.metadata.find("program");
  check(it != c.all.metadata.end() && it->second == "glimpse examples/gpt",
        "{} is not a checkpoint written by examples/gpt (its metadata has no program = \"glimpse examples/gpt\")",
        path);
  return c;
}

int64_t Checkpoint::iter() const { return std::stoll(all.metadata.at("iter")); }

data::CharVocab Checkpoint::vocab() const {
  auto it = all.metadata.find("vocab");
  check(it != all.metadata.end(), "{}: the checkpoint holds no vocabulary", path);
  return data::CharVocab(it->second);
}

NamedTensors Checkpoint::section(const std::string& prefix) const {
  NamedTensors out;
  const std::string p = prefix + ".";
  for (const auto& [name, t] : all.tensors) {
    if (name.starts_with(p)) out.add(name.substr(p.size()), t);
  }
  for (const auto& [key, value] : all.metadata) {
    if (key.starts_with(p)) out.metadata[key.substr(p.size())] = value;
  }
  return out;
}

void save_model_file(const std::string& path, const models::GPT& model) {
  NamedTensors weights = model.state_dict();
  const models::GPTConfig& c = model.config;
  weights.metadata = {{"n_layer", std::to_string(c.n_layer)},       {"n_head", std::to_string(c.n_head)},
                      {"n_embd", std::to_string(c.n_embd)},         {"block_size", std::to_string(c.block_size)},
                      {"bias", c.bias ? "True" : "False"},          {"vocab_size", std::to_string(c.vocab_size)},
                      {"dropout", fmt::format("{}", c.dropout)},    {"program", "glimpse examples/gpt"}};
  save_safetensors(weights, path);
}

InitFrom read_init_from(const std::string& path, int64_t n_head, int64_t vocab_size) {
  check(std::filesystem::exists(path), "--init-from: no file {}; export one from PyTorch (README: Interop with "
        "PyTorch)", path);
  InitFrom out{models::nanogpt_state_dict(load_safetensors(path)), {}};
  auto it = out.state.metadata.find("n_head");
  if (it != out.state.metadata.end()) {
    try {
      n_head = std::stoll(it->second);
    } catch (const std::exception&) {
      throw Error(fmt::format("--init-from: {}: its metadata n_head = \"{}\" is not a number", path, it->second));
    }
  }
  const models::GPTConfig c = models::config_from_state_dict(out.state, n_head);
  check(c.vocab_size == vocab_size, "--init-from: {} has a vocabulary of {} tokens (transformer.wte.weight is [{}, {}]) "
        "but --data gives {} characters; a character-level model reads the sorted characters of its training text "
        "(nanoGPT's shakespeare_char: data/shakespeare_char/input.txt): pass that text as --data", path,
        c.vocab_size, c.vocab_size, c.n_embd, vocab_size);
  out.settings = {{"config.--n-layer", std::to_string(c.n_layer)}, {"config.--n-head", std::to_string(c.n_head)},
                  {"config.--n-embd", std::to_string(c.n_embd)},   {"config.--block-size", std::to_string(c.block_size)},
                  {"config.--bias", c.bias ? "true" : "false"}};
  return out;
}

History Checkpoint::history() const {
  return {values(all, "history.step_loss"), values(all, "history.eval_iter"), values(all, "history.eval_train"),
          values(all, "history.eval_val")};
}

}  // namespace gpt_example
