// Tests for models/transformer_checkpoint: resuming (weights, Adam, the warm-up schedule) continues training bit for
// bit as if never stopped (with dropout on, reseeded as the example does), a checkpoint alone translates, and a
// checkpoint that does not fit gives a clear error and leaves the model, the optimizer and the schedule unchanged.
#include <doctest/doctest.h>

#include <cstdio>

#include "data/batch.h"
#include "models/transformer_checkpoint.h"
#include "nn/helpers.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/sgd.h"
#include "tensor/safetensors.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using models::Transformer;

namespace {

const std::vector<std::vector<int64_t>> kSources{{5, 6, 7, 8, 9}, {10, 11}, {7, 7, 12}};
const std::vector<std::vector<int64_t>> kTargets{{9, 8, 7}, {11, 10, 5, 6}, {12}};

models::TransformerOptions small() {
  return {.src_vocab = 13, .tgt_vocab = 14, .d_model = 8, .heads = 2, .layers = 2, .ff = 12, .dropout = 0.1,
          .max_positions = 32};
}

data::Vocab vocab(int64_t words, const char* first) {
  std::vector<std::string> t{"<pad>", "<bos>", "<eos>", "<unk>"};
  for (int64_t i = 0; i < words; ++i) t.push_back(std::string(first) + std::to_string(i));
  return data::Vocab::from_tokens(t);
}

// One step of the example's loop: dropout's generator is reseeded from the step, as the example does per epoch.
void train_step(Transformer& model, optim::Adam& opt, optim::NoamLR& sched, uint64_t step) {
  manual_seed(1000 + step);
  model.train();
  data::PaddedBatch src = data::pad_batch(kSources);
  data::PaddedBatch tin = data::pad_batch(kTargets, {.prepend_bos = true});
  data::PaddedBatch tout = data::pad_batch(kTargets, {.append_eos = true});
  Variable loss = model.loss(src.ids, src.lengths, tin.ids, tout.ids, 0.1);
  opt.zero_grad();
  loss.backward();
  optim::clip_grad_norm_(model.parameters(), 1.0);
  opt.step();
  sched.step();
}

std::vector<std::vector<double>> values(const Transformer& m) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(p.data().to(kFloat64).contiguous().tolist());
  return out;
}

}  // namespace

TEST_SUITE("transformer checkpoint") {
  TEST_CASE("resume equals uninterrupted training (weights, Adam, warm-up schedule, vocabularies, progress)") {
    const data::Vocab src_vocab = vocab(9, "s"), tgt_vocab = vocab(10, "t");
    manual_seed(5);
    Transformer a(small());
    Transformer b(small());
    b.load_state_dict(a.state_dict());
    optim::Adam opt_a(a.parameters(), {.lr = 2.0, .beta1 = 0.9, .beta2 = 0.98, .eps = 1e-9});
    optim::Adam opt_b(b.parameters(), {.lr = 2.0, .beta1 = 0.9, .beta2 = 0.98, .eps = 1e-9});
    optim::NoamLR sched_a(opt_a, {.d_model = 8, .warmup = 3}), sched_b(opt_b, {.d_model = 8, .warmup = 3});
    for (uint64_t i = 0; i < 5; ++i) train_step(a, opt_a, sched_a, i);
    for (uint64_t i = 0; i < 2; ++i) train_step(b, opt_b, sched_b, i);
    const std::string path = temp_path("transformer_resume.safetensors");
    models::save_transformer(path, {.model = &b, .optimizer = &opt_b, .scheduler = &sched_b, .src_vocab = &src_vocab,
                                    .tgt_vocab = &tgt_vocab, .progress = {{"step", "2"}}});

    // Into fresh objects built with the same options (the example's --resume) ...
    manual_seed(99);  // other initial weights: everything must come from the file
    Transformer c(small());
    optim::Adam opt_c(c.parameters(), {.lr = 2.0, .beta1 = 0.9, .beta2 = 0.98, .eps = 1e-9});
    optim::NoamLR sched_c(opt_c, {.d_model = 8, .warmup = 3});
    const auto progress = models::restore_transformer(
        path, {.model = &c, .optimizer = &opt_c, .scheduler = &sched_c, .src_vocab = &src_vocab,
               .tgt_vocab = &tgt_vocab});
    CHECK(progress.at("step") == "2");
    CHECK(sched_c.last_epoch() == 2);
    CHECK(opt_c.lr(0) == sched_b.get_last_lr());
    for (uint64_t i = 2; i < 5; ++i) train_step(c, opt_c, sched_c, i);
    CHECK(values(c) == values(a));  // bit for bit

    // ... and from the file alone.
    models::LoadedTransformer ck = models::load_transformer(path);
    CHECK(ck.src_vocab.tokens() == src_vocab.tokens());
    CHECK(ck.tgt_vocab.tokens() == tgt_vocab.tokens());
    CHECK(ck.model->options.dropout == 0.1);
    CHECK(ck.progress.at("step") == "2");
    optim::Adam opt_d(ck.model->parameters(), {.lr = 2.0, .beta1 = 0.9, .beta2 = 0.98, .eps = 1e-9});
    optim::NoamLR sched_d(opt_d, {.d_model = 8, .warmup = 3});
    opt_d.load_state_dict(ck.optimizer_state);
    sched_d.load_state_dict(ck.scheduler_state);
    for (uint64_t i = 2; i < 5; ++i) train_step(*ck.model, opt_d, sched_d, i);
    CHECK(values(*ck.model) == values(a));
    std::remove(path.c_str());
  }

  TEST_CASE("a checkpoint alone translates as the model it was saved from") {
    const data::Vocab src_vocab = vocab(9, "s"), tgt_vocab = vocab(10, "t");
    manual_seed(6);
    Transformer model(small());
    model.eval();
    const std::string path = temp_path("transformer_translate.safetensors");
    models::save_transformer(path, {.model = &model, .src_vocab = &src_vocab, .tgt_vocab = &tgt_vocab});
    models::LoadedTransformer ck = models::load_transformer(path);
    ck.model->eval();
    CHECK(ck.optimizer_state.empty());
    data::PaddedBatch src = data::pad_batch({src_vocab.encode({"s1", "s4", "zebra"})});
    const auto want = model.beam_search(src.ids, src.lengths, {.beam_size = 3, .max_len = 8});
    const auto got = ck.model->beam_search(src.ids, src.lengths, {.beam_size = 3, .max_len = 8});
    CHECK(got[0].tokens == want[0].tokens);
    CHECK(got[0].log_prob == want[0].log_prob);
    CHECK(ck.model->greedy(src.ids, src.lengths, {.max_len = 8})[0].tokens ==
          model.greedy(src.ids, src.lengths, {.max_len = 8})[0].tokens);
    CHECK(models::is_transformer_checkpoint(path));
    std::remove(path.c_str());
  }

  TEST_CASE("a mismatched checkpoint gives a clear error and leaves the model, optimizer and schedule unchanged") {
    const data::Vocab src_vocab = vocab(9, "s"), tgt_vocab = vocab(10, "t");
    manual_seed(7);
    models::TransformerOptions wide = small();
    wide.d_model = 16;
    Transformer other(wide);
    const std::string path = temp_path("transformer_mismatch.safetensors");
    optim::Adam opt_other(other.parameters(), {.lr = 1.0});
    models::save_transformer(path, {.model = &other, .optimizer = &opt_other, .src_vocab = &src_vocab,
                                    .tgt_vocab = &tgt_vocab, .progress = {{"step", "7"}}});

    Transformer model(small());
    optim::Adam opt(model.parameters(), {.lr = 2.0});
    optim::NoamLR sched(opt, {.d_model = 8, .warmup = 3});
    train_step(model, opt, sched, 0);
    const auto before = values(model);
    const double lr = opt.lr(0);
    CHECK_THROWS_WITH_AS(models::restore_transformer(path, {.model = &model, .optimizer = &opt, .scheduler = &sched}),
                         doctest::Contains("d_model = 16 in the checkpoint, 8 in the model"), Error);
    CHECK(values(model) == before);
    CHECK(opt.lr(0) == lr);
    CHECK(sched.last_epoch() == 1);

    // Same options, other vocabularies (another corpus): refused by token, nothing loaded.
    Transformer twin(small());
    models::save_transformer(path, {.model = &twin, .src_vocab = &src_vocab, .tgt_vocab = &tgt_vocab});
    const data::Vocab renamed = vocab(10, "u");
    CHECK_THROWS_WITH_AS(models::restore_transformer(path, {.model = &model, .tgt_vocab = &renamed}),
                         doctest::Contains("the target vocabulary"), Error);
    // No optimizer state saved, one asked for: refused before the weights are touched.
    CHECK_THROWS_WITH_AS(models::restore_transformer(path, {.model = &model, .optimizer = &opt}),
                         doctest::Contains("no optimizer state"), Error);
    CHECK(values(model) == before);

    // An optimizer state that does not fit (SGD's file into Adam) puts the weights back.
    optim::SGD sgd(twin.parameters(), {.lr = 0.1, .momentum = 0.9});
    models::save_transformer(path, {.model = &twin, .optimizer = &sgd, .src_vocab = &src_vocab,
                                    .tgt_vocab = &tgt_vocab});
    CHECK_THROWS_WITH_AS(models::restore_transformer(path, {.model = &model, .optimizer = &opt}),
                         doctest::Contains("load_state_dict refused"), Error);
    CHECK(values(model) == before);

    // Not a Transformer checkpoint; inconsistent vocabularies in the file.
    save_safetensors({.tensors = {{"w", zeros({2})}}}, path);
    CHECK_FALSE(models::is_transformer_checkpoint(path));
    CHECK_THROWS_WITH_AS(models::load_transformer(path), doctest::Contains("not a Transformer checkpoint"), Error);
    models::save_transformer(path, {.model = &twin, .src_vocab = &src_vocab, .tgt_vocab = &tgt_vocab});
    NamedTensors file = load_safetensors(path);
    file.metadata["transformer.tgt_vocab"] = R"(["<pad>", "<bos>", "<eos>", "<unk>", "A"])";
    save_safetensors(file, path);
    CHECK_THROWS_WITH_AS(models::load_transformer(path), doctest::Contains("hold 13 and 5 tokens"), Error);
    const data::Vocab small_vocab = vocab(1, "x");
    CHECK_THROWS_WITH_AS(models::save_transformer(path, {.model = &twin, .src_vocab = &small_vocab,
                                                         .tgt_vocab = &small_vocab}),
                         doctest::Contains("do not fit the model"), Error);
    std::remove(path.c_str());
  }
}
