// SGD against PyTorch's trajectories, and its option checks.
#include <doctest/doctest.h>

#include "problem.h"

using namespace glimpse;
using optim_test::Problem;

TEST_SUITE("sgd") {
  TEST_CASE("plain SGD follows PyTorch step by step") {
    Problem p;
    optim::SGD opt(p.params(), {.lr = 0.1});
    optim_test::check_trajectory("sgd_plain", p, opt);
  }
  TEST_CASE("momentum follows PyTorch (first step seeds the buffer with the gradient)") {
    Problem p;
    optim::SGD opt(p.params(), {.lr = 0.05, .momentum = 0.9});
    optim_test::check_trajectory("sgd_momentum", p, opt);
  }
  TEST_CASE("nesterov follows PyTorch") {
    Problem p;
    optim::SGD opt(p.params(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});
    optim_test::check_trajectory("sgd_nesterov", p, opt);
  }
  TEST_CASE("dampening and weight decay follow PyTorch") {
    Problem p;
    optim::SGD opt(p.params(), {.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.01});
    optim_test::check_trajectory("sgd_dampening_wd", p, opt);
  }
  TEST_CASE("one step by hand: p -= lr * g") {
    Variable w(tensor({1.0, -2.0}, {2}, kFloat64), true);
    w.set_grad(tensor({0.5, 0.25}, {2}, kFloat64));
    optim::SGD opt({w}, {.lr = 0.1});
    opt.step();
    CHECK(w.data().at<double>({0}) == doctest::Approx(0.95));
    CHECK(w.data().at<double>({1}) == doctest::Approx(-2.025));
  }
  TEST_CASE("maximize ascends") {
    Variable w(tensor({1.0}, {1}, kFloat64), true);
    w.set_grad(tensor({2.0}, {1}, kFloat64));
    optim::SGD opt({w}, {.lr = 0.5, .maximize = true});
    opt.step();
    CHECK(w.data().at<double>({0}) == doctest::Approx(2.0));
  }
  TEST_CASE("bad options are refused at construction, naming the option") {
    Variable w(zeros({2}), true);
    CHECK_THROWS_WITH_AS(optim::SGD({w}, {.lr = -1.0}), doctest::Contains("lr"), Error);
    CHECK_THROWS_WITH_AS(optim::SGD({w}, {.lr = 0.1, .nesterov = true}), doctest::Contains("nesterov"), Error);
    CHECK_THROWS_WITH_AS(optim::SGD({w}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                         doctest::Contains("dampening"), Error);
    CHECK_THROWS_WITH_AS(optim::SGD({w}, {.lr = 0.1, .momentum = -0.5}), doctest::Contains("momentum"), Error);
    CHECK_THROWS_WITH_AS(optim::SGD({w}, {.lr = 0.1, .weight_decay = -1.0}), doctest::Contains("weight_decay"), Error);
  }
}
