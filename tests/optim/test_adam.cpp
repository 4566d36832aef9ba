// Adam and AdamW against PyTorch's trajectories, and their option checks.
#include <doctest/doctest.h>

#include "problem.h"

using namespace glimpse;
using optim_test::Problem;

TEST_SUITE("adam") {
  TEST_CASE("Adam follows PyTorch step by step") {
    Problem p;
    optim::Adam opt(p.params(), {.lr = 0.01});
    optim_test::check_trajectory("adam_plain", p, opt);
  }
  TEST_CASE("Adam with L2 weight decay follows PyTorch") {
    Problem p;
    optim::Adam opt(p.params(), {.lr = 0.01, .weight_decay = 0.1});
    optim_test::check_trajectory("adam_wd", p, opt);
  }
  TEST_CASE("Adam with amsgrad and other betas follows PyTorch") {
    Problem p;
    optim::Adam opt(p.params(), {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .amsgrad = true});
    optim_test::check_trajectory("adam_amsgrad", p, opt);
  }
  TEST_CASE("AdamW (decoupled decay) follows PyTorch") {
    Problem p;
    optim::AdamW opt(p.params(), {.lr = 0.01, .weight_decay = 0.1});
    optim_test::check_trajectory("adamw", p, opt);
  }
  TEST_CASE("AdamW with amsgrad follows PyTorch") {
    Problem p;
    optim::AdamW opt(p.params(), {.lr = 0.01, .weight_decay = 0.05, .amsgrad = true});
    optim_test::check_trajectory("adamw_amsgrad", p, opt);
  }
  TEST_CASE("AdamW's default weight decay is PyTorch's 1e-2, Adam's is 0") {
    Variable w(zeros({1}), true);
    CHECK(optim::AdamW({w}, {.lr = 1e-3}).weight_decay() == 0.01);
    CHECK(optim::Adam({w}, {.lr = 1e-3}).weight_decay() == 0.0);
  }
  TEST_CASE("first Adam step by hand: the update is lr * sign(g) (bias correction cancels)") {
    Variable w(tensor({1.0, 1.0}, {2}, kFloat64), true);
    w.set_grad(tensor({3.0, -0.5}, {2}, kFloat64));
    optim::Adam opt({w}, {.lr = 0.1, .eps = 0.0});
    opt.step();
    CHECK(w.data().at<double>({0}) == doctest::Approx(0.9));
    CHECK(w.data().at<double>({1}) == doctest::Approx(1.1));
  }
  TEST_CASE("float32 parameters use the float32 kernel") {
    Variable w(ones({3}), true);
    w.set_grad(ones({3}));
    optim::Adam opt({w}, {.lr = 0.1});
    opt.step();
    CHECK(w.data().at<float>({2}) == doctest::Approx(0.9f));
  }
  TEST_CASE("bad options are refused at construction, naming the option") {
    Variable w(zeros({2}), true);
    CHECK_THROWS_WITH_AS(optim::Adam({w}, {.lr = -1e-3}), doctest::Contains("lr"), Error);
    CHECK_THROWS_WITH_AS(optim::Adam({w}, {.beta1 = 1.0}), doctest::Contains("beta1"), Error);
    CHECK_THROWS_WITH_AS(optim::Adam({w}, {.beta2 = -0.1}), doctest::Contains("beta2"), Error);
    CHECK_THROWS_WITH_AS(optim::Adam({w}, {.eps = -1.0}), doctest::Contains("eps"), Error);
    CHECK_THROWS_WITH_AS(optim::AdamW({w}, {.weight_decay = -0.1}), doctest::Contains("weight_decay"), Error);
  }
}
