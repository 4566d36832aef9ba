// "Show, attend and tell" on real digits: canvases of three MNIST digits pasted at random positions, captioned by an
// LSTM that attends over a CNN's grid of features (models/show_attend_tell.h), emitting the digits left to right and
// then <eos>. Training canvases are made from the first 8,000 digits of MNIST's test set only, test canvases from the
// last 2,000 only (MNIST's test set used as a small corpus).
//
// Reports on 1,000 test canvases: sequence accuracy (all three digits right) and where it looks: the fraction of
// emitted digits whose attention peak (the centre of the grid cell of largest weight) lies inside the 28x28 box of a
// pasted digit with the label it names (and attention_on_truth: inside the box of the digit due at that step, whatever
// was emitted). Writes under --out: attention_over_time.svg (for a few test canvases, one
// overlay per emitted digit, Xu et al.'s figure), loss.svg, report.html. Last line:
//   result: sequence_accuracy=... attention_in_box=... digit_accuracy=... ...
//
//   ./build/examples/show_attend_tell [--data DIR] [--steps 1500] [--batch-size 32] [--lr 2e-3] [--out DIR]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "canvas.h"
#include "data/mnist.h"
#include "glimpse.h"
#include "models/show_attend_tell.h"
#include "run/cli.h"
#include "run/progress.h"
#include "run/result.h"
#include "viz/image_overlay.h"
#include "viz/plots.h"
#include "viz/report.h"
#include "viz/svg.h"

using namespace glimpse;
using namespace glimpse::example;

namespace {

constexpr int64_t kEos = 10, kBos = 11, kVocab = 12, kSteps = kDigitsPerCanvas + 1;

struct Options {
  std::string data;
  int64_t steps = 1500;
  int64_t batch_size = 32;
  double lr = 2e-3;
  int64_t test_canvases = 1000;
};

// inputs [B, 4] = <bos>, d1, d2, d3 and targets [B, 4] = d1, d2, d3, <eos>
std::pair<Tensor, Tensor> teacher_forcing(const Tensor& digits) {
  const int64_t b = digits.size(0);
  return {cat({full({b, 1}, kBos, kInt64), digits}, 1), cat({digits, full({b, 1}, kEos, kInt64)}, 1)};
}

std::string token_name(int64_t t) { return t == kEos ? "<eos>" : t == kBos ? "<bos>" : std::to_string(t); }

struct Scores {
  double sequence_accuracy = 0, attention_in_box = 0, digit_accuracy = 0;
  double attention_on_truth = 0;  // peak inside the box of the digit due at that step, whatever was emitted
};

// Greedy captions of the test canvases, scored.
Scores evaluate(const models::ShowAttendTell& net, const Canvases& test, models::GreedyOutput& shown, int64_t keep) {
  const int64_t n = test.images.size(0), grid_w = net.grid_width();
  int64_t sequences = 0, digits = 0, in_box = 0, on_truth = 0;
  for (int64_t b0 = 0; b0 < n; b0 += 250) {
    const int64_t len = std::min<int64_t>(250, n - b0);
    models::GreedyOutput g = net.greedy(Variable(test.images.narrow(0, b0, len)), kBos, kSteps);
    if (b0 == 0) shown = {g.tokens.narrow(0, 0, keep).contiguous(), g.weights.narrow(0, 0, keep).contiguous()};
    const Tensor peaks = argmax(g.weights, 2);  // [len, T]
    for (int64_t i = 0; i < len; ++i) {
      bool all = true;
      for (int64_t t = 0; t < kDigitsPerCanvas; ++t) {
        const int64_t tok = g.tokens.at<int64_t>({i, t}), truth = test.digits.at<int64_t>({b0 + i, t});
        all = all && tok == truth;
        digits += tok == truth;
        const int64_t cell = peaks.at<int64_t>({i, t});
        const int64_t cx = (cell % grid_w) * 8 + 4, cy = (cell / grid_w) * 8 + 4;  // the cell's centre pixel
        const Box& due = test.boxes[b0 + i][t];
        on_truth += cx >= due.x && cx < due.x + kDigit && cy >= due.y && cy < due.y + kDigit;
        for (const Box& box : test.boxes[b0 + i]) {
          if (box.label == tok && cx >= box.x && cx < box.x + kDigit && cy >= box.y && cy < box.y + kDigit) {
            ++in_box;
            break;
          }
        }
      }
      sequences += all;
    }
  }
  return {static_cast<double>(sequences) / n, static_cast<double>(in_box) / (n * kDigitsPerCanvas),
          static_cast<double>(digits) / (n * kDigitsPerCanvas),
          static_cast<double>(on_truth) / (n * kDigitsPerCanvas)};
}

// Xu et al.'s figure: per canvas, one overlay per emitted digit, the named digit's box in green.
std::string attention_figure(const models::ShowAttendTell& net, const Canvases& test, const models::GreedyOutput& shown) {
  std::vector<viz::OverlayPanel> panels;
  for (int64_t i = 0; i < shown.tokens.size(0); ++i) {
    for (int64_t t = 0; t < kDigitsPerCanvas; ++t) {
      const int64_t tok = shown.tokens.at<int64_t>({i, t});
      viz::OverlayPanel p{.title = fmt::format("canvas {}, step {}: \"{}\"", i + 1, t + 1, token_name(tok)),
                          .image = test.images.select(0, i).tolist(), .height = kCanvasHeight, .width = kCanvasWidth,
                          .heat = shown.weights.select(0, i).select(0, t).tolist(),
                          .heat_height = net.grid_height(), .heat_width = net.grid_width(), .mark_peak = true};
      for (const Box& box : test.boxes[i]) {
        p.boxes.push_back({.x = static_cast<double>(box.x), .y = static_cast<double>(box.y), .width = kDigit,
                           .height = kDigit, .color = box.label == tok ? viz::kGreen : "#999999"});
      }
      panels.push_back(p);
    }
  }
  return viz::image_overlay(panels, {.title = "Attention over time: where the decoder looks as it emits each digit",
                                     .columns = 3, .scale = 2.5,
                                     .caption = "green: box of a pasted digit with the emitted label; red cross: "
                                                "attention peak"});
}

int run_example(const run::Cli& cli, Options o) {
  const auto wall_start = std::chrono::steady_clock::now();
  const data::Mnist d = cli.smoke ? data::load_mnist(o.data, 512, 256) : data::load_mnist(o.data);
  if (cli.smoke) {
    o.steps = 30;
    o.test_canvases = 64;
  }
  std::mt19937_64 rng(cli.seed), test_rng(cli.seed + 1000003);
  const Canvases test = make_canvases(d.test_images, d.test_labels, o.test_canvases, test_rng);
  fmt::print("canvases {}x{} of 3 digits; training canvases from {} digits, {} test canvases from {} others\n",
             kCanvasHeight, kCanvasWidth, d.train_images.size(0), o.test_canvases, d.test_images.size(0));

  models::ShowAttendTell net({.image_height = kCanvasHeight, .image_width = kCanvasWidth, .vocab_size = kVocab});
  optim::AdamW opt(net.parameters(), {.lr = o.lr, .weight_decay = 1e-4});
  optim::CosineWithWarmup schedule(opt, {.warmup_iters = o.steps / 20, .decay_iters = o.steps});
  fmt::print("ShowAttendTell: {} parameters, grid {}x{}, {} steps of {} fresh canvases\n", net.num_parameters(),
             net.grid_height(), net.grid_width(), o.steps, o.batch_size);
  std::vector<double> curve;
  const int64_t window = std::max<int64_t>(1, o.steps / 50);
  double window_sum = 0, first_loss = 0, train_seconds = 0;
  net.train();
  run::ProgressBar bar({.total = o.steps, .desc = "training"});
  const std::clock_t cpu_start = std::clock();  // on a shared machine wall time mostly measures the waiting
  const auto start = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < o.steps; ++s) {
    const Canvases batch = make_canvases(d.train_images, d.train_labels, o.batch_size, rng);
    auto [inputs, targets] = teacher_forcing(batch.digits);
    models::CaptionOutput out = net.forward(Variable(batch.images), inputs);
    Variable loss = cross_entropy(out.logits.reshape({-1, kVocab}), targets.reshape({-1}));
    opt.zero_grad();
    loss.backward();
    opt.clip_and_step(5.0);  // clip_grad_norm_(net.parameters(), 5.0), then step(), in one pass
    schedule.step();
    const double l = loss.item<double>();
    if (s == 0) first_loss = l;
    window_sum += l;
    if ((s + 1) % window == 0) {
      curve.push_back(window_sum / static_cast<double>(window));
      window_sum = 0;
    }
    bar.set_postfix("loss", l);
    bar.update();
  }
  bar.close();
  train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_ms_per_step = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC /
                                 static_cast<double>(o.steps);
  const double last_loss = curve.empty() ? first_loss : curve.back();

  net.eval();
  models::GreedyOutput shown;
  const Scores sc = evaluate(net, test, shown, std::min<int64_t>(4, o.test_canvases));
  fmt::print("\n{} test canvases: sequence accuracy {:.4f}, digit accuracy {:.4f}, attention peak in the named "
             "digit's box {:.4f}, in the box of the digit due at that step {:.4f}\n",
             o.test_canvases, sc.sequence_accuracy, sc.digit_accuracy, sc.attention_in_box, sc.attention_on_truth);
  for (int64_t i = 0; i < shown.tokens.size(0); ++i) {
    std::string said;
    for (int64_t t = 0; t < kSteps; ++t) said += token_name(shown.tokens.at<int64_t>({i, t})) + " ";
    fmt::print("  canvas {}: truth {} {} {}, caption {}\n", i + 1, test.digits.at<int64_t>({i, 0}),
               test.digits.at<int64_t>({i, 1}), test.digits.at<int64_t>({i, 2}), said);
  }
  const std::string figure = attention_figure(net, test, shown);
  const std::string loss_svg =
      viz::line_plot({{.name = "training loss", .y = curve}},
                     {.title = fmt::format("Training cross-entropy (mean over {} steps)", window),
                      .x_label = fmt::format("x {} steps", window), .y_label = "cross-entropy", .log_y = true});
  viz::save(cli.out / "attention_over_time.svg", figure);
  viz::save(cli.out / "loss.svg", loss_svg);

  run::Result result;
  result.add("sequence_accuracy", sc.sequence_accuracy)
      .add("attention_in_box", sc.attention_in_box)
      .add("attention_on_truth", sc.attention_on_truth)
      .add("digit_accuracy", sc.digit_accuracy)
      .add("first_loss", first_loss)
      .add("last_loss", last_loss)
      .add("train_seconds", train_seconds)
      .add("ms_per_step", 1000.0 * train_seconds / static_cast<double>(o.steps))
      .add("cpu_ms_per_step", cpu_ms_per_step)
      .add("wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
  viz::Report report("Show, attend and tell on MNIST canvases");
  report.text("Canvases of three MNIST digits (its test set used as a small corpus: training canvases from the first "
              "8,000 digits, test canvases from the last 2,000). A CNN turns the canvas into a 6x16 grid of "
              "features; an LSTM scores every cell with its previous state (additive attention) and emits the "
              "digits left to right, then <eos>.")
      .command(cli.command())
      .metrics(result.items())
      .heading("Attention over time")
      .figure(figure, "One overlay per emitted digit; green boxes: pasted digits with the emitted label.")
      .heading("Training")
      .figure(loss_svg, "Training cross-entropy.");
  report.save(cli.out / "report.html");
  fmt::print("figures and report.html in {}\n", cli.out.string());
  result.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  run::Cli cli("show_attend_tell", "Captions canvases of three MNIST digits with an attention LSTM over a CNN grid.");
  Options o;
  o.data = data::default_mnist_dir(argv[0]).string();
  cli.add("--data", o.data, "folder of t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz");
  cli.add("--steps", o.steps, "training steps (each on fresh canvases)")->check(run::positive());
  cli.add("--batch-size", o.batch_size, "canvases per step")->check(run::positive());
  cli.add("--lr", o.lr, "peak learning rate")->check(run::positive());
  cli.add("--test-canvases", o.test_canvases, "test canvases to score")->check(run::positive());
  if (auto code = cli.parse(argc, argv)) return *code;
  return run::guarded(cli.name(), [&] { return run_example(cli, o); });
}
