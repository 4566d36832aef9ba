// Tests for autograd/variable.h: when the last handle of a result goes and only the tape holds it, its data is let go
// (Variable::let_go). The storage then lives only if a backward saved it; the gradients are the same as before; a
// value a user still holds keeps its numbers; graph pictures and error messages still know its shape.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/graph_dot.h"
#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "tensor/storage.h"

using namespace glimpse;

namespace {

Variable leaf(const std::vector<double>& values) { return Variable(tensor(values, {-1}, kFloat64), true); }

std::weak_ptr<Storage> storage_of(const Variable& v) { return v.data().storage(); }

}  // namespace

TEST_SUITE("variable") {
  TEST_CASE("a result only the tape holds is freed after the forward unless a backward saved it") {
    Variable x = leaf({0, 1, 2});
    std::weak_ptr<Storage> a_storage, s_storage;
    Variable y;
    {
      Variable a = x * 3.0;  // read by an add, whose backward reads nothing
      Variable s = x * 2.0;  // read by sin, whose backward reads its input
      a_storage = storage_of(a);
      s_storage = storage_of(s);
      y = a + sin(s);
      CHECK_FALSE(a_storage.expired());  // a is still held here
    }
    CHECK(a_storage.expired());
    CHECK_FALSE(s_storage.expired());
    y.backward(ones({3}, kFloat64));
    const std::vector<double> dx = x.grad().tolist();
    for (int i = 0; i < 3; ++i) CHECK(dx[i] == doctest::Approx(3.0 + 2.0 * std::cos(2.0 * i)));
    CHECK(s_storage.expired());  // backward freed what sin saved
  }

  TEST_CASE("regression: after backward, the values only the tape held are gone while the loss is still held") {
    // Before, every Node kept its inputs' data until the root went: a training loop holding its loss through the
    // optimizer step held every activation of the step too (the baby GPT: 30 MB on top of Adam's new moments).
    Variable x = leaf({1, 2});
    std::weak_ptr<Storage> e_storage;
    Variable loss;
    {
      Variable e = exp(x);  // exp saves its output
      e_storage = storage_of(e);
      loss = sum(e + 1.0);
    }
    CHECK_FALSE(e_storage.expired());
    loss.backward();
    CHECK(e_storage.expired());
    CHECK(loss.item() == doctest::Approx(std::exp(1.0) + std::exp(2.0) + 2.0));
    CHECK(x.grad().tolist()[1] == doctest::Approx(std::exp(2.0)));
  }

  TEST_CASE("a value a user still holds keeps its numbers, through copies and reassignment") {
    Variable x = leaf({1, 2});
    Variable a = x * 3.0;
    Variable copy = a;
    Variable y = a + 1.0;
    a = Variable();  // one handle goes, the copy still holds the value
    CHECK(copy.data().tolist() == std::vector<double>{3, 6});
    y.backward(ones({2}, kFloat64));
    CHECK(copy.data().tolist() == std::vector<double>{3, 6});  // after backward too
    CHECK(y.data().tolist() == std::vector<double>{4, 7});

    Variable h = x * 2.0;
    const std::weak_ptr<Storage> first = storage_of(h);
    h = h + 1.0;  // the loop idiom `x = block(x)`: the old value is let go as the handle moves on
    CHECK(first.expired());
    h = std::move(h);  // moving onto itself lets nothing go
    CHECK(h.data().tolist() == std::vector<double>{3, 5});
    h.backward(ones({2}, kFloat64));
    CHECK(x.grad().tolist() == std::vector<double>{5, 5});  // 3 from y, 2 from h
  }

  TEST_CASE("the tape's count of the values it holds stays exact as Nodes die, one by one or as a chain") {
    // A Node that dies must count its inputs out, or a value it read would never be let go (and one counted out twice
    // would be let go while a user holds it).
    Variable x = leaf({1, 2, 3});
    std::weak_ptr<Storage> a_storage;
    Variable y;
    {
      Variable a = x * 3.0;
      a_storage = storage_of(a);
      { Variable t = a + 1.0; }           // a Node dies on its own
      { Variable t = (a + 1.0) * 2.0; }   // a chain of two dies through Node's destructor loop
      Variable held = a;
      y = a + 2.0;
      a = Variable();
      CHECK_FALSE(a_storage.expired());  // `held` still holds it
      CHECK(held.data().tolist() == std::vector<double>{3, 6, 9});
    }
    CHECK(a_storage.expired());
    y.backward(ones({3}, kFloat64));
    CHECK(x.grad().tolist() == std::vector<double>{3, 3, 3});
  }

  TEST_CASE("leaves keep their data when only the tape holds them") {
    Variable y;
    std::weak_ptr<Storage> w_storage;
    {
      Variable w = leaf({1, 2});
      w_storage = storage_of(w);
      y = w + 1.0;
    }
    CHECK_FALSE(w_storage.expired());
    const VariableImpl& w_impl = *y.grad_fn()->inputs[0];
    CHECK(w_impl.data.tolist() == std::vector<double>{1, 2});
    y.backward(ones({2}, kFloat64));
    CHECK(w_impl.grad.tolist() == std::vector<double>{1, 1});
  }

  TEST_CASE("a let-go value still has its shape for broadcasting, parts, graph pictures and retained graphs") {
    Variable x = Variable(tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64), true);
    Variable y;
    {
      Variable a = x * 2.0;                     // [2, 3], let go below
      Variable row = a.narrow(0, 1, 1);         // a part of it: the engine sizes a's gradient from a's shape
      Variable b = sum(x, {0}, true) * 1.0;     // [1, 3], let go: its gradient is summed back from [2, 3]
      y = (row + b) + a;                        // [1, 3] + [1, 3] + [2, 3]
    }
    const std::string dot = to_dot(y);
    CHECK(dot.find("[2, 3] float64") != std::string::npos);
    CHECK(dot.find("[1, 3] float64") != std::string::npos);
    y.backward(ones({2, 3}, kFloat64), /*retain_graph=*/true);
    // dy/dx: a contributes 2 everywhere; row adds 2 (summed over the two rows of y) to row 1; b adds 2 per column
    // (summed over y's rows) to every row.
    CHECK(x.grad().tolist() == std::vector<double>{4, 4, 4, 8, 8, 8});
    y.backward(ones({2, 3}, kFloat64));  // the retained graph runs again with the same numbers
    CHECK(x.grad().tolist() == std::vector<double>{8, 8, 8, 16, 16, 16});
  }

  TEST_CASE("data() and grad() of an undefined Variable are an Error naming the accessor") {
    // Both are inline (autograd/variable.h) with their error out of line: the message must still name the call.
    const Variable undefined;
    CHECK_THROWS_WITH_AS(undefined.data(), doctest::Contains("data: the Variable is undefined"), Error);
    CHECK_THROWS_WITH_AS(undefined.grad(), doctest::Contains("grad: the Variable is undefined"), Error);
  }
}
