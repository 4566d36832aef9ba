// The main example: the attention tutorial's context network, reproduced exactly and shown.
//
// 10,000 samples of 8 inputs ~ U[0, 1) and a context c in 0..4; the target is the input at the context's true
// position {0: 2, 1: 7, 2: 3, 3: 5, 4: 1}. models::ContextNetwork learns one attention vector per context; trained with
// MSE and Adam (lr 1e-3), one sample per optimizer step, for 4 epochs, each context's attention ends up on its true
// position. Prints the per-epoch mean MSE and the learned attention beside the truth; writes attention.svg (one
// panel per context), loss.svg and report.html under --out; the last line is `result: mse=... attention_correct=5/5
// it_per_s=...`.
//
//   ./build/examples/context_network [--epochs 4] [--batch-size 1] [--seed 0] [--out runs/context_network]
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <vector>

#include "glimpse.h"
#include "models/context_network.h"
#include "run/cli.h"
#include "run/progress.h"
#include "run/result.h"
#include "viz/plots.h"
#include "viz/report.h"
#include "viz/svg.h"

using namespace glimpse;

namespace {

constexpr int kContexts = 5, kInputs = 8;
constexpr std::array<int, kContexts> kTruePosition = {2, 7, 3, 5, 1};  // the tutorial's true attention

struct Data {
  Tensor x;  // [N, 8] float32
  Tensor c;  // [N] int64
  Tensor y;  // [N, 1] float32: x[i, true_position(c[i])]
};

Data make_data(int64_t n) {
  Data d{rand({n, kInputs}), randint(0, kContexts, {n}), Tensor()};
  const std::vector<double> x = d.x.tolist(), c = d.c.tolist();
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i * kInputs + kTruePosition[static_cast<int>(c[i])]]);
  d.y = tensor(y, {n, 1});
  return d;
}

struct Options {
  int epochs = 4;
  int64_t batch_size = 1;
  int64_t samples = 10000;
  double lr = 1e-3;
};

int run_example(const run::Cli& cli, const Options& o) {
  const Data data = make_data(o.samples);
  models::ContextNetwork net(kContexts, kInputs);
  optim::Adam opt(net.parameters(), {.lr = o.lr});
  const int64_t steps = (o.samples + o.batch_size - 1) / o.batch_size;
  fmt::print("ContextNetwork: {} samples, {} contexts, batch size {}, {} epochs of {} steps, Adam lr {}\n", o.samples,
             kContexts, o.batch_size, o.epochs, steps, o.lr);

  std::vector<double> epoch_mse, curve, curve_x;  // curve: mean MSE over windows of steps, for loss.svg
  const int64_t window = std::max<int64_t>(1, steps * o.epochs / 100);
  double window_sum = 0;
  int64_t step_count = 0;
  double train_seconds = 0;
  const std::clock_t cpu_start = std::clock();  // CPU time too: on a loaded machine wall time includes waiting
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    run::ProgressBar bar({.total = steps, .desc = fmt::format("epoch {}/{}", epoch + 1, o.epochs)});
    double sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < o.samples; b += o.batch_size) {
      const int64_t len = std::min(o.batch_size, o.samples - b);
      Variable loss = mse_loss(net.forward(Variable(data.x.narrow(0, b, len)), data.c.narrow(0, b, len)),
                               Variable(data.y.narrow(0, b, len)));
      opt.zero_grad();
      loss.backward();
      opt.step();
      const double l = loss.item<double>();
      sum += l * static_cast<double>(len);
      window_sum += l;
      if (++step_count % window == 0) {
        curve.push_back(window_sum / static_cast<double>(window));
        curve_x.push_back(static_cast<double>(step_count));
        window_sum = 0;
      }
      bar.set_postfix("loss", sum / static_cast<double>(b + len));
      bar.update();
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.close();
    epoch_mse.push_back(sum / static_cast<double>(o.samples));
    fmt::print("epoch {}/{}: mean training MSE {:.3e}\n", epoch + 1, o.epochs, epoch_mse.back());
  }
  const double it_per_s = static_cast<double>(step_count) / train_seconds;
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  fmt::print("{} optimizer steps in {:.3f} s ({:.0f} it/s); CPU time {:.3f} s\n", step_count, train_seconds, it_per_s,
             cpu_seconds);

  // The learned attention (normalised |a|) beside the truth.
  const Tensor weights = net.attention_weights();
  const std::vector<double> w = weights.tolist();
  int correct = 0;
  std::vector<viz::BarPanel> panels;
  std::vector<std::vector<std::string>> rows;
  std::string table = "context  true  learned  attention over positions 0..7 (normalised |a|)\n";
  for (int ctx = 0; ctx < kContexts; ++ctx) {
    const std::vector<double> row(w.begin() + ctx * kInputs, w.begin() + (ctx + 1) * kInputs);
    const int learned = static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
    correct += learned == kTruePosition[ctx];
    std::string cells;
    for (double v : row) cells += fmt::format(" {:.2f}", v);
    table += fmt::format("{:>7}  {:>4}  {:>7} {}\n", ctx, kTruePosition[ctx], learned, cells);
    rows.push_back({std::to_string(ctx), std::to_string(kTruePosition[ctx]), std::to_string(learned),
                    fmt::format("{:.3f}", row[kTruePosition[ctx]])});
    panels.push_back({.title = fmt::format("context {}", ctx), .values = row, .marked = kTruePosition[ctx]});
  }
  fmt::print("\n{}", table);

  const std::string attention_svg = viz::bar_panels(
      panels, {.title = "Learned attention per context (normalised |a|) and the true position"});
  std::vector<viz::Series> series = {{.name = "training MSE", .y = curve, .x = curve_x}};
  const std::string loss_svg = viz::line_plot(
      series, {.title = fmt::format("Training MSE (mean over {} steps)", window), .x_label = "optimizer step",
               .y_label = "MSE", .log_y = true});
  viz::save(cli.out / "attention.svg", attention_svg);
  viz::save(cli.out / "loss.svg", loss_svg);

  run::Result result;
  result.add("mse", epoch_mse.back())
      .add("attention_correct", fmt::format("{}/{}", correct, kContexts))
      .add("it_per_s", static_cast<int64_t>(it_per_s))
      .add("train_seconds", train_seconds)
      .add("cpu_seconds", cpu_seconds)
      .add("first_epoch_mse", epoch_mse.front());
  viz::Report report("Context network");
  report.text("The attention tutorial's toy: each of 5 contexts learns an attention vector a over 8 inputs; the "
              "glimpse x * a goes through Linear(8, 1), trained to predict the input at the context's true position. "
              "One sample per Adam step.")
      .command(cli.command())
      .metrics(result.items())
      .heading("Learned attention")
      .figure(attention_svg, "Green: the true position. Orange: the learned attention (normalised |a|).")
      .table({"context", "true position", "learned arg-max", "weight at the true position"}, rows)
      .heading("Training")
      .figure(loss_svg, "Mean training MSE over windows of optimizer steps (log scale).");
  std::vector<std::vector<std::string>> epoch_rows;
  for (size_t e = 0; e < epoch_mse.size(); ++e) epoch_rows.push_back({std::to_string(e + 1), fmt::format("{:.3e}", epoch_mse[e])});
  report.table({"epoch", "mean training MSE"}, epoch_rows);
  report.save(cli.out / "report.html");
  fmt::print("\nwrote {}, {} and {}\n", (cli.out / "attention.svg").string(), (cli.out / "loss.svg").string(),
             (cli.out / "report.html").string());
  result.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  run::Cli cli("context_network",
               "Trains the attention tutorial's context network (one sample per Adam step) and shows what each "
               "context learned to look at.");
  Options o;
  cli.add("--epochs", o.epochs, "passes over the training samples")->check(run::positive());
  cli.add("--batch-size", o.batch_size, "samples per optimizer step (the tutorial: 1)")->check(run::positive());
  cli.add("--samples", o.samples, "training samples")->check(run::positive());
  cli.add("--lr", o.lr, "Adam learning rate")->check(run::positive());
  if (auto code = cli.parse(argc, argv)) return *code;
  if (cli.smoke) {  // a second or two, even under sanitizers: enough steps for the loss to fall
    o.samples = std::min<int64_t>(o.samples, 2000);
    o.epochs = std::min(o.epochs, 2);
  }
  return run::guarded(cli.name(), [&] { return run_example(cli, o); });
}
