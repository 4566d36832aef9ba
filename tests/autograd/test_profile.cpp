// The tape inspector: op rows in recording order, FLOPs of matrix products and bytes kept for a known graph against
// hand-computed values, backward times attributed to their ops, and its misuse errors.
#include <doctest/doctest.h>

#include <string>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "autograd/profile.h"
#include "tensor/random.h"

namespace glimpse {
namespace {

TEST_SUITE("autograd.profile") {
  TEST_CASE("matmul FLOPs are 2·M·N·K per output matrix, batched and broadcast") {
    Variable a(randn({2, 3}), true), b(randn({3, 4}), true), batch(randn({5, 2, 3}), true);
    TapeProfiler profiler;
    matmul(a, b);      // [2, 3] @ [3, 4]: 2·2·4·3 = 48
    matmul(batch, b);  // [5, 2, 3] @ [3, 4]: 5 · 48 = 240
    TapeProfile p = profiler.stop();
    REQUIRE(p.ops.size() == 2);
    CHECK(p.ops[0].name == std::string("matmul"));
    CHECK(p.ops[0].flops == 48);
    CHECK(p.ops[1].flops == 240);
    CHECK(p.ops[1].shape == Shape{5, 2, 4});
    CHECK(p.flops == 288);
  }

  TEST_CASE("bytes kept for a known graph: outputs count, views do not, inputs made before do not") {
    Variable x(randn({100}), true);  // made before the profiler: not charged to any op
    TapeProfiler profiler;
    Variable y = tanh(x);             // output [100] float32: 400 bytes (the backward saves this same y)
    Variable z = y * 3.0;             // 400 bytes
    Variable v = z.view({10, 10});    // a view: 0 bytes
    Variable s = sum(v);              // a 0-d float32: 4 bytes
    s.backward();
    TapeProfile p = profiler.stop();
    REQUIRE(p.ops.size() == 4);
    CHECK(p.ops[0].name == std::string("tanh"));
    CHECK(p.ops[0].kept_bytes == 400);
    CHECK(p.ops[1].kept_bytes == 400);
    CHECK(p.ops[2].name == std::string("view"));
    CHECK(p.ops[2].kept_bytes == 0);
    CHECK(p.ops[3].kept_bytes == 4);
    CHECK(p.kept_bytes == 804);
    CHECK(p.peak_bytes >= 804);  // the backward's gradients come on top
    CHECK(p.ops[0].flops == 100);   // elementwise: one per output element
    CHECK(p.ops[2].flops == -1);    // a view has no arithmetic
    CHECK(p.ops[3].flops == 100);   // a reduction: one per input element
    // Every op was reached by backward, and the times add up to the totals.
    double backward = 0;
    for (const ProfiledOp& op : p.ops) backward += op.backward_us;
    CHECK(backward == doctest::Approx(p.backward_us));
    CHECK(p.backward_us > 0.0);
    // The table names every op and ends with the totals.
    const std::string table = p.table();
    CHECK(table.find("tanh") != std::string::npos);
    CHECK(table.find("[10, 10]") != std::string::npos);
    CHECK(table.find("4 ops: forward") != std::string::npos);
    CHECK(p.summary().find("view") != std::string::npos);
    // by_op adds up rows of one name: here every name occurs once, so it has the same numbers.
    std::vector<OpSummary> by_op = p.by_op();
    CHECK(by_op.size() == 4);
    for (const OpSummary& r : by_op) {
      CHECK(r.count == 1);
      if (r.name == "view") CHECK(r.flops == -1);
      if (r.name == "tanh") CHECK(r.kept_bytes == 400);
    }
  }

  TEST_CASE("a value no backward reads is charged to nobody once the program lets go of it") {
    Variable x(randn({100}), true);
    TapeProfiler profiler;
    Variable y;
    {
      Variable a = x * 2.0;  // 400 bytes; only the add reads a, and add's backward reads nothing
      y = a + 1.0;           // 400 bytes
    }                        // a is let go here (autograd/variable.h): mul keeps nothing
    Variable z = tanh(y);    // 400 bytes, not credited with a's
    z.backward(ones({100}));
    TapeProfile p = profiler.stop();
    REQUIRE(p.ops.size() == 3);
    CHECK(p.ops[0].kept_bytes == 0);
    CHECK(p.ops[1].kept_bytes == 400);
    CHECK(p.ops[2].kept_bytes == 400);
    CHECK(p.kept_bytes == 800);
  }

  TEST_CASE("ops that record nothing are not rows, one profiler per thread, stop once") {
    TapeProfiler profiler;
    Variable c = tanh(Variable(randn({3})));  // no input requires grad: nothing recorded
    CHECK_THROWS_AS(TapeProfiler(), Error);
    TapeProfile p = profiler.stop();
    CHECK(p.ops.empty());
    CHECK_THROWS_AS(profiler.stop(), Error);
    TapeProfiler again;  // the first one stopped, so a new one may start
    CHECK(TapeProfiler::active() == &again);
  }
}

}  // namespace
}  // namespace glimpse
