// Training (Adam, gradient clipping, teacher forcing, checkpoints every epoch) and evaluation on TEST (loss, greedy
// and beam decoding, BLEU, exact match, the score per source length).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>

#include "autograd/grad_mode.h"
#include "autograd/profile.h"
#include "data/batch.h"
#include "data/bleu.h"
#include "models/seq2seq_checkpoint.h"
#include "optim/adam.h"
#include "run/profile.h"
#include "run/progress.h"
#include "data_parallel.h"
#include "seq2seq_example.h"

namespace glimpse::seq2seq_example {
namespace {

double test_loss(const models::Seq2Seq& model, const Corpus& c) {
  return seq2seq_example::test_loss(c, [&](const Batch& b) {
    return model.loss(b.src.ids, b.src.lengths, b.tgt_in.ids, b.tgt_out.ids).item();
  });
}

// Decodes TEST in batches, in file order.
std::vector<models::Hypothesis> decode_test(const models::Seq2Seq& model, const Corpus& c, const Options& o,
                                            bool beam) {
  std::vector<models::Hypothesis> out;
  const size_t bs = beam ? 32 : 128;
  for (size_t b = 0; b < c.test.size(); b += bs) {
    Batch batch = make_batch(slice(c.test, b, b + bs));
    auto hyps = beam ? model.beam_search(batch.src.ids, batch.src.lengths,
                                         {.beam_size = o.beam, .max_len = o.max_len, .length_penalty = o.length_penalty})
                     : model.greedy(batch.src.ids, batch.src.lengths, {.max_len = o.max_len});
    for (auto& h : hyps) out.push_back(std::move(h));
  }
  return out;
}

struct Scores {
  double bleu = 0, exact = 0;
};

// BLEU and exact match of the hypotheses (words) of the TEST sentences `which`.
Scores score(const Corpus& c, const std::vector<data::Sentence>& hyps, const std::vector<size_t>& which) {
  std::vector<data::Sentence> h, r;
  int64_t exact = 0;
  for (size_t i : which) {
    h.push_back(hyps[i]);
    r.push_back(c.test[i].tgt_tokens);
    exact += h.back() == r.back();
  }
  return {data::corpus_bleu(h, r), static_cast<double>(exact) / static_cast<double>(std::max<size_t>(which.size(), 1))};
}

}  // namespace

RunStats train_and_evaluate(const Options& o, const run::Cli& cli, const Corpus& corpus, models::Seq2Seq& model,
                            const std::string& checkpoint_path, const NamedTensors* resume_state,
                            const std::map<std::string, std::string>& progress) {
  RunStats st;
  st.attention = model.options.attention;
  optim::Adam opt(model.parameters(), {.lr = o.lr});
  if (resume_state) opt.load_state_dict(*resume_state);
  const bool reverse = o.task == "reverse";
  const int64_t steps_per_epoch =
      reverse ? std::min<int64_t>(o.steps, 100) : (static_cast<int64_t>(corpus.train.size()) + o.batch_size - 1) / o.batch_size;
  const int64_t planned = reverse ? o.steps : o.epochs * steps_per_epoch;
  const int64_t total_steps = o.max_steps > 0 ? std::min(planned, o.max_steps) : planned;
  int64_t step = progress.count("step") ? std::stoll(progress.at("step")) : 0;
  Generator tf_gen(cli.seed + 17);
  DataParallelTraining dp(model.parameters(), {.seed = cli.seed, .losses = cli.out / ("losses_" + st.attention + ".tsv"),
                                               .label = st.attention, .first_step = step});  // data_parallel.h
  auto save = [&] {
    if (!distributed::is_main()) return;
    models::save_seq2seq(checkpoint_path, {.model = &model, .optimizer = &opt, .src_vocab = &corpus.src_vocab,
                                           .tgt_vocab = &corpus.tgt_vocab, .progress = {{"step", std::to_string(step)}}});
  };
  double loss_sum = 0;
  int64_t loss_count = 0, timed_steps = 0;
  // An "epoch" of the reverse task is 100 fresh batches; each epoch's batches (and TRAIN's shuffle) come from the
  // seed and the epoch alone, so a run resumed at an epoch boundary repeats the uninterrupted one.
  for (int64_t epoch = step / steps_per_epoch; step < total_steps; ++epoch) {
    EpochBatches batches(corpus, o.batch_size, cli.seed, epoch);
    const int64_t n = std::min(steps_per_epoch, total_steps - step);
    run::ProgressBar bar({.total = n, .desc = fmt::format("{} epoch {}", st.attention, epoch + 1)});
    model.train();
    double epoch_sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n; ++i) {
      Batch b = batches.batch(step % steps_per_epoch);
      dp.take_share(b.src, b.tgt_in, b.tgt_out);  // this rank's rows (all of them on one process)
      // --profile watches the run's second step (the first fills the allocator's cache), or its only one.
      std::optional<TapeProfiler> profiler;
      if (o.profile && loss_count == std::min<int64_t>(1, total_steps - step - 1 + loss_count)) profiler.emplace();
      Variable loss =
          dp.weighted(model.loss(b.src.ids, b.src.lengths, b.tgt_in.ids, b.tgt_out.ids, o.teacher_forcing, &tf_gen));
      opt.zero_grad();
      loss.backward();
      if (profiler) {
        run::show_profile(profiler->stop(), cli.out,
                          fmt::format("one seq2seq training step ({} attention, step {})", o.attention, step));
      }
      dp.average_gradients();
      opt.clip_and_step(o.clip);  // clip_grad_norm_(model.parameters(), o.clip), then step(), in one pass
      const double l = dp.batch_loss(loss);
      if (loss_count++ == 0) st.first_loss = l;
      st.last_loss = l;
      loss_sum += l;
      epoch_sum += l;
      ++step;
      ++timed_steps;
      bar.set_postfix("loss", epoch_sum / static_cast<double>(i + 1));
      bar.update();
    }
    st.train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.close();
    model.eval();
    st.train_loss.push_back(epoch_sum / static_cast<double>(n));
    st.test_loss.push_back(test_loss(model, corpus));
    st.loss_x.push_back(static_cast<double>(step));
    fmt::print("{} epoch {} (step {}): train loss {:.4f}, test loss {:.4f}\n", st.attention, epoch + 1, step,
               st.train_loss.back(), st.test_loss.back());
    std::fflush(stdout);
    if (!reverse) save();  // every epoch: a stopped run resumes at its last epoch boundary
  }
  if (reverse) save();
  dp.finish();
  if (!distributed::is_main()) return st;  // rank 0 alone evaluates and reports
  st.steps = timed_steps;
  st.ms_per_step = timed_steps ? 1000.0 * st.train_seconds / static_cast<double>(timed_steps) : 0.0;
  model.eval();
  st.val_loss = st.test_loss.empty() ? test_loss(model, corpus) : st.test_loss.back();

  st.greedy = decode_test(model, corpus, o, false);
  const std::vector<data::Sentence> greedy_words = hypothesis_words(corpus, st.greedy);
  std::tie(st.bleu_greedy, st.exact_greedy) = bleu_and_exact(corpus, greedy_words);
  std::tie(st.bleu_beam, st.exact_beam) =
      o.beam > 1 ? bleu_and_exact(corpus, hypothesis_words(corpus, decode_test(model, corpus, o, true)))
                 : std::pair{st.bleu_greedy, st.exact_greedy};
  st.by_length = scores_by_length(o, corpus, greedy_words);
  fmt::print("{}: test loss {:.4f}, BLEU greedy {:.2f}, beam {} {:.2f}, exact match greedy {:.4f}, beam {:.4f}, "
             "{:.1f} ms/step\n", st.attention, st.val_loss, st.bleu_greedy, o.beam, st.bleu_beam, st.exact_greedy,
             st.exact_beam, st.ms_per_step);
  std::fflush(stdout);  // --compare's runs take minutes each: show each summary as it comes, also into a file
  return st;
}

std::vector<data::Sentence> hypothesis_words(const Corpus& c, const std::vector<models::Hypothesis>& hyps) {
  std::vector<data::Sentence> out;
  for (const auto& h : hyps) out.push_back(words(c.tgt_vocab, h.tokens));
  return out;
}

std::vector<LengthScore> scores_by_length(const Options& o, const Corpus& c, const std::vector<data::Sentence>& hyps) {
  check(hyps.size() == c.test.size(), "seq2seq: {} hypotheses for {} TEST sentences; a test_hyp file must come from "
        "a run on the same --task, --data and --seed", hyps.size(), c.test.size());
  std::map<int64_t, std::vector<size_t>> buckets;
  for (size_t i = 0; i < c.test.size(); ++i) buckets[static_cast<int64_t>(c.test[i].src.size())].push_back(i);
  std::vector<LengthScore> out;
  for (const auto& [len, idx] : buckets) {
    if (idx.size() < (o.smoke ? 2u : 20u)) continue;
    const Scores s = score(c, hyps, idx);
    out.push_back({.length = len, .sentences = idx.size(), .score = o.task == "reverse" ? s.exact : s.bleu});
  }
  return out;
}

std::pair<double, double> bleu_and_exact(const Corpus& c, const std::vector<data::Sentence>& hyps) {
  std::vector<size_t> all(c.test.size());
  std::iota(all.begin(), all.end(), 0);
  const Scores s = score(c, hyps, all);
  return {s.bleu, s.exact};
}

}  // namespace glimpse::seq2seq_example
