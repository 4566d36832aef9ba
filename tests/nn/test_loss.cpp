// Tests for nn/loss: the modules give the losses' values by hand, pass their options through, print, and reject
// bad settings.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/helpers.h"
#include "nn/loss.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("loss") {
  TEST_CASE("MSELoss: mean, sum, none") {
    Variable input(tensor({1, 2}, {2})), target(tensor({0, 4}, {2}));
    CHECK(nn::MSELoss().forward(input, target).item() == doctest::Approx(2.5));  // (1 + 4) / 2
    CHECK(nn::MSELoss("sum").forward(input, target).item() == doctest::Approx(5.0));
    CHECK(nn::MSELoss("none").forward(input, target).data().tolist() == std::vector<double>{1, 4});
    Variable p(tensor({1, 2}, {2}, kFloat64), true);
    nn::MSELoss mse;
    const Variable target64(tensor({0.5, 3}, {2}, kFloat64));
    CHECK(module_gradcheck(mse, [&](const auto& in) { return mse.forward(in[0], target64); }, {p}) == "");
  }

  TEST_CASE("CrossEntropyLoss: value by hand, ignore_index, label_smoothing") {
    // logits [0, 0] -> ln 2 for either class; [ln 3, 0] with target 0 -> ln(4/3)
    Variable logits(tensor({0, 0, std::log(3.0), 0}, {2, 2}));
    Tensor target = tensor(std::vector<int64_t>{1, 0}, {2});
    CHECK(nn::CrossEntropyLoss().forward(logits, target).item() ==
          doctest::Approx((std::log(2.0) + std::log(4.0 / 3.0)) / 2));
    CHECK(nn::CrossEntropyLoss({.ignore_index = 0}).forward(logits, target).item() == doctest::Approx(std::log(2.0)));
    CHECK(nn::CrossEntropyLoss({.reduction = "sum"}).forward(logits, target).item() ==
          doctest::Approx(std::log(2.0) + std::log(4.0 / 3.0)));
    // Smoothing 0.5 on the uniform row: every class costs ln 2, so the loss stays ln 2.
    Variable uniform(tensor({0, 0}, {1, 2}));
    const Tensor one = tensor(std::vector<int64_t>{1}, {1});
    CHECK(nn::CrossEntropyLoss({.label_smoothing = 0.5}).forward(uniform, one).item() == doctest::Approx(std::log(2.0)));
  }

  TEST_CASE("NLLLoss and BCEWithLogitsLoss by hand") {
    Variable log_probs(tensor({-1, -2, -0.5, -3}, {2, 2}));
    Tensor target = tensor(std::vector<int64_t>{1, 0}, {2});
    CHECK(nn::NLLLoss().forward(log_probs, target).item() == doctest::Approx(1.25));  // (2 + 0.5) / 2
    CHECK(nn::NLLLoss({.ignore_index = 1}).forward(log_probs, target).item() == doctest::Approx(0.5));
    // logit 0: log(1 + e^0) = ln 2 for target 1 and for target 0; pos_weight 3 triples the positive term.
    Variable logit(tensor({0, 0}, {2}));
    Tensor t = tensor({1, 0}, {2});
    CHECK(nn::BCEWithLogitsLoss().forward(logit, t).item() == doctest::Approx(std::log(2.0)));
    nn::BCEWithLogitsLoss weighted("sum", tensor({3.0}, {1}));
    CHECK(weighted.forward(logit, t).item() == doctest::Approx(4 * std::log(2.0)));
    CHECK(weighted.state_dict().contains("pos_weight"));
    CHECK(nn::BCEWithLogitsLoss().state_dict().empty());
    weighted.to(kFloat64);  // the buffer follows the module
    CHECK(weighted.pos_weight().dtype() == kFloat64);
  }

  TEST_CASE("repr shows the settings that differ from PyTorch's defaults") {
    CHECK(nn::MSELoss().repr() == "MSELoss()\nparameters: 0 in 0 tensors");
    CHECK(nn::MSELoss("sum").extra_repr() == "reduction='sum'");
    CHECK(nn::CrossEntropyLoss().extra_repr() == "");
    CHECK(nn::CrossEntropyLoss({.ignore_index = 0, .label_smoothing = 0.1}).extra_repr() ==
          "ignore_index=0, label_smoothing=0.1");
    CHECK(nn::NLLLoss({.reduction = "none"}).extra_repr() == "reduction='none'");
  }

  TEST_CASE("errors") {
    CHECK_THROWS_WITH_AS(nn::MSELoss("avg"), doctest::Contains("MSELoss"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss({.reduction = "avg"}), doctest::Contains("CrossEntropyLoss"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss({.label_smoothing = 1.5}), doctest::Contains("label_smoothing"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::NLLLoss({.reduction = ""}), doctest::Contains("NLLLoss"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::BCEWithLogitsLoss("x"), doctest::Contains("BCEWithLogitsLoss"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::BCEWithLogitsLoss("mean", zeros({2}, kInt64)), doctest::Contains("pos_weight"),
                         glimpse::Error);
    // Shape errors come from the loss functions, naming themselves.
    CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss().forward(Variable(zeros({2, 3})), zeros({3}, kInt64)),
                         doctest::Contains("cross_entropy"), glimpse::Error);
  }
}
