// Smoke tests of examples/seq2seq --model transformer: both tasks train for a few seconds (the loss falls, the result
// line has its keys, every SVG and the report parse), --resume repeats the uninterrupted run and continues its loss
// file, --translate works from the checkpoint alone, --compare draws the Transformer's by-length line (and --replot
// redraws it), and bad Transformer flags exit 2 with a message.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "examples/run_example.h"
#include "svg_check.h"

using namespace glimpse;

namespace {

void check_transformer_outputs(const std::filesystem::path& dir) {
  for (const char* svg : {"loss.svg", "by_length.svg", "alignment_0.svg", "flow_0.svg", "cross_l1_h1.svg", "cross_l1_h4.svg",
                          "encoder_l1_h1.svg", "encoder_l1_h4.svg"}) {
    svg_test::check_svg_file(dir / svg);
  }
  const std::string html = svg_test::check_html_file(dir / "report.html");
  CHECK(html.find("Cross-attention per layer and head") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "test_hyp.txt"));
  CHECK(svg_test::read_file(dir / "by_length.tsv").find("\ntransformer\t") != std::string::npos);
}

void check_result(const example_test::Run& r, std::initializer_list<const char*> keys) {
  REQUIRE(r.exit_code == 0);
  for (const char* key : keys) CHECK_MESSAGE(r.result.count(key) == 1, key);
  REQUIRE(r.result.count("last_loss") == 1);
  CHECK(r.result.at("model") == "transformer");
  CHECK(std::stod(r.result.at("last_loss")) < std::stod(r.result.at("first_loss")));  // the loss fell
}

// A tiny English-French corpus of 200 lines (25 sentences, 8 times).
std::filesystem::path write_corpus(const std::filesystem::path& dir) {
  const auto data = dir / "pairs.tsv";
  std::ofstream f(data);
  const char* en[] = {"I am", "You are", "He is", "She is", "We are"};
  const char* fr[] = {"Je suis", "Tu es", "Il est", "Elle est", "Nous sommes"};
  const char* adj_en[] = {"cold", "tired", "happy", "late", "here"};
  const char* adj_fr[] = {"froid", "fatigué", "heureux", "en retard", "ici"};
  for (int k = 0; k < 8; ++k) {
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) f << en[i] << ' ' << adj_en[j] << '.' << '\t' << fr[i] << ' ' << adj_fr[j] << ".\n";
    }
  }
  return data;
}

}  // namespace

TEST_CASE("seq2seq --model transformer: --task reverse --smoke trains and writes the attention figures") {
  const auto dir = example_test::fresh_dir("seq2seq_transformer_reverse");
  const auto r = example_test::run("seq2seq", "--model transformer --task reverse --smoke --seed 1 --out '" +
                                                  dir.string() + "'");
  INFO(r.output);
  check_result(r, {"val_loss", "exact_match", "exact_match_beam", "ms_per_step", "params", "wall_seconds"});
  check_transformer_outputs(dir);
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq --model transformer: --task translate --smoke on a small corpus, pre-norm") {
  const auto dir = example_test::fresh_dir("seq2seq_transformer_translate");
  const auto data = write_corpus(dir);
  const auto r = example_test::run("seq2seq", "--model transformer --pre-norm --task translate --smoke --seed 2 "
                                   "--data '" + data.string() + "' --out '" + dir.string() + "'");
  INFO(r.output);
  check_result(r, {"val_loss", "bleu", "bleu_beam", "exact_match", "ms_per_step", "params"});
  check_transformer_outputs(dir);
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq --model transformer: --resume repeats the uninterrupted run, --translate reads the checkpoint alone") {
  const auto dir = example_test::fresh_dir("seq2seq_transformer_resume");
  const std::string data = write_corpus(dir).string();
  const std::string common = "--model transformer --task translate --smoke --seed 3 --threads 1 --data '" + data + "'";
  // Two epochs straight, and one epoch then --resume to two (dropout is on: translate's default 0.1).
  const auto whole = example_test::run("seq2seq", common + " --epochs 2 --out '" + (dir / "whole").string() + "'");
  INFO(whole.output);
  REQUIRE(whole.exit_code == 0);
  const std::string out = (dir / "parts").string();
  REQUIRE(example_test::run("seq2seq", common + " --epochs 1 --out '" + out + "'").exit_code == 0);
  const auto resumed = example_test::run("seq2seq", common + " --epochs 2 --resume --out '" + out + "'");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.output.find("resuming the transformer") != std::string::npos);
  for (const char* key : {"val_loss", "bleu", "bleu_beam", "exact_match", "last_loss"}) {
    CAPTURE(key);
    CHECK(resumed.result.at(key) == whole.result.at(key));
  }

  // The checkpoint alone translates (no --model, no data): greedy and beam, the alignment, the report.
  auto r = example_test::run("seq2seq", "--task translate --translate 'I am zebra.' --out '" + out + "'");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.result.at("attention") == "transformer");
  CHECK(r.output.find("'zebra' is not in the source vocabulary") != std::string::npos);
  CHECK(r.output.find("beam 5:") != std::string::npos);
  svg_test::check_svg_file(std::filesystem::path(out) / "translate" / "alignment.svg");
  svg_test::check_html_file(std::filesystem::path(out) / "translate" / "report.html");

  // Flags that build another model: a clear error (exit 1), and the checkpoint is still there to resume.
  r = example_test::run("seq2seq", common + " --epochs 2 --resume --d-model 16 --out '" + out + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("d_model = 32 in the checkpoint, 16 in the model") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq --compare: the Transformer's row beside every attention, with wall time and parameters") {
  const auto dir = example_test::fresh_dir("seq2seq_transformer_compare");
  const auto r = example_test::run("seq2seq", "--task reverse --compare --smoke --steps 4 --beam 2 --out '" +
                                                  dir.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::string html = svg_test::check_html_file(dir / "report.html");
  for (const char* cell : {"<td>transformer</td>", "<td>additive</td>", "<th>wall s</th>", "<th>parameters</th>"}) {
    CAPTURE(cell);
    CHECK(html.find(cell) != std::string::npos);
  }
  CHECK(std::filesystem::exists(dir / "checkpoint_transformer.safetensors"));

  // by_length.svg: every legend entry has its line, the Transformer's too (its line was missing once).
  pugi::xml_document doc;
  REQUIRE(svg_test::xml_error(svg_test::read_file(dir / "by_length.svg"), doc).empty());
  std::set<std::string> drawn, listed;
  for (pugi::xml_node n : doc.child("svg").children()) {
    const std::string name = n.name(), stroke = n.attribute("stroke").value();
    if (name == "polyline") drawn.insert(stroke);
    if (name == "line" && stroke != "#444" && stroke != "#e4e4e4") listed.insert(stroke);  // the legend's swatches
  }
  CHECK(listed.size() == 7);  // six attention choices and the Transformer
  CHECK(drawn == listed);
  // by_length.tsv holds the figure's numbers, and --replot computes the same ones again from the run's test_hyp files.
  const std::string tsv = svg_test::read_file(dir / "by_length.tsv");
  CHECK(tsv.find("\ntransformer\t") != std::string::npos);
  const auto replot = example_test::run("seq2seq", "--task reverse --smoke --replot --out '" + dir.string() + "'");
  INFO(replot.output);
  REQUIRE(replot.exit_code == 0);
  CHECK(replot.result.at("models") == "7");
  CHECK(svg_test::read_file(dir / "by_length.tsv") == tsv);
  svg_test::check_svg_file(dir / "by_length.svg");
  std::filesystem::remove_all(dir);
}

TEST_CASE("regression: seq2seq --model transformer --resume continues the step column of losses_transformer.tsv") {
  const auto dir = example_test::fresh_dir("seq2seq_transformer_resume_losses");
  const std::string common = "--model transformer --task translate --smoke --seed 4 --threads 1 --data '" +
                             write_corpus(dir).string() + "' --out '" + dir.string() + "'";
  auto steps = [&] {  // the step column of the loss file
    std::ifstream f(dir / "losses_transformer.tsv");
    std::vector<long> out;
    for (std::string line; std::getline(f, line);) {
      if (!line.empty() && line[0] != '#' && line.rfind("step", 0) != 0) out.push_back(std::stol(line));
    }
    return out;
  };
  auto r = example_test::run("seq2seq", common + " --epochs 1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::vector<long> first = steps();
  REQUIRE(!first.empty());
  CHECK(first.front() == 1);
  r = example_test::run("seq2seq", common + " --epochs 2 --resume");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::vector<long> second = steps();
  REQUIRE(second.size() == first.size());  // one more epoch of the same length
  for (size_t i = 0; i < second.size(); ++i) CHECK(second[i] == first.back() + 1 + static_cast<long>(i));
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq --model transformer: bad flags exit 2 with a message") {
  const auto dir = example_test::fresh_dir("seq2seq_transformer_bad");
  auto r = example_test::run("seq2seq", "--model transformer --d-model 30 --heads 4 --out '" + dir.string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("multiple of --heads") != std::string::npos);
  r = example_test::run("seq2seq", "--model gru --out '" + dir.string() + "'");
  CHECK(r.exit_code == 2);
  r = example_test::run("seq2seq", "--model transformer --dropout 1.5 --out '" + dir.string() + "'");
  CHECK(r.exit_code == 2);
  std::filesystem::remove_all(dir);
}
