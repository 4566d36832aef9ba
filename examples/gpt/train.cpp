// examples/gpt: the training run, nanoGPT's train.py loop: AdamW with decay on the matrices only, warm-up and cosine
// decay, gradient clipping, an evaluation and a checkpoint every --eval-interval steps, and a bit-identical --resume.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <ctime>

#include "autograd/grad_mode.h"
#include "autograd/profile.h"
#include "data/text_blocks.h"
#include "distributed/data_parallel.h"
#include "figures.h"
#include "optim/adam.h"
#include "run/profile.h"
#include "run/progress.h"
#include "run/result.h"
#include "tensor/storage.h"
#include "train.h"
#include "viz/report.h"
#include "viz/svg.h"

namespace gpt_example {

using namespace glimpse;

// The seed of one random stream: (run seed, step, purpose) mixed by splitmix64 rounds, so streams never overlap in
// practice and any step's draws can be reproduced without replaying the steps before it.
uint64_t stream_seed(uint64_t seed, int64_t step, uint64_t purpose) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ static_cast<uint64_t>(step)) ^ purpose);
}

namespace {

enum Purpose : uint64_t { kBatch = 1, kDropout = 2, kEvalTrain = 3, kEvalVal = 4 };

// nanoGPT's estimate_loss: the mean loss over eval_iters random batches, in eval mode, without a tape. Under mpirun
// each rank evaluates its shard of every batch and the ranks average (every rank gets the same number).
double estimate_loss(models::GPT& model, const data::TextBlocks& blocks, const Settings& s, Generator& gen,
                     const distributed::Shard& shard) {
  NoGradGuard no_grad;
  model.eval();
  double total = 0.0;
  for (int64_t k = 0; k < s.eval_iters; ++k) {
    auto [x, y] = blocks.sample(s.batch_size, gen);
    total += models::GPT::loss(model.forward(x.narrow(0, shard.start, shard.length)),
                               y.narrow(0, shard.start, shard.length)).item();
  }
  model.train();
  return distributed::mean_over_ranks(total / static_cast<double>(s.eval_iters));
}

}  // namespace

int train(run::Cli& cli, Settings& s) {
  const std::string ckpt_path = (cli.out / "ckpt.safetensors").string();
  const std::string read_path = s.ckpt.empty() ? ckpt_path : s.ckpt;  // what --resume reads
  const std::string copy_path = (cli.out / ("ckpt_" + s.save_dtype + ".safetensors")).string();  // --save-dtype
  const DType copy_dtype = s.save_dtype == "float16" ? kFloat16 : s.save_dtype == "bfloat16" ? kBFloat16 : kFloat32;
  std::string text = data::read_text_file(s.data);
  const data::CharVocab vocab = data::CharVocab::from_text(text);
  Checkpoint ckpt;
  if (s.resume) {
    ckpt = read_checkpoint(read_path);
    adopt_checkpoint_settings(cli, s, ckpt.metadata(), read_path);
    check(s.eval_only || !ckpt.metadata().contains("saved_dtype"), "--resume: {} is a model-only copy written by "
          "--save-dtype (no optimizer state); evaluate it (--eval-only), sample from it (--sample), or resume from "
          "the full checkpoint", read_path);
    check(ckpt.vocab().chars() == vocab.chars(), "--resume: the checkpoint {} was trained on a text with another "
          "vocabulary ({} characters) than --data {} ({} characters); resume with the same --data", read_path,
          ckpt.vocab().size(), s.data, vocab.size());
  }
  std::optional<InitFrom> init;  // --init-from: the model's shape and weights come from a PyTorch-written file
  if (!s.init_from.empty()) {
    init = read_init_from(s.init_from, s.n_head, vocab.size());
    adopt_checkpoint_settings(cli, s, init->settings, s.init_from, /*model_only=*/true);
  }
  const models::GPTConfig config = s.model(vocab.size());
  // The corpus as one byte per character (not int64: 1.1 MB instead of 8.9 for tiny shakespeare), and the text itself
  // let go: the vocabulary and the ids are all the run needs of it.
  auto [train_ids, val_ids] = data::split_train_val(vocab.encode_bytes(text), 0.9);
  std::string().swap(text);
  const data::TextBlocks train_blocks(std::move(train_ids), s.block_size), val_blocks(std::move(val_ids), s.block_size);

  models::GPT model(config);
  // nanoGPT's configure_optimizers: weight decay on every parameter with 2 or more dims (the matrices and the
  // embeddings), none on biases and LayerNorm weights (decaying a gain towards 0 has no regularising meaning).
  std::vector<Variable> decay, no_decay;
  for (const auto& p : model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  optim::AdamW opt({{.params = decay, .weight_decay = s.weight_decay}, {.params = no_decay, .weight_decay = 0.0}},
                   {.lr = s.learning_rate, .beta1 = s.beta1, .beta2 = s.beta2});
  std::unique_ptr<optim::LRScheduler> sched;
  if (s.decay_lr) {
    sched = std::make_unique<optim::CosineWithWarmup>(
        opt, optim::CosineWithWarmupOptions{.warmup_iters = s.warmup_iters, .decay_iters = s.lr_decay_iters,
                                            .min_lr_factor = s.min_lr / s.learning_rate});
  } else {
    sched = std::make_unique<optim::LambdaLR>(opt, [](int64_t) { return 1.0; });
  }
  History history;
  int64_t iter = 0;
  if (init) model.load_state_dict(init->state);  // strict: one Error lists every missing / unexpected / mis-shaped key
  if (s.resume) {
    model.load_state_dict(ckpt.section("model"));  // a float16 / bfloat16 copy converts to float32 here
    if (!s.eval_only) {
      opt.load_state_dict(ckpt.section("optim"));
      sched->load_state_dict(ckpt.section("sched"));
    }
    history = ckpt.history();
    iter = ckpt.iter();
    check(iter <= s.max_iters, "--resume: the checkpoint is at step {}, beyond --max-iters {}; pass a larger "
          "--max-iters to train on", iter, s.max_iters);
  }
  // Data-parallel (a world of one without mpirun): rank 0's parameters everywhere; each rank takes its rows of every
  // global batch, and the gradients are averaged before clipping, so clipping sees the whole batch's gradient.
  distributed::DataParallel dp(model.parameters());
  const distributed::Shard shard = distributed::shard(s.batch_size);
  const bool main_rank = distributed::is_main();
  if (s.eval_only) {  // nanoGPT's eval_only: one evaluation of the checkpoint, e.g. on many more batches
    check(s.resume, "--eval-only evaluates a checkpoint: pass --resume too (nanoGPT: --init_from=resume --eval_only)");
    Generator gt(stream_seed(cli.seed, iter, kEvalTrain)), gv(stream_seed(cli.seed, iter, kEvalVal));
    const double tl = estimate_loss(model, train_blocks, s, gt, shard);
    const double vl = estimate_loss(model, val_blocks, s, gv, shard);
    const auto saved = ckpt.metadata().find("saved_dtype");
    const std::string ckpt_dtype = saved == ckpt.metadata().end() ? "float32" : saved->second;
    fmt::print("step {}: train loss {:.4f}, val loss {:.4f} ({} batches of {} per split; {}, {})\n", iter, tl, vl,
               s.eval_iters, s.batch_size, read_path, ckpt_dtype);
    if (!s.save_dtype.empty() && main_rank) {
      save_model_copy(copy_path, model, copy_dtype, iter, pinned_settings(s, cli.seed), ckpt.vocab());
      fmt::print("wrote {} ({} bytes; the checkpoint read: {} bytes)\n", copy_path,
                 std::filesystem::file_size(copy_path), std::filesystem::file_size(read_path));
    }
    run::Result result;
    result.add("val_loss", vl).add("train_loss", tl).add("eval_iters", s.eval_iters).add("iters", iter)
        .add("ckpt_dtype", ckpt_dtype);
    result.print();
    return 0;
  }
  const auto settings = pinned_settings(s, cli.seed);
  fmt::print("GPT: {} layers, {} heads, n_embd {}, block {}, vocab {} ({:.2f}M parameters); {} train / {} val "
             "characters; batch {}, {} steps{}\n", s.n_layer, s.n_head, s.n_embd, s.block_size, vocab.size(),
             static_cast<double>(model.get_num_params()) / 1e6, train_blocks.num_tokens(), val_blocks.num_tokens(),
             s.batch_size,
             s.max_iters, s.resume ? fmt::format(", resumed at step {}", iter) : "");

  // log.txt: nanoGPT's console log (a line per --log-interval steps, one per evaluation); a resumed run appends.
  // Rank 0 alone writes it; the other ranks write their log and their progress bar to /dev/null.
  std::filesystem::create_directories(cli.out);
  std::FILE* log = main_rank ? std::fopen((cli.out / "log.txt").string().c_str(), s.resume ? "a" : "w")
                             : std::fopen("/dev/null", "w");
  check(log != nullptr, "cannot write {}/log.txt; check that --out is a writable folder", cli.out.string());
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> log_closer(log, &std::fclose);
  run::ProgressBar bar({.total = s.max_iters, .desc = "train", .stream = main_rank ? stderr : log});
  bar.update(iter);
  double train_seconds = 0.0, train_cpu_seconds = 0.0;  // CPU time too: on a loaded machine wall time includes waiting
  int64_t timed_steps = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  while (true) {
    const bool resumed_here = s.resume && iter == ckpt.iter();  // this step's evaluation is in the history already
    if ((iter % s.eval_interval == 0 || iter == s.max_iters) && !resumed_here) {
      Generator gt(stream_seed(cli.seed, iter, kEvalTrain)), gv(stream_seed(cli.seed, iter, kEvalVal));
      const double tl = estimate_loss(model, train_blocks, s, gt, shard);
      const double vl = estimate_loss(model, val_blocks, s, gv, shard);
      history.eval_iter.push_back(static_cast<double>(iter));
      history.eval_train.push_back(tl);
      history.eval_val.push_back(vl);
      bar.set_postfix("train", tl);
      bar.set_postfix("val", vl);
      const std::string line = fmt::format("step {}: train loss {:.4f}, val loss {:.4f}\n", iter, tl, vl);
      fmt::print("{}", line);
      fmt::print(log, "{}", line);
      std::fflush(stdout);
      std::fflush(log);
      if (main_rank) {
        save_checkpoint(ckpt_path, model, opt, *sched, history, iter, settings, vocab);
        save_model_file((cli.out / "model.safetensors").string(), model);  // the weights alone, for PyTorch
        if (!s.save_dtype.empty()) save_model_copy(copy_path, model, copy_dtype, iter, settings, vocab);
      }
    }
    if (iter >= s.max_iters) break;

    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    Generator gb(stream_seed(cli.seed, iter, kBatch));
    auto [x, y] = train_blocks.sample(s.batch_size, gb);  // the global batch, the same on every rank
    // Dropout draws from the default generator; each rank its own stream (rank 0's is the one-process stream).
    manual_seed(stream_seed(cli.seed, iter, kDropout + 16 * static_cast<uint64_t>(distributed::rank())));
    // --profile watches the run's second step (the first fills the allocator's cache), or its only one.
    std::optional<TapeProfiler> profiler;
    if (s.profile && distributed::is_main() &&
        timed_steps == std::min<int64_t>(1, s.max_iters - iter - 1 + timed_steps)) {
      profiler.emplace();
    }
    Variable loss = models::GPT::loss(model.forward(x.narrow(0, shard.start, shard.length)),
                                      y.narrow(0, shard.start, shard.length));
    loss.backward();
    if (profiler) run::show_profile(profiler->stop(), cli.out, fmt::format("one GPT training step (step {})", iter));
    dp.average_gradients();
    if (s.grad_clip > 0.0) {
      opt.clip_and_step(s.grad_clip);  // clip_grad_norm_ over the optimizer's parameters, then step(), in one pass
    } else {
      opt.step();
    }
    // As nanoGPT's train.py: "flush the gradients as soon as we can, no need for this memory anymore". Dropped here
    // rather than before the next backward, the 3.2 MB of gradients are not held through the next forward, whose end
    // (every activation the backward needs, plus the parameters and Adam's moments) is the run's peak (issue 14).
    opt.zero_grad();
    const double lr = opt.lr(0);  // the rate this step used
    sched->step();
    const double l = distributed::mean_over_ranks(loss.item());  // the whole batch's loss
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train_cpu_seconds += static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    ++timed_steps;
    history.step_loss.push_back(l);
    if (iter % s.log_interval == 0) {
      fmt::print(log, "iter {}: loss {:.4f}, lr {:.3e}, time {:.2f} ms\n", iter, l, lr,
                 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    ++iter;
    bar.set_postfix("loss", l);
    bar.set_postfix("lr", lr);
    bar.update();
  }
  bar.close();
  if (!main_rank) return 0;  // rank 0 holds the same model: it alone samples, plots and reports
  const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double ms_per_iter = timed_steps > 0 ? 1e3 * train_seconds / static_cast<double>(timed_steps) : 0.0;
  const double tokens_per_s =
      train_seconds > 0 ? static_cast<double>(timed_steps * s.batch_size * s.block_size) / train_seconds : 0.0;

  // Training is over: the buffers of its steps (activations and their gradients, 50 MB for the baby GPT) wait in the
  // allocator's cache for a step that will not come. Hand them back to the system before sampling and drawing, which
  // need other sizes; otherwise the end of the run stacks its figures and report on top of them and is the run's
  // peak (README, Performance: where the GPT's memory goes).
  empty_cache();

  // What the model learned: a sample (with the KV cache) and its attention over a familiar line.
  Generator gs(stream_seed(cli.seed, iter, 0));
  const std::vector<int64_t> start = encode_flag(vocab, s.prompt, "--prompt");
  const std::string sample = vocab.decode(model.generate(
      start, {.max_new_tokens = s.max_new_tokens, .temperature = s.temperature, .top_k = s.top_k, .generator = &gs}));
  fmt::print("\n--- sample ({} characters after {:?}, temperature {}, top_k {}) ---\n{}\n---\n", s.max_new_tokens,
             s.prompt, s.temperature, s.top_k, sample);
  const std::string loss_svg = loss_figure(history);
  viz::save(cli.out / "loss.svg", loss_svg);

  run::Result result;
  result.add("val_loss", history.eval_val.back())
      .add("ms_per_iter", ms_per_iter)
      .add("tokens_per_s", static_cast<int64_t>(tokens_per_s))
      .add("train_loss", history.eval_train.back())
      .add("first_val_loss", history.eval_val.front())
      .add("iters", iter)
      .add("cpu_ms_per_iter", timed_steps > 0 ? 1e3 * train_cpu_seconds / static_cast<double>(timed_steps) : 0.0)
      .add("params", model.get_num_params())
      .add("wall_s", wall_seconds)
      .add("ranks", distributed::world_size());
  viz::Report report("Character-level GPT");
  report.text(fmt::format("nanoGPT's GPT on {}: {} layers, {} heads, n_embd {}, context {}, batch {}; AdamW lr {} "
                          "(warm-up {}, cosine to {} at {}), weight decay {} on matrices, clip {}.", s.data, s.n_layer,
                          s.n_head, s.n_embd, s.block_size, s.batch_size, s.learning_rate, s.warmup_iters, s.min_lr,
                          s.lr_decay_iters, s.weight_decay, s.grad_clip))
      .command(cli.command())
      .metrics(result.items())
      .heading("Loss")
      .figure(loss_svg, "Training loss of every batch, and the evaluations (train and validation, "
                        + std::to_string(s.eval_iters) + " batches each).");
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < history.eval_iter.size(); ++i) {
    rows.push_back({fmt::format("{}", history.eval_iter[i]), fmt::format("{:.4f}", history.eval_train[i]),
                    fmt::format("{:.4f}", history.eval_val[i])});
  }
  report.table({"step", "train loss", "val loss"}, rows)
      .heading("A sample")
      .preformatted(sample)
      .heading("Attention, per layer and head")
      .text("Each row is a character (query) and shows how much it attends to each earlier character (key); grey is "
            "the masked future. Look for heads that attend to the previous character, to the start of the word, or "
            "to the line above.")
      // The 16 heatmaps (about 7 MB of SVG) live only in this statement: the report has copied them before it is
      // written out (which makes the page once more), so the run never holds three copies at once.
      .figure_grid(attention_figures(model, vocab, s.attention_text, "--attention-text", cli.out));
  report.save(cli.out / "report.html");
  fmt::print("{} steps in {:.1f} s wall ({:.2f} ms per step, {:.0f} tokens/s); wrote {}, {}, {}/attention/\n",
             timed_steps, wall_seconds, ms_per_iter, tokens_per_s, ckpt_path, (cli.out / "report.html").string(),
             cli.out.string());
  result.print();
  return 0;
}

}  // namespace gpt_example
