// Draws the autograd tape behind a small computation: writes graph.dot and, if Graphviz's `dot` is installed,
// renders graph.svg. Usage: autograd_graph [output-dir]   (default: current directory)
#include <cstdlib>
#include <string>

#include "glimpse.h"

using namespace glimpse;

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : ".";
  manual_seed(0);
  // A 2-layer perceptron on one example: y = w2 · tanh(W1 x + b1), loss = (y - 1)².
  Variable x(randn({1, 4}));
  Variable w1(randn({4, 3}), true), b1(zeros({3}), true), w2(randn({3, 1}), true);
  Variable h = tanh(matmul(x, w1) + b1);
  Variable loss = sum(square(matmul(h, w2) - 1.0));
  loss.backward(Tensor(), /*retain_graph=*/true);  // keep the graph so the picture shows it intact

  std::string dot_path = dir + "/graph.dot", svg_path = dir + "/graph.svg";
  save_dot(loss, dot_path);
  fmt::print("loss = {:.4f}; wrote {}\n", loss.item(), dot_path);
  if (std::system("command -v dot >/dev/null 2>&1") == 0) {
    std::string cmd = "dot -Tsvg '" + dot_path + "' -o '" + svg_path + "'";
    if (std::system(cmd.c_str()) == 0) fmt::print("rendered {}\n", svg_path);
  } else {
    fmt::print("install graphviz (apt-get install graphviz) to render it: dot -Tsvg {} -o {}\n", dot_path, svg_path);
  }
  return 0;
}
