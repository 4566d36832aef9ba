// The two tasks' data: synthetic digit reversal, and the English->French protocol of issue 12 (tokenizer, every
// tenth line TEST, vocabularies from TRAIN only).
#include <set>

#include "data/translation_pairs.h"
#include "seq2seq_example.h"
#include "tensor/random.h"

namespace glimpse::seq2seq_example {
namespace {

constexpr int64_t kMinDigits = 5, kMaxDigits = 12;

data::Vocab digit_vocab() {
  std::vector<std::string> tokens{"<pad>", "<bos>", "<eos>", "<unk>"};
  for (int d = 0; d < 10; ++d) tokens.push_back(std::to_string(d));
  return data::Vocab::from_tokens(tokens);
}

Pair random_reversal(const data::Vocab& v, Generator& gen) {
  Pair p;
  const int64_t n = kMinDigits + static_cast<int64_t>(gen.uniform() * (kMaxDigits - kMinDigits + 1));
  for (int64_t i = 0; i < n; ++i) {
    const int digit = static_cast<int>(gen.uniform() * 10);
    p.src_tokens.push_back(std::to_string(digit));
  }
  p.tgt_tokens.assign(p.src_tokens.rbegin(), p.src_tokens.rend());
  p.src = v.encode(p.src_tokens);
  p.tgt = v.encode(p.tgt_tokens);
  return p;
}

}  // namespace

std::string reversal_key(const Pair& p) {
  std::string k;
  for (const auto& t : p.src_tokens) k += t;
  return k;
}

Corpus make_reverse_corpus(const Options& o, uint64_t seed) {
  Corpus c;
  Generator gen(seed);
  c.synthetic = true;
  c.src_vocab = digit_vocab();
  c.tgt_vocab = digit_vocab();
  std::set<std::string> seen;
  const size_t n_test = o.smoke ? 50 : 500;
  while (c.test.size() < n_test) {  // 500 distinct held-out sequences
    Pair p = random_reversal(c.src_vocab, gen);
    if (seen.insert(reversal_key(p)).second) c.test.push_back(std::move(p));
  }
  c.test_keys = std::move(seen);
  return c;
}

std::vector<Pair> reverse_batch(const Corpus& c, int64_t batch_size, Generator& gen) {
  std::vector<Pair> batch;
  while (static_cast<int64_t>(batch.size()) < batch_size) {
    Pair p = random_reversal(c.src_vocab, gen);
    if (!c.test_keys.count(reversal_key(p))) batch.push_back(std::move(p));  // never train on a held-out sequence
  }
  return batch;
}

Corpus make_translate_corpus(const Options& o) {
  data::TranslationCorpus pairs = data::read_translation_pairs(o.data);
  if (o.smoke && pairs.size() > 600) pairs.resize(600);  // the shortest sentences come first in Tatoeba's list
  const data::TranslationSplit split = data::split_every_tenth(pairs);
  Corpus c;
  std::vector<std::vector<std::string>> src_train, tgt_train;
  for (const auto& p : split.train) {
    src_train.push_back(p.source_tokens);
    tgt_train.push_back(p.target_tokens);
  }
  c.src_vocab = data::Vocab::build(src_train);
  c.tgt_vocab = data::Vocab::build(tgt_train);
  auto convert = [&](const data::TranslationCorpus& in, std::vector<Pair>& out) {
    for (const auto& p : in) {
      out.push_back({c.src_vocab.encode(p.source_tokens), c.tgt_vocab.encode(p.target_tokens), p.source_tokens,
                     p.target_tokens});
    }
  };
  convert(split.train, c.train);
  convert(split.test, c.test);
  return c;
}

Options with_defaults(Options o) {
  const bool reverse = o.task == "reverse";
  if (o.steps == 0) o.steps = 1500;
  if (o.epochs == 0) o.epochs = 10;
  if (o.batch_size == 0) o.batch_size = reverse ? 32 : 64;
  if (o.emb == 0) o.emb = reverse ? 32 : 128;
  if (o.hidden == 0) o.hidden = reverse ? 64 : 256;
  if (o.lr == 0.0) o.lr = reverse ? 3e-3 : 1e-3;
  if (o.max_len == 0) o.max_len = reverse ? kMaxDigits + 1 : 20;
  if (o.smoke) {  // seconds, even under sanitizers
    o.steps = std::min<int64_t>(o.steps, 60);
    o.epochs = std::min<int64_t>(o.epochs, 2);
    o.batch_size = std::min<int64_t>(o.batch_size, 16);
    o.emb = std::min<int64_t>(o.emb, 16);
    o.hidden = std::min<int64_t>(o.hidden, 32);
    if (!reverse) o.lr = std::max(o.lr, 3e-3);
  }
  return o;
}

models::Seq2SeqOptions model_options(const Options& o, const Corpus& c, const std::string& attention) {
  return {.src_vocab = c.src_vocab.size(), .tgt_vocab = c.tgt_vocab.size(), .emb = o.emb, .hidden = o.hidden,
          .layers = o.layers, .bidirectional = o.bidirectional, .attention = attention};
}

}  // namespace glimpse::seq2seq_example
