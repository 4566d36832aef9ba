// nn::Module checkpoints: state_dict / load_state_dict, and their safetensors files (save / load).
//
// The one promise here is all-or-nothing: a checkpoint that does not fit the model (a missing or unexpected name, a
// wrong shape or dtype, a truncated file) raises one Error listing every problem, and the model keeps its numbers.
// That is why loading first checks every tensor and only then copies, and why values are copied *into* the existing
// parameter tensors (copy_) instead of replacing them: an optimizer built from model.parameters() keeps pointing at
// the live numbers after a load. A checkpoint saved at half size (save(path, {.dtype = kFloat16})) loads into a
// float32 model the same way: copy_ widens each float16 or bfloat16 value exactly.
#include <fmt/format.h>

#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "nn/module.h"

namespace glimpse::nn {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

}  // namespace

// PyTorch's order: each module's own parameters, then its buffers, then its children's (depth first), which is what
// walking named_modules() (pre-order, children in registration order) gives. A tied parameter is listed under each of
// its names, as PyTorch's state_dict() lists it (nanoGPT's holds both transformer.wte.weight and lm_head.weight), so
// a checkpoint saved here passes PyTorch's load_state_dict(strict=True). The entries share one storage; a file holds
// the values once per name (safetensors has no aliases), and loading accepts any one of the names, or several.
NamedTensors Module::state_dict() const {
  NamedTensors out;
  for (const auto& [prefix, m] : named_modules()) {
    const std::string dot = prefix.empty() ? "" : prefix + ".";
    for (const auto& [name, p] : m->params_) out.add(dot + name, p.data());
    for (const auto& [name, b] : m->buffers_) out.add(dot + name, b);
  }
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  const NamedTensors own = state_dict();

  std::unordered_map<std::string_view, const Tensor*> given;
  std::vector<std::string> duplicates, missing, unexpected, mismatched;
  for (const auto& [name, t] : state.tensors) {
    if (!given.emplace(name, &t).second) duplicates.push_back(name);
  }
  // A tied parameter may come under any of its names (PyTorch's state_dict lists each); its first name wins.
  std::unordered_map<std::string, std::vector<std::string>> aliases_of;  // listed name -> other names
  std::unordered_set<std::string_view> alias_names;
  const auto tied = tied_aliases();
  for (const auto& [alias, listed] : tied) {
    aliases_of[listed].push_back(alias);
    alias_names.insert(alias);
  }

  // Check everything before touching anything.
  std::vector<std::pair<Tensor, const Tensor*>> copies;  // (destination in the model, source in the checkpoint)
  std::unordered_set<std::string_view> own_names;
  auto fits = [&](const std::string& name, const Tensor& src, const Tensor& dst) {
    if (!src.defined()) {
      mismatched.push_back(fmt::format("\"{}\" is undefined in the checkpoint", name));
    } else if (src.shape() != dst.shape() ||
               // a float16/bfloat16 checkpoint loads into a floating model (converted); other dtypes must match
               (src.dtype() != dst.dtype() && !(is_storage_only(src.dtype()) && is_floating(dst.dtype())))) {
      mismatched.push_back(fmt::format("\"{}\" is {} {} in the checkpoint but {} {} in the model", name, src.shape(),
                                       dtype_name(src.dtype()), dst.shape(), dtype_name(dst.dtype())));
    } else {
      return true;
    }
    return false;
  };
  for (const auto& [name, dst] : own.tensors) {
    own_names.insert(name);
    auto it = given.find(name);
    if (alias_names.contains(name)) {  // a second name of a tied parameter: checked if given, loaded by the first
      if (it != given.end()) fits(name, *it->second, dst);
      continue;
    }
    if (it == given.end() && aliases_of.contains(name)) {
      for (const auto& alias : aliases_of[name]) {
        if ((it = given.find(alias)) != given.end()) break;
      }
    }
    if (it == given.end()) {
      missing.push_back(name);
    } else if (fits(name, *it->second, dst)) {
      copies.emplace_back(dst, it->second);
    }
  }
  for (const auto& [name, _] : state.tensors) {
    if (!own_names.contains(name) && !alias_names.contains(name)) unexpected.push_back(name);
  }

  const bool ok = duplicates.empty() && mismatched.empty() && (!strict || (missing.empty() && unexpected.empty()));
  if (!ok) {
    std::string msg = fmt::format("load_state_dict: the checkpoint does not fit this {} (nothing was loaded):",
                                  type_name_);
    if (!missing.empty()) msg += "\n  missing keys: " + quoted_list(missing);
    if (!unexpected.empty()) msg += "\n  unexpected keys: " + quoted_list(unexpected);
    for (const auto& m : mismatched) msg += "\n  mismatch: " + m;
    if (!duplicates.empty()) msg += "\n  duplicate keys: " + quoted_list(duplicates);
    if (strict && (!missing.empty() || !unexpected.empty()) && mismatched.empty() && duplicates.empty()) {
      msg += "\n  (pass strict = false to load only the names both sides have)";
    }
    throw Error(msg);
  }

  // Everything fits: copying equal shapes cannot fail part way (copy_ converts a 16-bit source exactly).
  for (auto& [dst, src] : copies) dst.copy_(*src);
}

void Module::save(const std::string& path, const SaveOptions& options) const {
  save_safetensors(options.dtype ? state_dict().to(*options.dtype) : state_dict(), path);
}

void Module::load(const std::string& path, bool strict) {
  // A file that cannot be read throws here (naming the file), before the model is touched.
  const NamedTensors state = load_safetensors(path);
  try {
    load_state_dict(state, strict);
  } catch (const Error& e) {
    throw Error(fmt::format("load: {}: {}", path, e.what()));
  }
}

}  // namespace glimpse::nn
