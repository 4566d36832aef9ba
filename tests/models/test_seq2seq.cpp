// Tests for models/seq2seq: beam 1 equals greedy, a padded batch decodes as each sentence alone, the loss ignores
// <pad>, float64 gradcheck of one decoder step for every attention, resume equals uninterrupted training, bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "autograd/ops_shape.h"
#include "data/batch.h"
#include "models/seq2seq.h"
#include "models/seq2seq_checkpoint.h"
#include "nn/helpers.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "tensor/safetensors.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using models::Seq2Seq;

namespace {

const std::vector<std::vector<int64_t>> kSources{{5, 6, 7, 8, 9}, {10, 11}, {7, 7, 12}};
const std::vector<std::vector<int64_t>> kTargets{{9, 8, 7}, {11, 10, 5, 6}, {12}};

models::Seq2SeqOptions small(const std::string& attention) {
  return {.src_vocab = 13, .tgt_vocab = 14, .emb = 6, .hidden = 5, .attention = attention, .local_window = 1};
}

// One training step on kSources -> kTargets; returns the loss.
double train_step(Seq2Seq& model, optim::Adam& opt) {
  data::PaddedBatch src = data::pad_batch(kSources);
  data::PaddedBatch tin = data::pad_batch(kTargets, {.prepend_bos = true});
  data::PaddedBatch tout = data::pad_batch(kTargets, {.append_eos = true});
  Variable loss = model.loss(src.ids, src.lengths, tin.ids, tout.ids);
  opt.zero_grad();
  loss.backward();
  optim::clip_grad_norm_(model.parameters(), 1.0);
  opt.step();
  return loss.item();
}

}  // namespace

TEST_SUITE("seq2seq") {
  TEST_CASE("beam search with beam 1 equals greedy, for every attention") {
    for (const std::string& a : models::attention_names()) {
      CAPTURE(a);
      manual_seed(1);
      Seq2Seq model(small(a));
      data::PaddedBatch src = data::pad_batch(kSources);
      auto g = model.greedy(src.ids, src.lengths, {.max_len = 7});
      auto b = model.beam_search(src.ids, src.lengths, {.beam_size = 1, .max_len = 7});
      REQUIRE(g.size() == 3);
      for (size_t i = 0; i < g.size(); ++i) {
        CHECK(g[i].tokens == b[i].tokens);
        CHECK(g[i].finished == b[i].finished);
        CHECK(g[i].weights == b[i].weights);
        CHECK(g[i].log_prob == doctest::Approx(b[i].log_prob).epsilon(1e-5));
        CHECK(g[i].weights.size() == g[i].tokens.size() + (g[i].finished ? 1 : 0));
        if (a != "none") CHECK(g[i].weights[0].size() == static_cast<size_t>(src.lengths[i]));
      }
      // The comparison above is not vacuous: the untrained model does emit words.
      CHECK(g[0].tokens.size() + g[1].tokens.size() + g[2].tokens.size() > 0);
      CHECK(model.beam_search(src.ids, src.lengths, {.beam_size = 4, .max_len = 7}).size() == 3);
    }
  }

  TEST_CASE("masking: a padded batch decodes exactly as each sentence alone") {
    for (const std::string a : {"additive", "local", "none"}) {
      CAPTURE(a);
      manual_seed(2);
      models::Seq2SeqOptions o = small(a);
      o.bidirectional = true;
      o.layers = 2;
      Seq2Seq model(o);
      data::PaddedBatch src = data::pad_batch(kSources);
      auto batch = model.beam_search(src.ids, src.lengths, {.beam_size = 3, .max_len = 6});
      for (size_t i = 0; i < kSources.size(); ++i) {
        data::PaddedBatch one = data::pad_batch({kSources[i]});
        auto alone = model.beam_search(one.ids, one.lengths, {.beam_size = 3, .max_len = 6});
        CHECK(alone[0].tokens == batch[i].tokens);
        REQUIRE(alone[0].weights.size() == batch[i].weights.size());
        for (size_t k = 0; k < alone[0].weights.size(); ++k) {
          for (size_t j = 0; j < alone[0].weights[k].size(); ++j) {
            CHECK(alone[0].weights[k][j] == doctest::Approx(batch[i].weights[k][j]).epsilon(1e-5));
          }
        }
      }
    }
  }

  TEST_CASE("the loss ignores <pad> targets: extra padding columns change nothing") {
    manual_seed(3);
    Seq2Seq model(small("general"));
    data::PaddedBatch src = data::pad_batch(kSources);
    data::PaddedBatch tin = data::pad_batch(kTargets, {.prepend_bos = true});
    data::PaddedBatch tout = data::pad_batch(kTargets, {.append_eos = true});
    const double l1 = model.loss(src.ids, src.lengths, tin.ids, tout.ids).item();
    Tensor tin2 = zeros({3, tin.ids.size(1) + 3}, kInt64), tout2 = zeros({3, tin.ids.size(1) + 3}, kInt64);
    tin2.narrow(1, 0, tin.ids.size(1)).copy_(tin.ids);
    tout2.narrow(1, 0, tin.ids.size(1)).copy_(tout.ids);
    CHECK(model.loss(src.ids, src.lengths, tin2, tout2).item() == doctest::Approx(l1).epsilon(1e-6));
    // At initialisation the loss is near log(V): the model knows nothing yet.
    CHECK(std::abs(l1 - std::log(14.0)) < 1.0);
  }

  TEST_CASE("gradcheck of one decoder step in float64, for every attention") {
    for (const std::string& a : models::attention_names()) {
      CAPTURE(a);
      manual_seed(4);
      models::Seq2SeqOptions o = small(a);
      o.bidirectional = a == "additive";  // the bidirectional state bridge too, once
      Seq2Seq model(o);
      model.to(kFloat64);
      data::PaddedBatch src = data::pad_batch(kSources);
      const int64_t Hd = model.decoder_hidden;
      Variable gates(randn({3, 4 * Hd}, kFloat64), true), h(randn({3, Hd}, kFloat64), true),
          c(randn({3, Hd}, kFloat64), true), ctx(randn({3, Hd}, kFloat64), true);
      auto fn = [&](const std::vector<Variable>& in) {
        const Seq2Seq::Encoded enc = model.encode(src.ids, src.lengths);
        Seq2Seq::DecoderState st{{in[1], in[2]}, a == "none" ? Variable() : in[3]};
        Seq2Seq::StepOutput so = model.decode_step(in[0], st, enc, 1);
        std::vector<Variable> parts{so.logits.reshape({-1}), so.state.lstm.second.reshape({-1})};
        if (so.weights.defined()) parts.push_back(so.weights.reshape({-1}));
        return cat(parts);
      };
      std::vector<Variable> inputs{gates, h, c};
      if (a != "none") inputs.push_back(ctx);
      CHECK(module_gradcheck(model, fn, inputs) == "");
    }
  }

  TEST_CASE("resume equals uninterrupted training (model, optimizer, vocabularies, options, progress)") {
    manual_seed(5);
    Seq2Seq a(small("additive"));
    Seq2Seq b(small("additive"));
    b.load_state_dict(a.state_dict());
    optim::Adam opt_a(a.parameters(), {.lr = 1e-2});
    optim::Adam opt_b(b.parameters(), {.lr = 1e-2});
    for (int i = 0; i < 4; ++i) train_step(a, opt_a);
    for (int i = 0; i < 2; ++i) train_step(b, opt_b);
    const data::Vocab src_vocab = data::Vocab::from_tokens(
        {"<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d", "e", "f", "g", "h", "i"});
    const data::Vocab tgt_vocab = data::Vocab::from_tokens(
        {"<pad>", "<bos>", "<eos>", "<unk>", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J"});
    const std::string path = temp_path("resume.safetensors");
    models::save_seq2seq(path, {.model = &b, .optimizer = &opt_b, .src_vocab = &src_vocab, .tgt_vocab = &tgt_vocab,
                                .progress = {{"step", "2"}}});
    models::LoadedSeq2Seq ck = models::load_seq2seq(path);
    CHECK(ck.progress.at("step") == "2");
    CHECK(ck.tgt_vocab.tokens() == tgt_vocab.tokens());
    CHECK(ck.model->options.attention == "additive");
    optim::Adam opt_c(ck.model->parameters(), {.lr = 1e-2});
    opt_c.load_state_dict(ck.optimizer_state);
    for (int i = 0; i < 2; ++i) train_step(*ck.model, opt_c);
    auto pa = a.named_parameters(), pc = ck.model->named_parameters();
    REQUIRE(pa.size() == pc.size());
    for (size_t i = 0; i < pa.size(); ++i) {
      CAPTURE(pa[i].first);
      CHECK(pa[i].second.data().tolist() == pc[i].second.data().tolist());  // bit for bit
    }
    std::remove(path.c_str());
  }

  TEST_CASE("bad input: empty sentence, unknown attention, inconsistent checkpoint, not a checkpoint") {
    manual_seed(6);
    Seq2Seq model(small("dot"));
    data::PaddedBatch src = data::pad_batch({{5, 6}, {}});
    CHECK_THROWS_WITH_AS(model.greedy(src.ids, src.lengths), doctest::Contains("an empty sentence cannot be translated"),
                         Error);
    CHECK_THROWS_WITH_AS(model.encode(zeros({2, 3}), {3, 3}), doctest::Contains("int64 token ids"), Error);
    CHECK_THROWS_WITH_AS(Seq2Seq(small("bahdanau")), doctest::Contains("unknown attention 'bahdanau'"), Error);
    models::Seq2SeqOptions tiny = small("dot");
    tiny.src_vocab = 3;
    CHECK_THROWS_WITH_AS(Seq2Seq{tiny}, doctest::Contains("4 specials"), Error);

    // A checkpoint whose vocabulary does not match the model's size.
    const data::Vocab v = data::Vocab::from_tokens({"<pad>", "<bos>", "<eos>", "<unk>", "x"});
    CHECK_THROWS_WITH_AS(models::save_seq2seq(temp_path("bad.safetensors"),
                                              {.model = &model, .src_vocab = &v, .tgt_vocab = &v}),
                         doctest::Contains("do not fit the model"), Error);
    const std::string path = temp_path("tampered.safetensors");
    const data::Vocab src13 = data::Vocab::from_tokens(
        {"<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d", "e", "f", "g", "h", "i"});
    const data::Vocab tgt14 = data::Vocab::from_tokens(
        {"<pad>", "<bos>", "<eos>", "<unk>", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J"});
    models::save_seq2seq(path, {.model = &model, .src_vocab = &src13, .tgt_vocab = &tgt14});
    NamedTensors file = load_safetensors(path);
    file.metadata["seq2seq.tgt_vocab"] = R"(["<pad>", "<bos>", "<eos>", "<unk>", "A"])";
    save_safetensors(file, path);
    CHECK_THROWS_WITH_AS(models::load_seq2seq(path), doctest::Contains("hold 13 and 5 tokens"), Error);
    save_safetensors({.tensors = {{"w", zeros({2})}}}, path);
    CHECK_THROWS_WITH_AS(models::load_seq2seq(path), doctest::Contains("not a seq2seq checkpoint"), Error);
    std::remove(path.c_str());

    // A word not in the vocabulary encodes as <unk> and still translates.
    CHECK(src13.encode({"a", "zzz"}) == std::vector<int64_t>{4, data::Vocab::kUnk});
    data::PaddedBatch unk = data::pad_batch({src13.encode({"a", "zzz"})});
    CHECK(model.greedy(unk.ids, unk.lengths).size() == 1);
  }
}
