// models::Seq2Seq: construction, the encoder, one decoder step with input feeding and attention, and the
// teacher-forced loss (decoding is in seq2seq_search.cpp, checkpoints in seq2seq_checkpoint.cpp).
//
// Where the time goes, and what is batched: the encoder's input projections are one GEMM per layer (nn::LSTM); the
// decoder's embedding half of the input gates is one GEMM for all target steps (embed_gates), so inside the loop only
// ctx_{t-1} W_ctxᵀ and s W_hhᵀ remain; additive attention projects the keys once per batch; the output layer is one
// GEMM over [B·T, Hd + De] after the loop, so the [B, T, V] logits meet the fused cross-entropy once.
#include "models/seq2seq.h"

#include <fmt/format.h>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_loss.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_shape.h"
#include "nn/attention.h"
#include "tensor/reduce.h"

namespace glimpse::models {
namespace {

const Seq2SeqOptions& checked(const Seq2SeqOptions& o) {
  check(o.src_vocab > 4 && o.tgt_vocab > 4, "Seq2Seq: src_vocab ({}) and tgt_vocab ({}) must count the 4 specials "
        "<pad> <bos> <eos> <unk> and at least one word", o.src_vocab, o.tgt_vocab);
  check(o.emb > 0 && o.hidden > 0 && o.layers > 0, "Seq2Seq: emb ({}), hidden ({}) and layers ({}) must be positive",
        o.emb, o.hidden, o.layers);
  bool known = false;
  for (const auto& n : attention_names()) known = known || n == o.attention;
  check(known, "Seq2Seq: unknown attention '{}'; choose one of additive, dot, general, concat, local, none",
        o.attention);
  check(o.dropout >= 0.0 && o.dropout < 1.0, "Seq2Seq: dropout must be in [0, 1), got {}", o.dropout);
  return o;
}

int64_t directions(const Seq2SeqOptions& o) { return o.bidirectional ? 2 : 1; }

}  // namespace

const std::vector<std::string>& attention_names() {
  static const std::vector<std::string> names{"none", "additive", "dot", "general", "concat", "local"};
  return names;
}

Seq2Seq::Seq2Seq(const Seq2SeqOptions& opts)
    : nn::Module("Seq2Seq"),
      options(checked(opts)),
      decoder_hidden(directions(opts) * opts.hidden),
      src_embedding(opts.src_vocab, opts.emb, /*padding_idx=*/0),
      tgt_embedding(opts.tgt_vocab, opts.emb, /*padding_idx=*/0),
      encoder(opts.emb, opts.hidden, {.num_layers = opts.layers, .batch_first = true, .bidirectional = opts.bidirectional}),
      cell(opts.emb + (opts.attention == "none" ? 0 : decoder_hidden), decoder_hidden),
      out((opts.attention == "none" ? 1 : 2) * decoder_hidden, opts.tgt_vocab) {
  const int64_t Hd = decoder_hidden;  // = De, the encoder's output size
  register_module("src_embedding", src_embedding);
  register_module("tgt_embedding", tgt_embedding);
  register_module("encoder", encoder);
  register_module("cell", cell);
  const std::string& a = options.attention;
  if (a == "additive") {
    additive = std::make_unique<nn::AdditiveAttention>(Hd, Hd, Hd, nn::AdditiveAttentionOptions{.query_bias = true});
    register_module("attention", *additive);
  } else if (a == "dot" || a == "general" || a == "concat") {
    luong = std::make_unique<nn::LuongAttention>(Hd, Hd, nn::LuongAttentionOptions{.score = a});
    register_module("attention", *luong);
  } else if (a == "local") {
    local = std::make_unique<nn::LocalAttention>(
        Hd, Hd, nn::LocalAttentionOptions{.mode = "local-p", .window = options.local_window, .score = "general"});
    register_module("attention", *local);
  }
  register_module("out", out);
}

// src: [B, S] int64, lengths: B -> states [B, S, De], keys, padding [B, S], the decoder's initial (s, c) [B, Hd]
Seq2Seq::Encoded Seq2Seq::encode(const Tensor& src, const std::vector<int64_t>& lengths) const {
  check(src.defined() && src.dim() == 2 && src.dtype() == kInt64,
        "Seq2Seq.encode: src must be [B, S] int64 token ids, got {}", src.defined() ? src.shape() : Shape{});
  const int64_t B = src.size(0), S = src.size(1);
  check(static_cast<int64_t>(lengths.size()) == B, "Seq2Seq.encode: {} lengths for a batch of {} sentences",
        lengths.size(), B);
  for (int64_t b = 0; b < B; ++b) {
    check(lengths[b] >= 1 && lengths[b] <= S, "Seq2Seq.encode: sentence {} has length {}; every source sentence needs "
          "1 to {} tokens (an empty sentence cannot be translated)", b, lengths[b], S);
  }
  Encoded enc;
  enc.lengths = lengths;
  Variable x = src_embedding.forward(src);  // [B, S, emb]
  if (options.dropout > 0.0) x = dropout(x, options.dropout, is_training());
  auto [states, final_state] = encoder.forward(x, {}, lengths);  // [B, S, De], ([L·D, B, H] x 2)
  enc.states = states.contiguous();
  // The last layer's final state, both directions side by side: [D, B, H] -> [B, D·H]
  const int64_t D = directions(options), L = options.layers;
  auto last_layer = [&](const Variable& s) {
    Variable top = s.narrow(0, (L - 1) * D, D);
    return D == 1 ? top.select(0, 0) : top.transpose(0, 1).reshape({B, D * options.hidden});
  };
  enc.state = {last_layer(final_state.first), last_layer(final_state.second)};
  enc.padding = nn::padding_mask_from_lengths(lengths, S);
  enc.keys = additive ? additive->project_keys(enc.states) : enc.states;  // W1·h once per batch, not once per step
  return enc;
}

Seq2Seq::DecoderState Seq2Seq::initial_state(const Encoded& enc) const {
  DecoderState st{enc.state, Variable()};
  if (has_attention()) st.context = Variable(zeros({enc.states.size(0), decoder_hidden}, enc.states.dtype()));
  return st;
}

// ids: [B, T] -> [B, T, 4Hd]
Variable Seq2Seq::embed_gates(const Tensor& ids) const {
  Variable e = tgt_embedding.forward(ids);  // [B, T, emb]
  if (options.dropout > 0.0) e = dropout(e, options.dropout, is_training());
  Variable g = matmul(e, cell.weight_ih.narrow(1, 0, options.emb).t());  // the embedding's columns of W_ih
  return g + (cell.bias_ih + cell.bias_hh);
}

// input_gates: [B, 4Hd] -> features [B, Hd + De] (or [B, Hd]), weights [B, S], state
Seq2Seq::StepFeatures Seq2Seq::advance(const Variable& input_gates, const DecoderState& state, const Encoded& enc,
                                       int64_t t, const Variable& w_context) const {
  Variable gates = input_gates;
  // Input feeding: the previous context enters the cell beside the embedding (its columns of W_ih, taken once per
  // batch by the caller: a view taken every step would send a full-size gradient of W_ih back every step).
  if (has_attention()) gates = gates + matmul(state.context, w_context.defined() ? w_context : context_weight());
  auto [h, c] = nn::lstm_cell(gates, cell.weight_hh, state.lstm);  // [B, Hd] each
  if (!has_attention()) return {h, Variable(), {{h, c}, Variable()}};
  nn::AttentionOutput a;
  if (additive) {
    a = additive->forward_projected(h, enc.keys, enc.states, enc.padding);
  } else if (luong) {
    a = luong->forward(h, enc.states, enc.states, enc.padding);
  } else {
    auto l = local->forward(h, enc.states, enc.states, enc.padding, t);
    a = {l.context, l.weights};
  }
  return {cat({h, a.context}, 1), a.weights, {{h, c}, a.context}};
}

// -> [De, 4Hd]: the context's columns of the cell's W_ih, transposed (a view)
Variable Seq2Seq::context_weight() const { return cell.weight_ih.narrow(1, options.emb, decoder_hidden).t(); }

// input_gates: [B, 4Hd] -> logits [B, V], weights [B, S], the next state
Seq2Seq::StepOutput Seq2Seq::decode_step(const Variable& input_gates, const DecoderState& state, const Encoded& enc,
                                         int64_t t) const {
  StepFeatures f = advance(input_gates, state, enc, t);
  return {out.forward(f.features), f.weights, f.state};
}

// src [B, S], tgt_in, tgt_out [B, T] -> [] mean cross-entropy over non-<pad> targets
Variable Seq2Seq::loss(const Tensor& src, const std::vector<int64_t>& src_lengths, const Tensor& tgt_in,
                       const Tensor& tgt_out, double teacher_forcing, Generator* gen) const {
  check(tgt_in.defined() && tgt_out.defined() && tgt_in.dim() == 2 && tgt_in.shape() == tgt_out.shape() &&
            tgt_in.dtype() == kInt64 && tgt_out.dtype() == kInt64,
        "Seq2Seq.loss: tgt_in and tgt_out must be int64 [B, T] of one shape, got {} and {}",
        tgt_in.defined() ? tgt_in.shape() : Shape{}, tgt_out.defined() ? tgt_out.shape() : Shape{});
  check(tgt_in.size(0) == src.size(0), "Seq2Seq.loss: {} source sentences but {} targets", src.size(0),
        tgt_in.size(0));
  check(teacher_forcing >= 0.0 && teacher_forcing <= 1.0, "Seq2Seq.loss: teacher_forcing must be in [0, 1], got {}",
        teacher_forcing);
  const int64_t B = tgt_in.size(0), T = tgt_in.size(1), V = options.tgt_vocab;
  const Encoded enc = encode(src, src_lengths);
  const Variable gates = embed_gates(tgt_in);  // [B, T, 4Hd]: every teacher-forced step's embedding half, one GEMM
  DecoderState state = initial_state(enc);
  const Variable w_context = has_attention() ? context_weight() : Variable();
  std::vector<Variable> features;
  Tensor predicted;  // the previous step's argmax, when some steps feed the model's own output
  Generator& g = gen ? *gen : default_generator();
  for (int64_t t = 0; t < T; ++t) {
    const bool own = t > 0 && teacher_forcing < 1.0 && g.uniform() >= teacher_forcing;
    const Variable in = own ? embed_gates(predicted.unsqueeze(1)).select(1, 0) : gates.select(1, t);
    StepFeatures f = advance(in, state, enc, t, w_context);
    if (teacher_forcing < 1.0) predicted = argmax(out.forward(f.features).data(), 1);  // no gradient through it
    features.push_back(f.features);
    state = f.state;
  }
  Variable f = stack(features, 1);  // [B, T, F]
  if (options.dropout > 0.0) f = dropout(f, options.dropout, is_training());
  Variable logits = out.forward(f);  // [B, T, V], one GEMM for every step
  return cross_entropy(logits.reshape({B * T, V}), tgt_out.reshape({B * T}), {.ignore_index = 0});
}

std::string Seq2Seq::extra_repr() const {
  return fmt::format("attention={}, emb={}, hidden={}, layers={}{}", options.attention, options.emb, options.hidden,
                     options.layers, options.bidirectional ? ", bidirectional=True" : "");
}

}  // namespace glimpse::models
