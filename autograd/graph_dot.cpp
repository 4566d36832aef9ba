// Graphviz export of the autograd graph: an iterative walk from the root through each Node's inputs.
#include "autograd/graph_dot.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <unordered_map>

#include "autograd/node.h"

namespace glimpse {
namespace {

// A value's shape and dtype (also of a result whose data the tape let go: Variable::let_go).
std::string describe(const VariableImpl& v) { return fmt::format("{} {}", value_shape(v), dtype_name(value_dtype(v))); }

double norm2(const Tensor& t) {
  double s = 0.0;
  for (double v : t.tolist()) s += v * v;
  return std::sqrt(s);
}

}  // namespace

std::string to_dot(const Variable& root) {
  check(root.defined(), "to_dot: the Variable is undefined");
  std::string out = "digraph autograd {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::unordered_map<const VariableImpl*, int> ids;
  std::vector<const VariableImpl*> stack;
  auto id_of = [&](const VariableImpl* v) {
    auto [it, inserted] = ids.emplace(v, static_cast<int>(ids.size()));
    if (inserted) stack.push_back(v);
    return it->second;
  };
  id_of(root.impl().get());
  while (!stack.empty()) {
    const VariableImpl* v = stack.back();
    stack.pop_back();
    int id = ids.at(v);
    std::string label = describe(*v);
    if (!v->grad_fn) {
      std::string style = v->requires_grad ? ", style=filled, fillcolor=\"#cfe8ff\"" : "";
      if (v->grad.defined()) label += fmt::format("\\ngrad norm {:.4g}", norm2(v->grad));
      out += fmt::format("  v{} [shape=box, label=\"{}{}\"{}];\n", id, v->requires_grad ? "leaf (requires_grad)\\n" : "",
                         label, style);
      continue;
    }
    const Node& node = *v->grad_fn;
    out += fmt::format("  v{} [shape=box, label=\"{}\"];\n", id, label);
    out += fmt::format("  op{} [shape=ellipse, style=filled, fillcolor=\"#ffe9b3\", label=\"{}{}\"];\n", id, node.name,
                       node.released() ? "\\n(freed)" : "");
    out += fmt::format("  op{} -> v{};\n", id, id);
    for (const auto& in : node.inputs) {
      int child = id_of(in.get());
      out += fmt::format("  v{} -> op{}{};\n", child, id, in->requires_grad ? "" : " [style=dashed]");
    }
  }
  out += "}\n";
  return out;
}

void save_dot(const Variable& root, const std::string& path) {
  std::ofstream f(path);
  check(f.good(), "save_dot: cannot open {} for writing", path);
  f << to_dot(root);
  check(f.good(), "save_dot: writing {} failed", path);
}

}  // namespace glimpse
