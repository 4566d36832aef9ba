// Learning-rate schedules, each against its formula.
#include <doctest/doctest.h>

#include <cmath>

#include "glimpse.h"

using namespace glimpse;

namespace {
struct Setup {
  Variable w{ones({1}), true};
  optim::SGD opt{{w}, {.lr = 0.5}};
};
}  // namespace

TEST_SUITE("lr_scheduler") {
  TEST_CASE("StepLR: lr * gamma^(epoch / step_size)") {
    Setup s;
    optim::StepLR sched(s.opt, 3, 0.1);
    for (int e = 0; e < 10; ++e) {
      CHECK(s.opt.lr() == doctest::Approx(0.5 * std::pow(0.1, e / 3)));
      sched.step();
    }
  }
  TEST_CASE("ExponentialLR: lr * gamma^epoch") {
    Setup s;
    optim::ExponentialLR sched(s.opt, 0.9);
    for (int e = 0; e < 10; ++e) {
      CHECK(s.opt.lr() == doctest::Approx(0.5 * std::pow(0.9, e)));
      sched.step();
    }
  }
  TEST_CASE("NoamLR: lr * d^-0.5 * min(s^-0.5, s * warmup^-1.5) with s = step + 1, peak at warmup") {
    Setup s;
    optim::NoamLR sched(s.opt, {.d_model = 64, .warmup = 10});
    double peak = 0.0;
    int64_t peak_step = -1;
    for (int e = 0; e < 40; ++e) {
      const double n = e + 1.0;
      CHECK(s.opt.lr() == doctest::Approx(0.5 / 8.0 * std::min(1.0 / std::sqrt(n), n / std::pow(10.0, 1.5))));
      if (s.opt.lr() > peak) peak = s.opt.lr(), peak_step = e;
      sched.step();
    }
    CHECK(peak_step == 9);  // s = warmup
    CHECK(peak == doctest::Approx(0.5 / std::sqrt(64.0 * 10.0)));
    CHECK_THROWS_WITH_AS(optim::NoamLR(s.opt, {.d_model = 64, .warmup = 0}), doctest::Contains("warmup"), Error);
  }
  TEST_CASE("ConstantLR: factor until total_iters, then the initial lr") {
    Setup s;
    optim::ConstantLR sched(s.opt, 0.25, 4);
    for (int e = 0; e < 8; ++e) {
      CHECK(s.opt.lr() == doctest::Approx(e < 4 ? 0.125 : 0.5));
      sched.step();
    }
  }
  TEST_CASE("CosineWithWarmup is nanoGPT's get_lr") {
    Setup s;
    const double lr = 0.5, min_lr = 0.05;
    const int warmup = 10, decay = 100;
    optim::CosineWithWarmup sched(s.opt, {.warmup_iters = warmup, .decay_iters = decay, .min_lr_factor = 0.1});
    for (int it = 0; it < 130; ++it) {
      double want;
      if (it < warmup) {
        want = lr * (it + 1) / (warmup + 1);
      } else if (it > decay) {
        want = min_lr;
      } else {
        double ratio = double(it - warmup) / (decay - warmup);
        want = min_lr + 0.5 * (1.0 + std::cos(M_PI * ratio)) * (lr - min_lr);
      }
      INFO("iteration ", it);
      CHECK(s.opt.lr() == doctest::Approx(want).epsilon(1e-12));
      sched.step();
    }
  }
  TEST_CASE("LambdaLR applies the user's factor to each group's initial lr") {
    Variable a(ones({1}), true), b(ones({1}), true);
    optim::SGD opt({{.params = {a}}, {.params = {b}, .lr = 2.0}}, {.lr = 1.0});
    optim::LambdaLR sched(opt, [](int64_t e) { return 1.0 / double(e + 1); });
    sched.step();
    sched.step();
    CHECK(opt.lr(0) == doctest::Approx(1.0 / 3));
    CHECK(opt.lr(1) == doctest::Approx(2.0 / 3));
  }
  TEST_CASE("state_dict restores the position") {
    Setup s;
    optim::StepLR sched(s.opt, 2, 0.5);
    for (int i = 0; i < 5; ++i) sched.step();
    NamedTensors st = sched.state_dict();
    Setup t;
    optim::StepLR sched2(t.opt, 2, 0.5);
    sched2.load_state_dict(st);
    CHECK(sched2.last_epoch() == 5);
    CHECK(t.opt.lr() == doctest::Approx(s.opt.lr()));
    NamedTensors bad;
    CHECK_THROWS_AS(sched2.load_state_dict(bad), Error);
  }
  TEST_CASE("bad settings are refused") {
    Setup s;
    CHECK_THROWS_AS(optim::StepLR(s.opt, 0), Error);
    CHECK_THROWS_AS(optim::ExponentialLR(s.opt, -1.0), Error);
    CHECK_THROWS_AS(optim::CosineWithWarmup(s.opt, {.warmup_iters = 10, .decay_iters = 5}), Error);
    CHECK_THROWS_AS(optim::LambdaLR(s.opt, [](int64_t) { return -1.0; }), Error);
  }
}
