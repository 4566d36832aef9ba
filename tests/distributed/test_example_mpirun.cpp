// examples/data_parallel, gpt and seq2seq (both models) under `mpirun -np 2` against one process: the same losses and
// parameters after 20 smoke steps, a checkpoint written by 2 ranks resumes on 1, and a failing run stops every rank.
// These cases
// start mpirun themselves, so they are skipped when the suite itself runs under mpirun, in builds without a launcher
// (no MPI, or sanitizer builds) and without the examples.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "distributed/comm.h"
#include "run_command.h"
#include "svg_check.h"
#include "tensor/safetensors.h"

namespace {

namespace fs = std::filesystem;

bool skip_mpirun_cases() {
  return glimpse::distributed::launched_by_launcher() || std::string(GLIMPSE_MPIEXEC).empty() ||
         std::string(GLIMPSE_DATA_PARALLEL_EXAMPLE).empty();
}

// `program` on `np` processes (np = 0: no mpirun at all), 1 thread each (OpenBLAS too), with a timeout so a hang
// fails.
glimpse::test::CommandResult run_on(const std::string& program, int np, const std::string& args) {
  std::string cmd = "OMP_NUM_THREADS=1 timeout 120 ";
  if (np > 0) cmd += std::string(GLIMPSE_MPIEXEC) + " " + GLIMPSE_MPIEXEC_FLAGS + " -np " + std::to_string(np) + " ";
  return glimpse::test::run_command(cmd + program + " --threads 1 --smoke " + args);
}

// The data_parallel example.
// lr 1e-3: the two runs' gradients differ by float rounding (the batch is summed in another grouping), and AdamW's
// m / sqrt(v) amplifies that on the few weights whose gradient is almost zero. Measured after 20 steps: at lr 3e-3
// one of the 24576 elements of fc1.weight differed by 1.7e-5 (every other element by < 1.4e-6), at lr 1e-3 by 5.9e-6.
glimpse::test::CommandResult run_example(int np, const std::string& args) {
  return run_on(GLIMPSE_DATA_PARALLEL_EXAMPLE, np, "--lr 1e-3 " + args);
}

std::vector<double> losses(const fs::path& tsv) {
  std::ifstream in(tsv);
  std::string header;
  std::getline(in, header);  // "# <label>"
  std::getline(in, header);  // "step<TAB>loss"
  std::vector<double> out;
  long step;
  double loss;
  while (in >> step >> loss) out.push_back(loss);
  return out;
}

void check_losses_match(const fs::path& a, const fs::path& b, size_t expected) {
  const auto la = losses(a), lb = losses(b);
  REQUIRE(la.size() == expected);
  REQUIRE(lb.size() == expected);
  for (size_t i = 0; i < expected; ++i) {
    INFO("step ", i + 1, ": ", la[i], " vs ", lb[i]);
    CHECK(std::abs(la[i] - lb[i]) <= 1e-5 * std::abs(lb[i]));
  }
  CHECK(la.back() < la.front());  // it trained
}

// Every tensor whose name starts with `prefix` within 1e-5 (absolute) of the other file's.
void check_parameters_match(const fs::path& a, const fs::path& b, const std::string& prefix = "") {
  const auto pa = glimpse::load_safetensors(a.string()), pb = glimpse::load_safetensors(b.string());
  REQUIRE(pa.tensors.size() == pb.tensors.size());
  int compared = 0;
  for (const auto& [name, t] : pa.tensors) {
    if (name.rfind(prefix, 0) != 0) continue;
    ++compared;
    INFO(name);
    const auto x = t.tolist(), y = pb.at(name).tolist();
    REQUIRE(x.size() == y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
    CHECK(worst < 1e-5);
  }
  CHECK(compared > 0);
}

// A GPT checkpoint's per-step training losses.
std::vector<double> gpt_losses(const fs::path& ckpt) {
  return glimpse::load_safetensors(ckpt.string()).at("history.step_loss").tolist();
}

void check_relative(const std::vector<double>& got, const std::vector<double>& want, size_t expected) {
  REQUIRE(got.size() == expected);
  REQUIRE(want.size() == expected);
  for (size_t i = 0; i < expected; ++i) {
    INFO("step ", i + 1, ": ", got[i], " vs ", want[i]);
    CHECK(std::abs(got[i] - want[i]) <= 1e-5 * std::abs(want[i]));
  }
}

bool skip_gpt_cases() {
  return glimpse::distributed::launched_by_launcher() || std::string(GLIMPSE_MPIEXEC).empty() ||
         std::string(GLIMPSE_GPT_EXAMPLE).empty();
}

bool skip_seq2seq_cases() {
  return glimpse::distributed::launched_by_launcher() || std::string(GLIMPSE_MPIEXEC).empty() ||
         std::string(GLIMPSE_SEQ2SEQ_EXAMPLE).empty();
}

// A small eng-fra style corpus of 67 lines whose sentences have 1 to 6 words, so that the rows of a batch hold
// different numbers of target tokens (the seq2seq loss is a mean over tokens, not rows). Every tenth line is TEST, so
// TRAIN has 61 pairs: with batch 6 an epoch ends on a batch of 1 row, which leaves rank 1 of 2 without rows.
fs::path write_pairs(const fs::path& dir) {
  const char* en[] = {"we", "see", "the", "big", "red", "cat"};
  const char* fr[] = {"nous", "voyons", "le", "grand", "chat", "rouge"};
  const auto path = dir / "pairs.tsv";
  std::ofstream f(path);
  for (int i = 0; i < 67; ++i) {
    const int n = 1 + (i * 7) % 6, first = i % (7 - n);
    for (int k = 0; k < n; ++k) f << (k ? " " : "") << en[first + k];
    f << '\t';
    for (int k = 0; k < n; ++k) f << (k ? " " : "") << fr[(first + k + i / 6) % 6];
    f << '\n';
  }
  return path;
}

// seq2seq on 1 process (np 0) or under mpirun; --beam 1 keeps the evaluation short.
glimpse::test::CommandResult run_seq2seq(int np, const std::string& args) {
  return run_on(GLIMPSE_SEQ2SEQ_EXAMPLE, np, "--beam 1 " + args);
}

// The seq2seq losses files from 2 ranks (batch b/2 each) and from 1 rank (batch b) match; rank 0 alone reported.
void check_seq2seq_two_ranks(const glimpse::test::CommandResult& two, const fs::path& two_losses,
                             const fs::path& one_losses, size_t steps) {
  INFO(two.out);
  REQUIRE(two.exit_code == 0);
  CHECK(two.out.find("data-parallel: 2 ranks, parameters bit-identical on every rank after step " +
                     std::to_string(steps)) != std::string::npos);
  CHECK(two.out.find("result:") == two.out.rfind("result:"));
  check_losses_match(two_losses, one_losses, steps);
}

}  // namespace

TEST_SUITE("distributed example") {

TEST_CASE("20 smoke steps on 2 ranks x batch b/2 match 1 rank x batch b" * doctest::skip(skip_mpirun_cases())) {
  const auto dir = glimpse::test::fresh_dir("dp_np2");
  const auto data = " --data " + glimpse::test::write_text(dir).string();
  auto one = run_example(0, "--batch 32 --out " + (dir / "one").string() + data);
  INFO(one.out);
  REQUIRE(one.exit_code == 0);
  auto two = run_example(2, "--batch 32 --out " + (dir / "two").string() + data + " --compare " +
                                (dir / "one" / "losses.tsv").string());
  INFO(two.out);
  REQUIRE(two.exit_code == 0);
  CHECK(two.out.find("ranks=2 batch_per_rank=16") != std::string::npos);
  // Only rank 0 speaks: one result line.
  CHECK(two.out.find("result:") == two.out.rfind("result:"));
  CHECK(two.out.find("max_rel_diff_vs_compare=") != std::string::npos);
  glimpse::svg_test::check_svg_file(dir / "two" / "loss.svg");  // both curves on one plot
  check_losses_match(dir / "two" / "losses.tsv", dir / "one" / "losses.tsv", 20);
  check_parameters_match(dir / "two" / "model.safetensors", dir / "one" / "model.safetensors");
  fs::remove_all(dir);
}

TEST_CASE("a checkpoint from 2 ranks resumes on 1 rank" * doctest::skip(skip_mpirun_cases())) {
  const auto dir = glimpse::test::fresh_dir("dp_resume");
  const auto data = " --data " + glimpse::test::write_text(dir).string();
  // 10 steps on 2 ranks, then 10 more on 1 rank, against 20 straight on 1 rank.
  auto first = run_example(2, "--steps 10 --batch 32 --out " + (dir / "first").string() + data);
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  auto second = run_example(0, "--steps 10 --batch 32 --resume " + (dir / "first").string() + " --out " +
                                   (dir / "second").string() + data);
  INFO(second.out);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("steps=20") != std::string::npos);
  auto straight = run_example(0, "--steps 20 --batch 32 --out " + (dir / "straight").string() + data);
  REQUIRE(straight.exit_code == 0);
  const auto full = losses(dir / "straight" / "losses.tsv");
  const auto tail = losses(dir / "second" / "losses.tsv");
  REQUIRE(full.size() == 20);
  REQUIRE(tail.size() == 10);
  for (size_t i = 0; i < 10; ++i) {
    INFO("step ", 11 + i);
    CHECK(std::abs(tail[i] - full[10 + i]) <= 1e-5 * std::abs(full[10 + i]));
  }
  check_parameters_match(dir / "second" / "model.safetensors", dir / "straight" / "model.safetensors");
  fs::remove_all(dir);
}

TEST_CASE("a run that fails under mpirun stops every rank with the message" * doctest::skip(skip_mpirun_cases())) {
  // A batch that does not split over 2 ranks: every rank throws; a missing file on one rank only would hang the others
  // without distributed::abort, which the throwing_rank case covers.
  const auto dir = glimpse::test::fresh_dir("dp_fail");
  auto r = run_example(2, "--batch 33 --out " + (dir / "out").string() + " --data " +
                              glimpse::test::write_text(dir).string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("does not split evenly over 2 ranks") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out" / "losses.tsv"));
  fs::remove_all(dir);
}

TEST_CASE("gpt: 20 smoke steps on 2 ranks x batch b/2 match 1 rank x batch b" * doctest::skip(skip_gpt_cases())) {
  const auto dir = glimpse::test::fresh_dir("gpt_np2");
  const auto args = " --max-iters 20 --batch-size 8 --data " + glimpse::test::write_text(dir).string();
  auto one = run_on(GLIMPSE_GPT_EXAMPLE, 0, "--out " + (dir / "one").string() + args);
  INFO(one.out);
  REQUIRE(one.exit_code == 0);
  auto two = run_on(GLIMPSE_GPT_EXAMPLE, 2, "--out " + (dir / "two").string() + args);
  INFO(two.out);
  REQUIRE(two.exit_code == 0);
  CHECK(two.out.find("ranks=2") != std::string::npos);
  CHECK(two.out.find("result:") == two.out.rfind("result:"));  // rank 0 alone reports
  check_relative(gpt_losses(dir / "two" / "ckpt.safetensors"), gpt_losses(dir / "one" / "ckpt.safetensors"), 20);
  check_parameters_match(dir / "two" / "ckpt.safetensors", dir / "one" / "ckpt.safetensors", "model.");
  fs::remove_all(dir);
}

// Was skipped at 69183a7 after a failure seen only under the harness ("data: the Variable is undefined" in the resumed
// run). It could not be reproduced from that commit (alone, under ctest, in the -j2 label run, in one process with
// every case) nor since; it runs again, and on a failure INFO prints both runs' output.
TEST_CASE("gpt: a checkpoint from 2 ranks resumes on 1 rank" * doctest::skip(skip_gpt_cases())) {
  const auto dir = glimpse::test::fresh_dir("gpt_resume");
  const auto args = " --batch-size 8 --eval-interval 10 --data " + glimpse::test::write_text(dir).string();
  auto first = run_on(GLIMPSE_GPT_EXAMPLE, 2, "--max-iters 10 --out " + (dir / "resumed").string() + args);
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  auto second = run_on(GLIMPSE_GPT_EXAMPLE, 0, "--max-iters 20 --resume --out " + (dir / "resumed").string() + args);
  INFO(second.out);
  REQUIRE(second.exit_code == 0);
  auto straight = run_on(GLIMPSE_GPT_EXAMPLE, 0, "--max-iters 20 --out " + (dir / "straight").string() + args);
  REQUIRE(straight.exit_code == 0);
  check_relative(gpt_losses(dir / "resumed" / "ckpt.safetensors"), gpt_losses(dir / "straight" / "ckpt.safetensors"),
                 20);
  check_parameters_match(dir / "resumed" / "ckpt.safetensors", dir / "straight" / "ckpt.safetensors", "model.");
  fs::remove_all(dir);
}

TEST_CASE("seq2seq: 20 smoke steps on 2 ranks x batch b/2 match 1 rank x batch b (LSTM)" *
          doctest::skip(skip_seq2seq_cases())) {
  // Teacher forcing 0.5: the coin is drawn once per target position, so it matches only because every rank pads its
  // rows to the whole batch's length.
  const auto dir = glimpse::test::fresh_dir("s2s_np2");
  const std::string args = " --task reverse --steps 20 --batch-size 16 --teacher-forcing 0.5";
  auto one = run_seq2seq(0, "--out " + (dir / "one").string() + args);
  INFO(one.out);
  REQUIRE(one.exit_code == 0);
  auto two = run_seq2seq(2, "--out " + (dir / "two").string() + args);
  check_seq2seq_two_ranks(two, dir / "two" / "losses_additive.tsv", dir / "one" / "losses_additive.tsv", 20);
  // The checkpoints: the model and Adam's moments.
  check_parameters_match(dir / "two" / "checkpoint.safetensors", dir / "one" / "checkpoint.safetensors");
  glimpse::svg_test::check_svg_file(dir / "two" / "loss.svg");
  fs::remove_all(dir);
}

TEST_CASE("seq2seq: 20 smoke steps on 2 ranks x batch b/2 match 1 rank x batch b (Transformer)" *
          doctest::skip(skip_seq2seq_cases())) {
  // The Transformer example writes no checkpoint: its parameters are followed through the losses, each a function
  // of the parameters the steps before made.
  const auto dir = glimpse::test::fresh_dir("s2s_tf_np2");
  const std::string args = " --model transformer --task reverse --steps 20 --batch-size 16";
  auto one = run_seq2seq(0, "--out " + (dir / "one").string() + args);
  INFO(one.out);
  REQUIRE(one.exit_code == 0);
  auto two = run_seq2seq(2, "--out " + (dir / "two").string() + args);
  check_seq2seq_two_ranks(two, dir / "two" / "losses_transformer.tsv", dir / "one" / "losses_transformer.tsv", 20);
  CHECK(fs::exists(dir / "two" / "test_hyp.txt"));
  fs::remove_all(dir);
}

TEST_CASE("seq2seq: uneven shards and a rank without rows, and a checkpoint from 2 ranks resumes on 1 rank" *
          doctest::skip(skip_seq2seq_cases())) {
  const auto dir = glimpse::test::fresh_dir("s2s_resume");
  const std::string args = " --task translate --batch-size 6 --data " + write_pairs(dir).string();
  // Epoch 1 on 2 ranks (batches of 6 rows split 3 + 3, the last of 1 row 1 + 0), epoch 2 on 1 rank from its checkpoint.
  auto first = run_seq2seq(2, "--epochs 1 --out " + (dir / "resumed").string() + args);
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  const fs::path first_losses = dir / "first_losses.tsv";
  fs::copy_file(dir / "resumed" / "losses_additive.tsv", first_losses);
  auto second = run_seq2seq(0, "--epochs 2 --resume --out " + (dir / "resumed").string() + args);
  INFO(second.out);
  REQUIRE(second.exit_code == 0);
  auto straight = run_seq2seq(0, "--epochs 2 --out " + (dir / "straight").string() + args);
  INFO(straight.out);
  REQUIRE(straight.exit_code == 0);
  const auto full = losses(dir / "straight" / "losses_additive.tsv");
  const auto head = losses(first_losses), tail = losses(dir / "resumed" / "losses_additive.tsv");
  REQUIRE(full.size() == 22);  // 11 steps an epoch
  REQUIRE(head.size() == 11);
  REQUIRE(tail.size() == 11);
  for (size_t i = 0; i < 22; ++i) {
    const double got = i < 11 ? head[i] : tail[i - 11];
    INFO("step ", i + 1, ": ", got, " vs ", full[i]);
    CHECK(std::abs(got - full[i]) <= 1e-5 * std::abs(full[i]));
  }
  check_parameters_match(dir / "resumed" / "checkpoint.safetensors", dir / "straight" / "checkpoint.safetensors");
  fs::remove_all(dir);
}

}  // TEST_SUITE
