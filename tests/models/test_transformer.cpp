// Tests for models/transformer: positions against the formula, the causal mask (a later target token never changes an
// earlier output), the padding mask (a padded batch gives each sentence's own output), cached == uncached decoding,
// beam 1 == greedy, the label-smoothed loss by hand, float64 gradchecks of a tiny model (post-norm and pre-norm).
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "data/batch.h"
#include "models/transformer.h"
#include "nn/helpers.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using models::Transformer;

namespace {

const std::vector<std::vector<int64_t>> kSources{{5, 6, 7, 8, 9}, {10, 11}, {7, 7, 12}};
const std::vector<std::vector<int64_t>> kTargets{{9, 8, 7}, {11, 10, 5, 6}, {12}};

models::TransformerOptions tiny(bool pre_norm = false) {
  return {.src_vocab = 13, .tgt_vocab = 14, .d_model = 8, .heads = 2, .layers = 2, .ff = 12, .dropout = 0.0,
          .pre_norm = pre_norm, .max_positions = 32};
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  return max(abs(a.to(kFloat64) - b.to(kFloat64))).item();
}

}  // namespace

TEST_SUITE("transformer") {
  TEST_CASE("sinusoidal positions follow sin(pos / 10000^(2i/d)) and cos") {
    const Tensor pe = models::sinusoidal_positions(50, 16);
    REQUIRE(pe.shape() == Shape{50, 16});
    for (int64_t pos : {0, 1, 7, 49}) {
      for (int64_t i = 0; i < 8; ++i) {
        const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * static_cast<double>(i) / 16.0);
        CHECK(pe.at<float>({pos, 2 * i}) == doctest::Approx(std::sin(angle)).epsilon(1e-6));
        CHECK(pe.at<float>({pos, 2 * i + 1}) == doctest::Approx(std::cos(angle)).epsilon(1e-6));
      }
    }
    CHECK_THROWS_WITH_AS(models::sinusoidal_positions(4, 7), doctest::Contains("even"), Error);
  }

  TEST_CASE("causal mask: changing a later target token never changes an earlier position's logits") {
    for (bool pre : {false, true}) {
      manual_seed(3);
      Transformer model(tiny(pre));
      model.eval();
      NoGradGuard no_grad;
      data::PaddedBatch src = data::pad_batch({kSources[0]});
      const auto enc = model.encode(src.ids, src.lengths);
      const Tensor a = model.decode(enc, tensor(std::vector<int64_t>{1, 9, 8, 7}, {1, 4})).data();
      const Tensor b = model.decode(enc, tensor(std::vector<int64_t>{1, 9, 4, 12}, {1, 4})).data();
      CHECK(max_abs_diff(a.narrow(1, 0, 2), b.narrow(1, 0, 2)) < 1e-6);
      CHECK(max_abs_diff(a.narrow(1, 2, 2), b.narrow(1, 2, 2)) > 1e-4);  // the later positions do see the change
    }
  }

  TEST_CASE("padding mask: a padded batch gives each sentence its own logits") {
    manual_seed(4);
    Transformer model(tiny());
    model.eval();
    NoGradGuard no_grad;
    data::PaddedBatch src = data::pad_batch(kSources);
    data::PaddedBatch tin = data::pad_batch(kTargets, {.prepend_bos = true});
    const Tensor batch = model.decode(model.encode(src.ids, src.lengths), tin.ids).data();
    for (size_t i = 0; i < kSources.size(); ++i) {
      data::PaddedBatch s1 = data::pad_batch({kSources[i]});
      data::PaddedBatch t1 = data::pad_batch({kTargets[i]}, {.prepend_bos = true});
      const Tensor alone = model.decode(model.encode(s1.ids, s1.lengths), t1.ids).data();
      const int64_t T = t1.ids.size(1);
      CHECK(max_abs_diff(batch.narrow(0, static_cast<int64_t>(i), 1).narrow(1, 0, T), alone) < 1e-5);
    }
  }

  TEST_CASE("cached decoding equals uncached decoding token for token, and beam 1 equals greedy") {
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      manual_seed(5);
      Transformer model(tiny(pre));
      model.eval();
      data::PaddedBatch src = data::pad_batch(kSources);
      const auto cached = model.greedy(src.ids, src.lengths, {.max_len = 9}, true);
      const auto uncached = model.greedy(src.ids, src.lengths, {.max_len = 9}, false);
      const auto beam1 = model.beam_search(src.ids, src.lengths, {.beam_size = 1, .max_len = 9});
      REQUIRE(cached.size() == 3);
      for (size_t i = 0; i < cached.size(); ++i) {
        CHECK(cached[i].tokens == uncached[i].tokens);
        CHECK(cached[i].finished == uncached[i].finished);
        CHECK(cached[i].log_prob == doctest::Approx(uncached[i].log_prob).epsilon(1e-4));
        REQUIRE(cached[i].weights.size() == uncached[i].weights.size());
        for (size_t t = 0; t < cached[i].weights.size(); ++t) {
          REQUIRE(cached[i].weights[t].size() == static_cast<size_t>(src.lengths[i]));
          for (size_t s = 0; s < cached[i].weights[t].size(); ++s) {
            CHECK(cached[i].weights[t][s] == doctest::Approx(uncached[i].weights[t][s]).epsilon(1e-4));
          }
        }
        CHECK(beam1[i].tokens == cached[i].tokens);
        CHECK(beam1[i].log_prob == doctest::Approx(cached[i].log_prob).epsilon(1e-5));
      }
      const auto beam4 = model.beam_search(src.ids, src.lengths, {.beam_size = 4, .max_len = 9, .length_penalty = 0});
      for (size_t i = 0; i < cached.size(); ++i) CHECK(beam4[i].log_prob >= cached[i].log_prob - 1e-5);
    }
  }

  TEST_CASE("label-smoothed loss equals the hand formula over the non-pad targets") {
    manual_seed(6);
    Transformer model(tiny());
    model.eval();
    data::PaddedBatch src = data::pad_batch(kSources);
    data::PaddedBatch tin = data::pad_batch(kTargets, {.prepend_bos = true});
    data::PaddedBatch tout = data::pad_batch(kTargets, {.append_eos = true});
    const double eps = 0.1;
    const double loss = model.loss(src.ids, src.lengths, tin.ids, tout.ids, eps).item();
    const Tensor logp = log_softmax(model.decode(model.encode(src.ids, src.lengths), tin.ids).data().to(kFloat64), 2);
    const int64_t V = 14;
    double sum = 0.0, n = 0.0;
    for (int64_t b = 0; b < 3; ++b) {
      for (int64_t t = 0; t < tout.ids.size(1); ++t) {
        const int64_t y = tout.ids.at<int64_t>({b, t});
        if (y == 0) continue;
        double uniform = 0.0;
        for (int64_t v = 0; v < V; ++v) uniform += logp.at<double>({b, t, v});
        // (1 - eps) on the target, eps spread over all V classes
        sum += -(1.0 - eps) * logp.at<double>({b, t, y}) - eps / static_cast<double>(V) * uniform;
        n += 1.0;
      }
    }
    CHECK(loss == doctest::Approx(sum / n).epsilon(1e-5));
  }

  TEST_CASE("tiny Transformer gradcheck in float64, post-norm and pre-norm, tied and untied") {
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      manual_seed(7);
      models::TransformerOptions o = tiny(pre);
      o.layers = 1;
      o.tie_embeddings = !pre;
      Transformer model(o);
      model.to(kFloat64);
      data::PaddedBatch src = data::pad_batch({kSources[0], kSources[1]});
      data::PaddedBatch tin = data::pad_batch({kTargets[0], kTargets[1]}, {.prepend_bos = true});
      data::PaddedBatch tout = data::pad_batch({kTargets[0], kTargets[1]}, {.append_eos = true});
      auto fn = [&](const std::vector<Variable>&) { return model.loss(src.ids, src.lengths, tin.ids, tout.ids, 0.1); };
      CHECK(module_gradcheck(model, fn, {}) == "");
    }
  }

  TEST_CASE("tied embeddings: the output weight is the target embedding, listed once") {
    Transformer tied(tiny());
    CHECK(tied.out.weight.data().shares_storage_with(tied.tgt_embedding.weight.data()));
    models::TransformerOptions o = tiny();
    o.tie_embeddings = false;
    Transformer untied(o);
    CHECK(untied.num_parameters() == tied.num_parameters() + 14 * 8);
  }

  TEST_CASE("bad options and inputs give clear errors") {
    models::TransformerOptions o = tiny();
    o.heads = 3;
    CHECK_THROWS_WITH_AS(Transformer{o}, doctest::Contains("multiple of"), Error);
    Transformer model(tiny());
    data::PaddedBatch src = data::pad_batch(kSources);
    CHECK_THROWS_WITH_AS(model.encode(src.ids, {1, 2}), doctest::Contains("lengths"), Error);
    CHECK_THROWS_WITH_AS(model.greedy(src.ids, src.lengths, {.max_len = 40}), doctest::Contains("max_positions"),
                         Error);
  }
}
