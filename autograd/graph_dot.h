// Seeing the tape: the graph behind a Variable as Graphviz DOT.
//
//   save_dot(loss, "graph.dot");      // then: dot -Tsvg graph.dot -o graph.svg
// Ops are ellipses (name and output shape), Variables are boxes (shape, dtype; leaves that require grad are filled,
// and after backward show the norm of their gradient). Edges run from inputs to the op that used them.
#pragma once

#include <string>

#include "autograd/variable.h"

namespace glimpse {

std::string to_dot(const Variable& root);
void save_dot(const Variable& root, const std::string& path);

}  // namespace glimpse
