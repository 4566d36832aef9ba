// The seq2seq example's parts: its options, the two tasks' data, training and evaluation, figures and report.
// main.cpp reads the command line and calls these; see main.cpp for what the program does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/bleu.h"
#include "data/vocab.h"
#include "models/seq2seq.h"
#include "models/transformer.h"
#include "run/cli.h"
#include "run/result.h"
#include "tensor/random.h"

namespace glimpse::seq2seq_example {

struct Options {
  std::string task = "reverse";  // reverse | translate
  std::string data;              // translate: the corpus (default ../shared/data/eng-fra.tsv, see main.cpp)
  std::string attention = "additive";
  int64_t steps = 0;             // reverse: optimizer steps (0: the model's default, 1500)
  int64_t epochs = 0;            // translate: passes over TRAIN (0: the model's default, LSTM 10, Transformer 6)
  bool steps_given = false, epochs_given = false;  // on the command line (--compare's Transformer row keeps its own)
  int64_t max_steps = 0;         // > 0: stop training after this many steps (a benchmark's short run, bench/)
  int64_t batch_size = 0, emb = 0, hidden = 0;  // 0: the task's default (reverse 32/32/64, translate 64/128/256)
  double lr = 0.0;               // 0: the task's default (reverse 3e-3, translate 1e-3)
  double clip = 1.0;
  double teacher_forcing = 1.0;
  int64_t layers = 0;             // 0: 1 for the LSTM, the task's default for the Transformer
  bool bidirectional = false;
  int64_t beam = 5;
  double length_penalty = 1.0;
  int64_t max_len = 0;           // 0: the task's default (reverse 13, translate 20)
  std::string translate;         // a sentence to translate with --checkpoint (no training)
  std::string checkpoint;        // default <out>/checkpoint.safetensors
  bool resume = false;
  bool compare = false;
  bool replot = false;            // redraw by_length.svg from a finished run's files (replot_by_length)
  bool profile = false;           // print the tape inspector's table for one training step
  bool smoke = false;
  // --model transformer (transformer_run.cpp); --layers is then the encoder's and the decoder's layer count
  std::string model = "lstm";  // lstm | transformer
  int64_t d_model = 0, heads = 4, ff = 0, warmup = 0;  // 0: the task's default (see transformer_defaults)
  double dropout = -1.0;       // < 0: the task's default
  double label_smoothing = -1.0;  // < 0: the task's default (reverse 0, translate 0.1)
  std::string norm;            // post | pre; empty: the task's default (see transformer_defaults)
  bool pre_norm = false;       // --pre-norm, short for --norm pre; set from norm by transformer_defaults
};

// A task's sentences as ids and as tokens, with its vocabularies.
struct Pair {
  std::vector<int64_t> src, tgt;               // ids (no <bos>/<eos>)
  std::vector<std::string> src_tokens, tgt_tokens;  // the real tokens (the BLEU references)
};
struct Corpus {
  std::vector<Pair> train, test;
  data::Vocab src_vocab, tgt_vocab;
  bool synthetic = false;  // reverse: train batches are drawn fresh each step
  std::set<std::string> test_keys;  // reverse: the held-out sequences, never drawn for training
};

// The reverse task's 500 held-out sequences, drawn from Generator(seed).
Corpus make_reverse_corpus(const Options& o, uint64_t seed);
Corpus make_translate_corpus(const Options& o);
// A fresh training batch of the reverse task (never a test sequence).
std::vector<Pair> reverse_batch(const Corpus& c, int64_t batch_size, Generator& gen);
std::string reversal_key(const Pair& p);

// One batch as the models take it: the sources, the targets fed (<bos> y_1 ...) and the targets to predict (... <eos>).
struct Batch {
  data::PaddedBatch src, tgt_in, tgt_out;
};
Batch make_batch(const std::vector<const Pair*>& pairs);
std::vector<const Pair*> slice(const std::vector<Pair>& pairs, size_t begin, size_t end);  // pairs[begin, end)

// One epoch's training batches, the same for both models: TRAIN shuffled (Fisher-Yates) by a generator seeded by the
// seed and the epoch alone, so that a run resumed at an epoch boundary repeats the uninterrupted one; the reverse task
// draws fresh batches from that generator instead.
class EpochBatches {
 public:
  EpochBatches(const Corpus& c, int64_t batch_size, uint64_t seed, int64_t epoch);
  // Translate: the epoch's batch number `index`. Reverse: the next fresh batch (index unused).
  Batch batch(int64_t index);

 private:
  const Corpus& corpus_;
  int64_t batch_size_;
  Generator gen_;
  std::vector<size_t> order_;
};
std::vector<std::string> words(const data::Vocab& v, const std::vector<int64_t>& ids);
// Mean teacher-forced loss over TEST (batches of 128, no gradient), weighted by target tokens; batch_loss gives one
// batch's mean loss.
double test_loss(const Corpus& c, const std::function<double(const Batch&)>& batch_loss);

// The greedy score of the TEST sentences of one source length: BLEU (translate) or exact match (reverse).
struct LengthScore {
  int64_t length = 0;
  size_t sentences = 0;
  double score = 0;
};

// Everything one training run measured.
struct RunStats {
  std::string attention;
  std::vector<double> train_loss, test_loss;  // per epoch (translate) or per evaluation (reverse)
  std::vector<double> loss_x;                 // the step of each point
  double ms_per_step = 0, train_seconds = 0, first_loss = 0, last_loss = 0;
  int64_t steps = 0, params = 0;
  double wall_seconds = 0;  // training and evaluation of this model
  double val_loss = 0, bleu_greedy = 0, bleu_beam = 0, exact_greedy = 0, exact_beam = 0;
  std::vector<models::Hypothesis> greedy;  // one per test sentence, in file order
  std::vector<LengthScore> by_length;       // greedy, per source length (scores_by_length)
};

// Hypotheses as words (no <eos>), the form BLEU and test_hyp.txt take.
std::vector<data::Sentence> hypothesis_words(const Corpus& c, const std::vector<models::Hypothesis>& hyps);
// Corpus BLEU and exact match of one hypothesis per TEST sentence (file order).
std::pair<double, double> bleu_and_exact(const Corpus& c, const std::vector<data::Sentence>& hyps);
// The score per source length for every length that at least 20 TEST sentences have (2 in smoke runs), so that no
// point rests on a handful of sentences; hyps: one per TEST sentence, file order.
std::vector<LengthScore> scores_by_length(const Options& o, const Corpus& c, const std::vector<data::Sentence>& hyps);

// Trains a model on the corpus (or continues the one given with its optimizer state), evaluates it on TEST.
RunStats train_and_evaluate(const Options& o, const run::Cli& cli, const Corpus& corpus, models::Seq2Seq& model,
                            const std::string& checkpoint_path, const NamedTensors* resume_state,
                            const std::map<std::string, std::string>& progress);

// Figures and report.html for one run (and the comparison table when several runs are given).
void write_figures_and_report(const Options& o, const run::Cli& cli, const Corpus& corpus, const models::Seq2Seq& model,
                              const std::vector<RunStats>& runs, const run::Result& result);
// by_length.svg and by_length.tsv in dir: one line (and its rows) per (model name, scores); returns the SVG.
std::string write_by_length(const Options& o, const std::filesystem::path& dir,
                            const std::vector<std::pair<std::string, std::vector<LengthScore>>>& lines);
// --replot: redraws by_length.svg and by_length.tsv in --out from the test_hyp_<model>.txt files a --compare run left
// there (or a single run's test_hyp.txt), scored against the TEST split of --task/--data/--seed; without them, from
// the numbers of a by_length.tsv in --out (a committed figure's). No training.
int replot_by_length(const Options& o, const run::Cli& cli);
// An alignment heatmap and an attention flow of one decoded sentence -> (heatmap SVG, flow SVG).
std::pair<std::string, std::string> alignment_figures(const std::vector<std::string>& source, const data::Vocab& tgt,
                                                      const models::Hypothesis& h, const std::string& title);

// Tokenises, encodes and translates one sentence; prints it and writes translate.svg / translate_flow.svg.
int translate_sentence(const Options& o, const run::Cli& cli);

// --model transformer: the task's defaults (before with_defaults), the model's options, training + TEST scores, and
// the whole run (figures, report.html, result line).
Options transformer_defaults(Options o);
models::TransformerOptions transformer_options(const Options& o, const Corpus& c);
// train_transformer saves a checkpoint after every epoch into checkpoint_path (none if empty) and, with o.resume,
// first restores the model, Adam and the schedule from it.
RunStats train_transformer(const Options& o, const run::Cli& cli, const Corpus& corpus, models::Transformer& model,
                           const std::string& checkpoint_path);
int transformer_main(const Options& o, const run::Cli& cli);

// A task's defaults filled in.
Options with_defaults(Options o);
models::Seq2SeqOptions model_options(const Options& o, const Corpus& c, const std::string& attention);

}  // namespace glimpse::seq2seq_example
