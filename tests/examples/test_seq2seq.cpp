// Smoke tests of examples/seq2seq: both tasks train for a few seconds (the loss falls, the result line has its keys,
// every SVG and the report parse), --translate from the checkpoint alone, --resume, and bad input exits 1 or 2 with a
// message.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "examples/run_example.h"
#include "svg_check.h"

using namespace glimpse;

namespace {

// A small corpus in the eng-fra format: 200 pairs built from a few patterns, so that 2 epochs learn something.
std::filesystem::path write_corpus(const std::filesystem::path& dir) {
  const char* en[] = {"I am", "You are", "He is", "She is", "We are"};
  const char* fr[] = {"Je suis", "Tu es", "Il est", "Elle est", "Nous sommes"};
  const char* adj_en[] = {"cold", "tired", "happy", "late", "here"};
  const char* adj_fr[] = {"froid", "fatigué", "heureux", "en retard", "ici"};
  const auto path = dir / "pairs.tsv";
  std::ofstream f(path);
  for (int k = 0; k < 8; ++k) {
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) f << en[i] << ' ' << adj_en[j] << (k % 2 ? "!" : ".") << '\t' << fr[i] << ' '
                                    << adj_fr[j] << (k % 2 ? "\u202f!" : ".") << '\n';
    }
  }
  return path;
}

void check_outputs(const std::filesystem::path& dir) {
  for (const char* svg : {"loss.svg", "by_length.svg", "alignment_0.svg", "flow_0.svg"}) {
    svg_test::check_svg_file(dir / svg);
  }
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("--smoke") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "test_hyp.txt"));
  CHECK(std::filesystem::exists(dir / "checkpoint.safetensors"));
}

}  // namespace

TEST_CASE("seq2seq: --task reverse --smoke trains, writes figures, test_hyp.txt and the result line") {
  const auto dir = example_test::fresh_dir("seq2seq_reverse");
  const auto r = example_test::run("seq2seq", "--task reverse --smoke --seed 1 --out '" + dir.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"val_loss", "exact_match", "ms_per_step", "first_loss", "last_loss"}) {
    CHECK_MESSAGE(r.result.count(key) == 1, key);
  }
  REQUIRE(r.result.count("last_loss") == 1);
  CHECK(std::stod(r.result.at("last_loss")) < std::stod(r.result.at("first_loss")));  // the loss fell
  check_outputs(dir);
  std::ifstream hyps(dir / "test_hyp.txt");
  int lines = 0;
  for (std::string line; std::getline(hyps, line);) ++lines;
  CHECK(lines == 50);  // one per held-out sequence of the smoke run
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq: --task translate --smoke, then --translate and --resume from the checkpoint") {
  const auto dir = example_test::fresh_dir("seq2seq_translate");
  const std::string data = write_corpus(dir).string();
  const std::string common = "--task translate --smoke --seed 2 --data '" + data + "' --out '" + dir.string() + "'";
  auto r = example_test::run("seq2seq", common + " --attention general");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* key : {"val_loss", "bleu", "bleu_beam", "ms_per_step"}) CHECK_MESSAGE(r.result.count(key) == 1, key);
  REQUIRE(r.result.count("last_loss") == 1);
  CHECK(std::stod(r.result.at("last_loss")) < std::stod(r.result.at("first_loss")));
  check_outputs(dir);

  // From the checkpoint alone: an unknown word is noted, not fatal; an empty sentence is an error (exit 1).
  r = example_test::run("seq2seq", "--task translate --translate 'I am zebra.' --out '" + dir.string() + "'");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("'zebra' is not in the source vocabulary") != std::string::npos);
  CHECK(r.output.find("greedy:") != std::string::npos);
  svg_test::check_svg_file(dir / "translate" / "alignment.svg");
  svg_test::check_svg_file(dir / "translate" / "flow.svg");
  svg_test::check_html_file(dir / "translate" / "report.html");
  r = example_test::run("seq2seq", "--translate ' . ' --out '" + dir.string() + "' --checkpoint '" +
                                        (dir / "none.safetensors").string() + "'");
  CHECK(r.exit_code == 1);
  r = example_test::run("seq2seq", "--translate '  ' --out '" + dir.string() + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("has no words") != std::string::npos);

  // --resume continues from the saved step; a reverse-task checkpoint does not fit this data's vocabulary.
  r = example_test::run("seq2seq", common + " --resume --epochs 3");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("resuming general") != std::string::npos);
  const auto rev = dir / "rev";
  REQUIRE(example_test::run("seq2seq", "--task reverse --smoke --steps 5 --out '" + rev.string() + "'").exit_code == 0);
  r = example_test::run("seq2seq", common + " --resume --checkpoint '" + (rev / "checkpoint.safetensors").string() + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("vocabulary") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq: bad flags and values exit 2 with a message, --help exits 0") {
  auto r = example_test::run("seq2seq", "--attention bahdanau");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--attention") != std::string::npos);
  r = example_test::run("seq2seq", "--task sort");
  CHECK(r.exit_code == 2);
  r = example_test::run("seq2seq", "--no-such-flag");
  CHECK(r.exit_code == 2);
  r = example_test::run("seq2seq", "--teacher-forcing 2");
  CHECK(r.exit_code == 2);
  r = example_test::run("seq2seq", "--task translate --data /nonexistent.tsv --smoke --out /tmp/glimpse_s2s_nodata");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("--data") != std::string::npos);
  r = example_test::run("seq2seq", "--help");
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--seed", "--threads", "--out", "--smoke", "--task", "--attention", "--translate",
                           "--resume", "--compare", "--beam"}) {
    CHECK_MESSAGE(r.output.find(flag) != std::string::npos, flag);
  }
}
