// models::Seq2Seq: an LSTM encoder-decoder with attention (Bahdanau et al. 2014; Luong et al. 2015), the model of
// the neural machine translation tutorials, in every score-function flavour.
//
//   encoder  Embedding -> LSTM (layers, bidirectional) over the padded source with its lengths, so padding never
//            changes a real position and the final state is each sentence's own
//   decoder  one LSTM cell with input feeding: at step t it reads [embedding(y_{t-1}); ctx_{t-1}] and its state s_t
//            asks the attention for a fresh context ctx_t over the encoder states (source padding masked);
//            the output layer reads [s_t; ctx_t]
//   attention  "additive" (vᵀ tanh(W1 h + W2 s + b), keys projected once per batch), "dot" (sᵀh), "general"
//            (sᵀWh), "concat" (vᵀ tanh(W[s; h])), "local" (Luong's local-p window), or "none": the classic fixed-context
//            encoder-decoder, whose decoder sees the source only through the encoder's final state
//
//   models::Seq2Seq model({.src_vocab = 4000, .tgt_vocab = 6000, .attention = "additive"});
//   Variable loss = model.loss(src, src_lengths, tgt_in, tgt_out);        // teacher forcing, <pad> ignored
//   std::vector<models::Hypothesis> hyps = model.greedy(src, src_lengths, {.max_len = 20});
//   std::vector<models::Hypothesis> best = model.beam_search(src, src_lengths, {.beam_size = 5});
//
// Sizes: the decoder's hidden size is the encoder's output size (D·hidden, D = 2 if bidirectional), so the encoder's
// final state (both directions concatenated, last layer) starts the decoder as it is and "dot" needs no projection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/additive_attention.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/local_attention.h"
#include "nn/lstm.h"
#include "nn/luong_attention.h"
#include "nn/module.h"

namespace glimpse::models {

struct Seq2SeqOptions {
  int64_t src_vocab = 0, tgt_vocab = 0;  // vocabulary sizes, <pad> = 0, <bos> = 1, <eos> = 2 (data::Vocab)
  int64_t emb = 128;                      // embedding size, both sides
  int64_t hidden = 256;                   // encoder LSTM size per direction
  int64_t layers = 1;                     // encoder LSTM layers
  bool bidirectional = false;
  std::string attention = "additive";     // additive | dot | general | concat | local | none
  int64_t local_window = 10;              // D of local attention (the window is 2D + 1 source positions)
  double dropout = 0.0;                   // on the embeddings and on [s_t; ctx_t], in training only
};

// The valid --attention names, in the order --compare runs them.
const std::vector<std::string>& attention_names();

// One decoded sentence: token ids (without <bos>, without <eos>), and for every emitted token (the final <eos>
// included, when one was emitted) the attention weights over the source's real positions: weights[i] has
// source-length numbers ("none" gives no weights).
struct Hypothesis {
  std::vector<int64_t> tokens;
  std::vector<std::vector<float>> weights;
  double log_prob = 0.0;  // sum of the log-probabilities of the emitted tokens (<eos> included)
  bool finished = false;  // ended with <eos> (false: stopped at max_len)
};

struct GreedyOptions {
  int64_t max_len = 20;  // tokens emitted at most (an <eos> counts)
};

struct BeamOptions {
  int64_t beam_size = 5;
  int64_t max_len = 20;
  double length_penalty = 1.0;  // rank finished hypotheses by log_prob / length^length_penalty (0 = raw log_prob)
};

class Seq2Seq : public nn::Module {
 public:
  explicit Seq2Seq(const Seq2SeqOptions& options);

  // What the encoder gives the decoder.
  struct Encoded {
    Variable states;                 // [B, S, De]: the encoder's output at every source position (0 at padding)
    Variable keys;                   // [B, S, *]: what the score reads (additive: W1·states, once per batch)
    Tensor padding;                  // [B, S] int64, 1 at padding
    std::vector<int64_t> lengths;    // B source lengths
    nn::LSTMState state;             // the decoder's initial state: ([B, Hd], [B, Hd])
  };
  // src: [B, S] int64, lengths: B numbers in [1, S] -> Encoded
  Encoded encode(const Tensor& src, const std::vector<int64_t>& lengths) const;

  // One decoder step. The state carries (s, c) and the previous context.
  struct DecoderState {
    nn::LSTMState lstm;  // ([B, Hd], [B, Hd])
    Variable context;    // [B, De] (zeros before the first step; undefined with attention "none")
  };
  struct StepOutput {
    Variable logits;   // [B, tgt_vocab]
    Variable weights;  // [B, S] (undefined with attention "none")
    DecoderState state;
  };
  // input_gates: [B, 4Hd], the embedding's half of the cell's input gates (from embed_gates); t: the target
  // position (local attention's first_position) -> logits [B, V], weights [B, S], the next state
  StepOutput decode_step(const Variable& input_gates, const DecoderState& state, const Encoded& enc, int64_t t) const;
  // ids: [B, T] int64 -> [B, T, 4Hd]: embedding(ids) W_ih[:, :emb]ᵀ + b_ih + b_hh, every step in one GEMM
  Variable embed_gates(const Tensor& ids) const;
  // The decoder's state before the first step.
  DecoderState initial_state(const Encoded& enc) const;

  // Teacher-forced training loss: src [B, S], tgt_in [B, T] (<bos> y_1 .. y_{T-1}), tgt_out [B, T] (y_1 .. <eos>),
  // <pad> (0) where a target is shorter. teacher_forcing < 1 feeds, at each step with that probability, the
  // model's own previous argmax instead of tgt_in (one draw per step for the whole batch, from `gen`).
  // -> mean cross-entropy over the non-<pad> targets
  Variable loss(const Tensor& src, const std::vector<int64_t>& src_lengths, const Tensor& tgt_in, const Tensor& tgt_out,
                double teacher_forcing = 1.0, Generator* gen = nullptr) const;

  // Batched decoding (no gradients). src [B, S], lengths -> B hypotheses, in the batch's order.
  std::vector<Hypothesis> greedy(const Tensor& src, const std::vector<int64_t>& lengths,
                                 const GreedyOptions& options = {}) const;
  std::vector<Hypothesis> beam_search(const Tensor& src, const std::vector<int64_t>& lengths,
                                      const BeamOptions& options = {}) const;

  std::string extra_repr() const override;

  Seq2SeqOptions options;
  int64_t decoder_hidden;  // Hd = D·hidden
  nn::Embedding src_embedding, tgt_embedding;
  nn::LSTM encoder;
  nn::LSTMCell cell;  // input [emb + De] (input feeding) or [emb] (attention "none")
  std::unique_ptr<nn::AdditiveAttention> additive;
  std::unique_ptr<nn::LuongAttention> luong;  // dot, general, concat
  std::unique_ptr<nn::LocalAttention> local;
  nn::Linear out;  // [Hd + De] -> V ([Hd] -> V for "none")

 private:
  bool has_attention() const { return options.attention != "none"; }
  // One step without the output layer: [s_t; ctx_t] (or s_t), so that training runs the output layer once for all.
  struct StepFeatures {
    Variable features;  // [B, Hd + De] ([B, Hd] for "none")
    Variable weights;   // [B, S]
    DecoderState state;
  };
  StepFeatures advance(const Variable& input_gates, const DecoderState& state, const Encoded& enc, int64_t t,
                       const Variable& w_context = Variable()) const;
  Variable context_weight() const;
};

}  // namespace glimpse::models
