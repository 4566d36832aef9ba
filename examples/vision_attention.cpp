// Vision attention on real digits: a small CNN, the same CNN with squeeze-and-excitation, with spatial attention and
// with a non-local block, and a small Vision Transformer, trained on the same 8,000 MNIST digits and tested on 2,000
// others (MNIST's test set used as a small corpus: the first 8,000 train, the last 2,000 test; the test digits are
// never used for training or model choice: the accuracy reported is the last epoch's).
//
// Prints one table (test accuracy, parameters, ms per step, wall time) and writes under --out: loss.svg (training
// loss of every model), spatial_attention.svg (the spatial attention map over a dozen test digits),
// vit_attention.svg (the ViT class token's attention over the 7x7 patches), report.html. Last line:
//   result: cnn_accuracy=... se_accuracy=... spatial_accuracy=... nonlocal_accuracy=... vit_accuracy=...
//           best_accuracy=... ...
//
//   ./build/examples/vision_attention [--data DIR] [--epochs 3] [--vit-epochs 6] [--batch-size 64] [--out DIR]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/mnist.h"
#include "glimpse.h"
#include "models/mnist_cnn.h"
#include "nn/vision_transformer.h"
#include "run/cli.h"
#include "run/progress.h"
#include "run/result.h"
#include "viz/image_overlay.h"
#include "viz/plots.h"
#include "viz/report.h"
#include "viz/svg.h"

using namespace glimpse;

namespace {

struct Options {
  std::string data;
  int epochs = 3;
  int vit_epochs = 6;
  int64_t batch_size = 64;
  double lr = 2e-3;
  double vit_lr = 1e-3;
  bool cnn_only = false;  // train the plain CNN alone (a benchmark's short run, bench/): no attention figures
};

// What training and testing one model gave.
struct Trained {
  std::string name, key;
  double accuracy = 0, ms_per_step = 0, cpu_ms_per_step = 0, wall_seconds = 0;
  int64_t parameters = 0;
  std::vector<double> curve;  // mean training loss over windows of steps
  double first_loss = 0, last_loss = 0;
};

using Forward = std::function<Variable(const Variable&)>;  // images [B, 1, 28, 28] -> logits [B, 10]

// Trains `model` with Adam on the training digits (shuffled each epoch), then measures test accuracy in eval mode.
Trained train_and_test(const std::string& name, const std::string& key, nn::Module& model, const Forward& forward,
                       const data::Mnist& d, int epochs, int64_t batch_size, double lr) {
  const auto wall_start = std::chrono::steady_clock::now();
  Trained t;
  t.name = name;
  t.key = key;
  t.parameters = model.num_parameters();
  optim::AdamW opt(model.parameters(), {.lr = lr, .weight_decay = 1e-4});
  const int64_t n = d.train_images.size(0), steps = (n + batch_size - 1) / batch_size;
  // A short warmup, then cosine decay to a tenth: a few epochs of Adam at a fixed rate end noisy.
  optim::CosineWithWarmup schedule(opt, {.warmup_iters = steps / 4, .decay_iters = epochs * steps});
  const int64_t window = std::max<int64_t>(1, steps / 10);
  double train_seconds = 0, window_sum = 0;
  int64_t step_count = 0;
  model.train();
  // CPU time as well as wall time: on a machine shared with other jobs, wall time mostly measures the waiting.
  const std::clock_t cpu_start = std::clock();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    run::ProgressBar bar({.total = steps, .desc = fmt::format("{} {}/{}", key, epoch + 1, epochs)});
    const Tensor order = randperm(n);
    const auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < n; b += batch_size) {
      const Tensor idx = order.narrow(0, b, std::min(batch_size, n - b));
      Variable loss = cross_entropy(forward(Variable(index_select(d.train_images, 0, idx))),
                                    index_select(d.train_labels, 0, idx));
      opt.zero_grad();
      loss.backward();
      opt.step();
      schedule.step();
      const double l = loss.item<double>();
      if (step_count == 0) t.first_loss = l;
      window_sum += l;
      if (++step_count % window == 0) {
        t.curve.push_back(window_sum / static_cast<double>(window));
        window_sum = 0;
      }
      bar.set_postfix("loss", l);
      bar.update();
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.close();
  }
  t.last_loss = t.curve.empty() ? t.first_loss : t.curve.back();
  t.ms_per_step = 1000.0 * train_seconds / static_cast<double>(std::max<int64_t>(step_count, 1));
  t.cpu_ms_per_step = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC /
                      static_cast<double>(std::max<int64_t>(step_count, 1));

  model.eval();
  NoGradGuard no_grad;
  int64_t correct = 0;
  const int64_t m = d.test_images.size(0);
  for (int64_t b = 0; b < m; b += 500) {
    const int64_t len = std::min<int64_t>(500, m - b);
    const Tensor pred = argmax(forward(Variable(d.test_images.narrow(0, b, len))).data(), 1);
    correct += static_cast<int64_t>(sum(eq(pred, d.test_labels.narrow(0, b, len))).item());
  }
  t.accuracy = static_cast<double>(correct) / static_cast<double>(m);
  t.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  fmt::print("{:<28} test accuracy {:.4f}  ({} parameters, {:.1f} ms/step, {:.1f} CPU ms/step, {:.1f} s)\n", name,
             t.accuracy, t.parameters, t.ms_per_step, t.cpu_ms_per_step, t.wall_seconds);
  return t;
}

// A dozen test digits with a heat map over each: `heat` is [12, gh, gw].
std::string overlay_figure(const data::Mnist& d, const Tensor& heat, const Tensor& pred, const std::string& title,
                           const std::string& caption) {
  std::vector<viz::OverlayPanel> panels;
  const int64_t k = heat.size(0), gh = heat.size(1), gw = heat.size(2);
  for (int64_t i = 0; i < k; ++i) {
    panels.push_back({.title = fmt::format("label {}, pred {}", d.test_labels.at<int64_t>({i}), pred.at<int64_t>({i})),
                      .image = d.test_images.select(0, i).tolist(), .height = 28, .width = 28,
                      .heat = heat.select(0, i).tolist(), .heat_height = gh, .heat_width = gw});
  }
  return viz::image_overlay(panels, {.title = title, .columns = 6, .scale = 4, .caption = caption});
}

int run_example(const run::Cli& cli, Options o) {
  const auto wall_start = std::chrono::steady_clock::now();
  const data::Mnist d = cli.smoke ? data::load_mnist(o.data, 512, 256) : data::load_mnist(o.data);
  if (cli.smoke) o.epochs = o.vit_epochs = 1;
  fmt::print("MNIST (its test set as a small corpus) from {}: {} train, {} test digits\n", o.data,
             d.train_images.size(0), d.test_images.size(0));

  std::vector<Trained> results;
  std::vector<std::pair<std::string, std::string>> cnn_kinds = {
      {"cnn", "none"}, {"se", "se"}, {"spatial", "spatial"}, {"nonlocal", "nonlocal"}};
  const std::vector<std::string> names = {"CNN", "CNN + squeeze-excitation", "CNN + spatial attention",
                                          "CNN + non-local block"};
  std::string spatial_svg, vit_svg;
  const int64_t shown = std::min<int64_t>(12, d.test_images.size(0));
  const Variable shown_images(d.test_images.narrow(0, 0, shown));
  if (o.cnn_only) cnn_kinds.resize(1);
  for (size_t i = 0; i < cnn_kinds.size(); ++i) {
    models::MnistCnn net({.block = cnn_kinds[i].second});
    results.push_back(train_and_test(names[i], cnn_kinds[i].first, net,
                                     [&](const Variable& x) { return net.forward(x).logits; }, d, o.epochs,
                                     o.batch_size, o.lr));
    if (cnn_kinds[i].second == "spatial") {
      NoGradGuard no_grad;
      auto out = net.forward(shown_images);
      spatial_svg = overlay_figure(d, out.map.data().squeeze(1), argmax(out.logits.data(), 1),
                                   "Spatial attention over test digits (CNN + spatial attention)",
                                   "the 14x14 map sigmoid(conv7x7([mean_c; max_c])) after conv2, brighter = more weight");
    }
  }
  nn::VisionTransformer vit({.image_size = 28, .patch_size = 4, .in_channels = 1, .num_layers = 2, .num_heads = 4,
                             .hidden_dim = 64, .mlp_dim = 128, .num_classes = 10, .dropout = 0.0});
  if (!o.cnn_only) {
    results.push_back(train_and_test("ViT (patch 4, 2 blocks, d 64)", "vit", vit,
                                     [&](const Variable& x) { return vit.forward(x).logits; }, d, o.vit_epochs,
                                     o.batch_size, o.vit_lr));
    NoGradGuard no_grad;
    auto out = vit.forward(shown_images, /*need_weights=*/true);
    // Last block, row of the class token (query 0), keys 1..49 (the patches), averaged over heads -> [12, 7, 7]
    Tensor cls = mean(out.weights.back().data().select(2, 0).narrow(2, 1, vit.num_patches()), {1});
    vit_svg = overlay_figure(d, cls.view({shown, vit.grid(), vit.grid()}), argmax(out.logits.data(), 1),
                             "ViT: the class token's attention over the 7x7 patches (last block, mean of heads)",
                             "each 4x4 patch is one token; brighter = more attention from the class token");
  }

  // The table, the figures, the report.
  double best = 0;
  std::string table = fmt::format("\n{:<30} {:>9} {:>11} {:>9} {:>13} {:>9}\n", "model", "accuracy", "parameters",
                                  "ms/step", "CPU ms/step", "wall s");
  std::vector<std::vector<std::string>> rows;
  std::vector<viz::Series> series;
  run::Result result;
  for (const Trained& t : results) {
    best = std::max(best, t.accuracy);
    table += fmt::format("{:<30} {:>9.4f} {:>11} {:>9.1f} {:>13.1f} {:>9.1f}\n", t.name, t.accuracy, t.parameters,
                         t.ms_per_step, t.cpu_ms_per_step, t.wall_seconds);
    rows.push_back({t.name, fmt::format("{:.4f}", t.accuracy), std::to_string(t.parameters),
                    fmt::format("{:.1f}", t.ms_per_step), fmt::format("{:.1f}", t.cpu_ms_per_step),
                    fmt::format("{:.1f}", t.wall_seconds)});
    series.push_back({.name = t.key, .y = t.curve});
    result.add(t.key + "_accuracy", t.accuracy);
  }
  fmt::print("{}", table);
  const std::string loss_svg = viz::line_plot(
      series, {.title = "Training loss (mean over tenths of an epoch)", .x_label = "tenth of an epoch",
               .y_label = "cross-entropy", .log_y = true});
  viz::save(cli.out / "loss.svg", loss_svg);
  if (!o.cnn_only) {
    viz::save(cli.out / "spatial_attention.svg", spatial_svg);
    viz::save(cli.out / "vit_attention.svg", vit_svg);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.add("best_accuracy", best)
      .add("cnn_first_loss", results.front().first_loss)
      .add("cnn_last_loss", results.front().last_loss)
      .add("cnn_ms_per_step", results.front().ms_per_step)
      .add("cnn_cpu_ms_per_step", results.front().cpu_ms_per_step)
      .add("wall_seconds", wall);
  viz::Report report("Vision attention on MNIST digits");
  report.text("MNIST's test set used as a small corpus: the first 8,000 digits train, the last 2,000 test. Every "
              "model is trained with AdamW and a cosine schedule; the accuracy is that of the last epoch.")
      .command(cli.command())
      .metrics(result.items())
      .table({"model", "test accuracy", "parameters", "ms per step", "CPU ms per step", "wall seconds"}, rows);
  if (!o.cnn_only) {
    report.heading("Where the models look")
        .figure(spatial_svg, "Spatial attention map over test digits.")
        .figure(vit_svg, "The ViT class token's attention over the patches.");
  }
  report.heading("Training").figure(loss_svg, "Training loss of every model.");
  report.save(cli.out / "report.html");
  fmt::print("figures and report.html in {}\n", cli.out.string());
  result.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  run::Cli cli("vision_attention", "Trains a CNN, the CNN with SE / spatial / non-local attention, and a small ViT "
                                   "on 8,000 MNIST digits and tests them on 2,000 others.");
  Options o;
  o.data = data::default_mnist_dir(argv[0]).string();
  cli.add("--data", o.data, "folder of t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz");
  cli.add("--epochs", o.epochs, "epochs for each CNN")->check(run::positive());
  cli.add("--vit-epochs", o.vit_epochs, "epochs for the ViT")->check(run::positive());
  cli.add("--batch-size", o.batch_size, "digits per step")->check(run::positive());
  cli.add("--lr", o.lr, "peak learning rate of the CNNs")->check(run::positive());
  cli.add("--vit-lr", o.vit_lr, "peak learning rate of the ViT")->check(run::positive());
  cli.add_flag("--cnn-only", o.cnn_only, "train only the plain CNN, no attention figures (a benchmark's short run)");
  if (auto code = cli.parse(argc, argv)) return *code;
  return run::guarded(cli.name(), [&] { return run_example(cli, o); });
}
