// Tests for nn/rnn_base.cpp: the input and state checks LSTM and GRU share, and the messages they give.
#include <doctest/doctest.h>

#include "nn/gru.h"
#include "nn/lstm.h"
#include "tensor/random.h"

using namespace glimpse;

TEST_SUITE("rnn_base") {
  TEST_CASE("regression: an int64 input names the layer and says it wants a floating-point input") {
    // Said "matmul: ..." with an internal weight shape when token ids went straight into an LSTM.
    nn::LSTM lstm(3, 4);
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 2, 3}, kInt64))),
                         doctest::Contains("LSTM: input of shape [5, 2, 3] is int64 but the layer's parameters are "
                                           "float32; LSTM wants a floating-point input"), Error);
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 2, 3}, kInt64))), doctest::Contains("nn::Embedding"), Error);
    nn::GRU gru(3, 4);
    CHECK_THROWS_WITH_AS(gru.forward(Variable(zeros({5, 2, 3}, kFloat64))),
                         doctest::Contains("GRU: input of shape [5, 2, 3] is float64"), Error);
  }

  TEST_CASE("regression: a state that does not match says where B came from and mentions batch_first") {
    // batch_first with a time-major input: the h_0 error never mentioned batch_first.
    nn::LSTM lstm(3, 4, {.batch_first = true});
    Variable x(randn({7, 2, 3}));                        // meant as [T = 7, B = 2, 3], read as [B = 7, T = 2, 3]
    Variable h0(zeros({1, 2, 4})), c0(zeros({1, 2, 4}));  // [num_layers, B = 2, H]
    CHECK_THROWS_WITH_AS(lstm.forward(x, {h0, c0}),
                         doctest::Contains("with B = 7 read from dim 0 of the input because batch_first is true "
                                           "(input [B, T, input_size]); is the input time-major? then set "
                                           "batch_first = false"), Error);
    nn::LSTM time_major(3, 4);
    CHECK_THROWS_WITH_AS(time_major.forward(Variable(randn({2, 7, 3})), {h0, c0}),
                         doctest::Contains("then set batch_first = true"), Error);
    CHECK(time_major.forward(x, {h0, c0}).first.shape() == Shape{7, 2, 4});  // the right layout works
  }
}
