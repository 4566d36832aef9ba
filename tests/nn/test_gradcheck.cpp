// nn::gradcheck: a layer's gradients for its inputs and every parameter, and that a wrong one is caught by name.
#include <doctest/doctest.h>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "nn/gradcheck.h"
#include "nn/linear.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

namespace glimpse {
namespace {

// y = x * w with a backward that gets w's gradient wrong by a factor of 2 (x's is right).
Variable scale_wrong_weight_grad(const Variable& x, const Variable& w) {
  Tensor y = mul(x.data(), w.data());
  return record("scale_wrong", y, {x, w}, [xd = x.data(), wd = w.data()](const Tensor& g) -> Grads {
    return {mul(g, wd), mul(mul(g, xd), 2.0)};
  });
}

// A one-parameter layer around that op.
class Scale : public nn::Module {
 public:
  Scale() : Module("Scale") { weight = register_parameter("weight", randn({3}, kFloat64)); }
  // x: [*, 3] -> [*, 3]
  Variable forward(const Variable& x) const { return scale_wrong_weight_grad(x, weight); }
  Variable weight;
};

TEST_SUITE("nn.gradcheck") {
  TEST_CASE("a correct layer passes for its input and every parameter") {
    manual_seed(0);
    nn::Linear fc(3, 2);
    fc.to(kFloat64);
    Variable x(randn({4, 3}, kFloat64), true);
    CHECK(nn::gradcheck(fc, [&](const std::vector<Variable>& in) { return fc.forward(in[0]); }, {x}));
  }

  TEST_CASE("a wrong parameter gradient is caught and the parameter named, a right input gradient is not blamed") {
    manual_seed(0);
    Scale layer;
    Variable x(randn({2, 3}, kFloat64), true);
    auto fn = [&](const std::vector<Variable>& in) { return layer.forward(in[0]); };
    CHECK_THROWS_WITH_AS(nn::gradcheck(layer, fn, {x}), doctest::Contains("gradient of parameter 'weight'"), Error);
    CHECK_FALSE(nn::gradcheck(layer, fn, {x}, {.raise_exception = false}));
    // glimpse::gradcheck alone sees only the input, whose gradient is right: the reason nn::gradcheck exists.
    CHECK(gradcheck(fn, {x}));
  }

  TEST_CASE("parameters must be float64: the error says to convert the module") {
    nn::Linear fc(3, 2);
    Variable x(randn({4, 3}, kFloat64), true);
    CHECK_THROWS_WITH_AS(nn::gradcheck(fc, [&](const std::vector<Variable>& in) { return fc.forward(in[0]); }, {x}),
                         doctest::Contains("module.to(kFloat64)"), Error);
  }
}

}  // namespace
}  // namespace glimpse
