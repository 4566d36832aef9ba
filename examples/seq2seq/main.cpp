// examples/seq2seq: an LSTM encoder-decoder with attention, on two tasks, with every score function.
//
//   --task reverse    reverse sequences of 5-12 random digits (500 held-out sequences never trained on); the result
//                     line's exact_match is greedy decoding's on them. Defaults: batch 32, emb 32, hidden 64, Adam
//                     3e-3, clip 1.0, 1500 steps.
//   --task translate  English -> French on --data (default: ../shared/data/eng-fra.tsv beside the project, see
//                     default_data below) with the protocol of issue 12: every tenth line is TEST, vocabularies from
//                     TRAIN, emb 128, LSTM 256, input feeding, additive attention, batch 64, Adam 1e-3, clip 1.0,
//                     10 epochs; BLEU-4 of greedy decoding (and of beam search) on TEST.
// Writes into --out (default runs/seq2seq): alignment_*.svg and flow_*.svg (a few TEST sentences), loss.svg,
// by_length.svg (the score against source length, per attention), test_hyp.txt, checkpoint.safetensors (model,
// optimizer, vocabularies, options), report.html. `--compare` trains every --attention choice on the same data and
// seed and tabulates them. `--translate "I am cold."` translates with --checkpoint (no training) and writes its
// alignment, flow and report into <out>/translate/. `--resume` continues training from --checkpoint. by_length.tsv
// holds the numbers of by_length.svg; `--replot` redraws both from a finished run's test_hyp files (no training).
//
//   ./build/examples/seq2seq --task reverse
//   ./build/examples/seq2seq --task translate --epochs 10
//   ./build/examples/seq2seq --task translate --translate "Where is the station?"
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "data/batch.h"
#include "data/shared_data.h"
#include "data/tokenizer.h"
#include "data_parallel.h"
#include "models/seq2seq_checkpoint.h"
#include "models/transformer_checkpoint.h"
#include "seq2seq_example.h"
#include "tensor/parallel.h"
#include "viz/report.h"
#include "viz/svg.h"

using namespace glimpse;
using namespace glimpse::seq2seq_example;

namespace {

void check_same_vocab(const data::Vocab& saved, const data::Vocab& now, const char* side, const std::string& path) {
  check(saved.tokens() == now.tokens(), "--resume: the checkpoint '{}' has a {} vocabulary of {} tokens but --data "
        "gives {} (different data or task); resume with the data it was trained on, or train afresh", path, side,
        saved.size(), now.size());
}

int train_main(Options o, const run::Cli& cli) {
  const auto wall_start = std::chrono::steady_clock::now();
  const Corpus corpus = o.task == "reverse" ? make_reverse_corpus(o, cli.seed) : make_translate_corpus(o);
  fmt::print("seq2seq {}: {} train{} / {} test pairs, vocabularies {} / {}; emb {}, hidden {}, batch {}, Adam {}, "
             "clip {}, {} {}\n", o.task, corpus.synthetic ? std::string("fresh") : std::to_string(corpus.train.size()),
             corpus.synthetic ? " batches" : "", corpus.test.size(), corpus.src_vocab.size(), corpus.tgt_vocab.size(),
             o.emb, o.hidden, o.batch_size, o.lr, o.clip, o.task == "reverse" ? o.steps : o.epochs,
             o.task == "reverse" ? "steps" : "epochs");
  std::vector<RunStats> runs;
  std::unique_ptr<models::Seq2Seq> main_model;
  const std::vector<std::string> choices =
      o.compare ? models::attention_names() : std::vector<std::string>{o.attention};
  for (const std::string& a : choices) {
    manual_seed(cli.seed);  // every choice starts from the same seed
    std::unique_ptr<models::Seq2Seq> model;
    NamedTensors opt_state;
    std::map<std::string, std::string> progress;
    const std::string path = o.compare ? (cli.out / fmt::format("checkpoint_{}.safetensors", a)).string() : o.checkpoint;
    if (o.resume) {
      models::LoadedSeq2Seq ck = models::load_seq2seq(path);
      check_same_vocab(ck.src_vocab, corpus.src_vocab, "source", path);
      check_same_vocab(ck.tgt_vocab, corpus.tgt_vocab, "target", path);
      model = std::move(ck.model);
      opt_state = std::move(ck.optimizer_state);
      progress = ck.progress;
      fmt::print("resuming {} from {} at step {}\n", model->options.attention, path, progress["step"]);
    } else {
      model = std::make_unique<models::Seq2Seq>(model_options(o, corpus, a));
    }
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const auto run_start = std::chrono::steady_clock::now();
    runs.push_back(train_and_evaluate(o, cli, corpus, *model, path, o.resume ? &opt_state : nullptr, progress));
    runs.back().wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
    runs.back().params = model->num_parameters();
    if (!main_model || a == o.attention) main_model = std::move(model);
  }
  if (o.compare && !o.resume) {  // the Transformer's row, with its own task defaults, same data and seed
    Options t = o;
    t.lr = 0.0;
    t.layers = 0;
    if (!o.steps_given) t.steps = 0;
    if (!o.epochs_given) t.epochs = 0;
    t = transformer_defaults(t);
    manual_seed(cli.seed);
    models::Transformer transformer(transformer_options(t, corpus));
    runs.push_back(train_transformer(t, cli, corpus, transformer,
                                     (cli.out / "checkpoint_transformer.safetensors").string()));
  }
  const RunStats& r = *std::find_if(runs.begin(), runs.end(), [&](const RunStats& s) {
    return s.attention == main_model->options.attention;
  });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  run::Result result;
  result.add("task", o.task).add("attention", r.attention).add("val_loss", r.val_loss);
  if (o.task == "reverse") {
    result.add("exact_match", r.exact_greedy).add("exact_match_beam", r.exact_beam);
  } else {
    result.add("bleu", r.bleu_greedy).add("bleu_beam", r.bleu_beam).add("exact_match", r.exact_greedy);
  }
  result.add("ms_per_step", r.ms_per_step).add("steps", r.steps).add("train_seconds", r.train_seconds)
      .add("wall_seconds", wall).add("first_loss", r.first_loss).add("last_loss", r.last_loss);
  if (!distributed::is_main()) return 0;  // rank 0 alone writes and reports
  write_figures_and_report(o, cli, corpus, *main_model, runs, result);
  fmt::print("wrote {}/report.html, test_hyp.txt, loss.svg, by_length.svg/.tsv, alignment_*.svg; checkpoint {}\n",
             cli.out.string(), o.compare ? (cli.out / "checkpoint_<attention>.safetensors").string() : o.checkpoint);
  result.print();
  return 0;
}

}  // namespace

namespace glimpse::seq2seq_example {

int translate_sentence(const Options& o, const run::Cli& cli) {
  // The checkpoint holds an LSTM seq2seq or a Transformer (whichever trained it); both decode with the same calls.
  std::unique_ptr<models::Seq2Seq> lstm;
  std::unique_ptr<models::Transformer> transformer;
  data::Vocab src_vocab, tgt_vocab;
  if (models::is_transformer_checkpoint(o.checkpoint)) {
    models::LoadedTransformer ck = models::load_transformer(o.checkpoint);
    transformer = std::move(ck.model);
    transformer->eval();
    src_vocab = std::move(ck.src_vocab);
    tgt_vocab = std::move(ck.tgt_vocab);
  } else {
    models::LoadedSeq2Seq ck = models::load_seq2seq(o.checkpoint);
    lstm = std::move(ck.model);
    lstm->eval();
    src_vocab = std::move(ck.src_vocab);
    tgt_vocab = std::move(ck.tgt_vocab);
  }
  const std::string model_name = transformer ? "transformer" : lstm->options.attention;
  const std::vector<std::string> words = data::tokenize(o.translate);
  check(!words.empty(), "--translate: '{}' has no words; give a sentence, e.g. --translate \"I am cold.\"",
        o.translate);
  for (const auto& w : words) {
    if (!src_vocab.contains(w)) fmt::print("note: '{}' is not in the source vocabulary; it is read as <unk>\n", w);
  }
  const data::PaddedBatch src = data::pad_batch({src_vocab.encode(words)});
  const models::GreedyOptions greedy{.max_len = o.max_len};
  const models::BeamOptions beam{.beam_size = o.beam, .max_len = o.max_len, .length_penalty = o.length_penalty};
  const models::Hypothesis g = transformer ? transformer->greedy(src.ids, src.lengths, greedy)[0]
                                           : lstm->greedy(src.ids, src.lengths, greedy)[0];
  const models::Hypothesis b = transformer ? transformer->beam_search(src.ids, src.lengths, beam)[0]
                                           : lstm->beam_search(src.ids, src.lengths, beam)[0];
  auto text = [&](const models::Hypothesis& h) { return data::join_tokens(tgt_vocab.decode(h.tokens)); };
  fmt::print("source: {}\ngreedy: {}\nbeam {}: {}\n", data::join_tokens(words), text(g), o.beam, text(b));
  // Into <out>/translate/, so that translating never overwrites the training run's report beside the checkpoint.
  const std::filesystem::path out = cli.out / "translate";
  viz::Report report("Seq2seq: one translation");
  report.command(cli.command()).text(fmt::format("greedy: {} / beam {}: {}", text(g), o.beam, text(b)));
  run::Result result;
  result.add("translation", std::to_string(g.tokens.size()) + "_words").add("attention", model_name);
  if (!g.weights.empty() && !g.weights[0].empty()) {
    const auto [heat, flow] = alignment_figures(words, tgt_vocab, g, data::join_tokens(words));
    viz::save(out / "alignment.svg", heat);
    viz::save(out / "flow.svg", flow);
    report.figure(heat, "Alignment (greedy)").figure(flow, "Attention flow");
  }
  report.save(out / "report.html");
  fmt::print("wrote {}/report.html, alignment.svg, flow.svg\n", out.string());
  result.print();
  return 0;
}

}  // namespace glimpse::seq2seq_example

int main(int argc, char** argv) {
  RankSession mpi(argc, argv);  // data-parallel under mpirun (data_parallel.h); a world of one without it
  run::Cli cli("seq2seq", "An LSTM encoder-decoder with attention: reverse digit sequences or translate English to "
                          "French, with alignment heatmaps, beam search and every attention score function.");
  Options o;
  cli.add("--task", o.task, "reverse | translate")->check(CLI::IsMember({"reverse", "translate"}));
  cli.add("--data", o.data, "translate: tab-separated pairs (default <project>/../shared/data/eng-fra.tsv)");
  cli.add("--attention", o.attention, "additive | dot | general | concat | local | none")
      ->check(CLI::IsMember(models::attention_names()));
  cli.add("--steps", o.steps, "reverse: optimizer steps (default 1500)")->check(run::positive());
  cli.add("--epochs", o.epochs, "translate: passes over TRAIN (default: LSTM 10, transformer 6)")
      ->check(run::positive());
  cli.add("--max-steps", o.max_steps, "stop training after this many steps (0: no limit; a benchmark's short "
          "run)")->check(run::non_negative());
  cli.add("--batch-size", o.batch_size, "sentences per step (0: task default, 32 / 64)")->check(run::non_negative());
  cli.add("--emb", o.emb, "embedding size (0: task default, 32 / 128)")->check(run::non_negative());
  cli.add("--hidden", o.hidden, "encoder LSTM size (0: task default, 64 / 256)")->check(run::non_negative());
  cli.add("--lr", o.lr, "Adam learning rate (0: task default, 3e-3 / 1e-3); transformer: multiplies the warm-up "
          "schedule (0: 0.15 / 0.5)")->check(run::non_negative());
  cli.add("--clip", o.clip, "gradient clipping (max global norm)")->check(run::positive());
  cli.add("--teacher-forcing", o.teacher_forcing, "probability of feeding the true previous word")
      ->check(CLI::Range(0.0, 1.0));
  cli.add("--layers", o.layers, "encoder LSTM layers (0: 1); transformer: encoder and decoder layers (0: 3 / 2)")
      ->check(run::non_negative());
  cli.add("--model", o.model, "lstm | transformer")->check(CLI::IsMember({"lstm", "transformer"}));
  cli.add("--d-model", o.d_model, "transformer: model width (0: task default, 64 / 128)")->check(run::non_negative());
  cli.add("--heads", o.heads, "transformer: attention heads")->check(run::positive());
  cli.add("--ff", o.ff, "transformer: feed-forward inner size (0: 4 d_model)")->check(run::non_negative());
  cli.add("--dropout", o.dropout, "transformer: dropout (default: 0 reverse, 0.1 translate)")
      ->check(CLI::Range(0.0, 0.99));
  cli.add("--label-smoothing", o.label_smoothing, "transformer: label smoothing of the loss (default 0 / 0.1)")
      ->check(CLI::Range(0.0, 0.99));
  cli.add("--warmup", o.warmup, "transformer: warm-up steps of the paper's schedule (0: 400)")
      ->check(run::non_negative());
  cli.add("--norm", o.norm, "transformer: post (LayerNorm after each residual, the paper's) | pre (before each "
          "sub-layer); default post")->check(CLI::IsMember({"post", "pre"}));
  cli.add_flag("--pre-norm", o.pre_norm, "transformer: short for --norm pre");
  cli.add_flag("--bidirectional", o.bidirectional, "bidirectional encoder");
  cli.add("--beam", o.beam, "beam size for the beam-search scores (1: greedy only)")->check(run::positive());
  cli.add("--length-penalty", o.length_penalty, "beam: rank by log_prob / length^this")->check(run::non_negative());
  cli.add("--max-len", o.max_len, "longest output (0: task default, 13 / 20)")->check(run::non_negative());
  cli.add("--translate", o.translate, "translate this sentence with --checkpoint, no training");
  cli.add("--checkpoint", o.checkpoint, "checkpoint file (default <out>/checkpoint.safetensors)");
  cli.add_flag("--resume", o.resume, "continue training from --checkpoint");
  cli.add_flag("--profile", o.profile, "print where one training step's time and memory go, op by op (the tape "
               "inspector; also <out>/profile.txt and profile.svg)");
  cli.add_flag("--compare", o.compare, "train every --attention choice on the same data and seed, one table");
  cli.add_flag("--replot", o.replot, "no training: redraw by_length.svg and by_length.tsv in --out from the "
               "test_hyp_<model>.txt files a finished run left there (give its --task, --data and --seed), else from its "
               "by_length.tsv");
  if (auto code = cli.parse(argc, argv)) return *code;
  o.smoke = cli.smoke;
  o.steps_given = cli.app().count("--steps") > 0;
  o.epochs_given = cli.app().count("--epochs") > 0;
  if (o.data.empty()) o.data = data::shared_data_path(argc > 0 ? argv[0] : "", "eng-fra.tsv").string();
  if (o.checkpoint.empty()) o.checkpoint = (cli.out / "checkpoint.safetensors").string();
  if (o.model == "transformer") {
    if (o.pre_norm && o.norm == "post") {
      fmt::print(stderr, "seq2seq: --pre-norm and --norm post contradict each other; give one of them\n");
      return 2;
    }
    o = transformer_defaults(o);
    if (o.d_model % o.heads != 0 || o.d_model % 2 != 0) {
      fmt::print(stderr, "seq2seq: --d-model {} must be even and a multiple of --heads {}\n", o.d_model, o.heads);
      return 2;
    }
  }
  if (o.layers == 0) o.layers = 1;
  o = with_defaults(o);
  if (!distributed::is_main()) o.profile = false;  // one table, from rank 0
  return mpi.guarded(cli.name(), [&] {
    if (o.replot) return distributed::is_main() ? replot_by_length(o, cli) : 0;
    if (o.model == "transformer") {
      check(!o.compare, "--model transformer: --compare trains the LSTM variants; without --model it adds the "
            "Transformer's row to their table");
      if (o.translate.empty()) return transformer_main(o, cli);
    }
    if (!o.translate.empty()) return distributed::is_main() ? translate_sentence(o, cli) : 0;
    return train_main(o, cli);
  });
}
