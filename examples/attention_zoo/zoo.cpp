// The attention zoo's variants: each builds its layer, (trains it to align when it has parameters), and keeps the
// weights with a formula and a sentence on what the variant is for.
#include "zoo.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace zoo {

using namespace glimpse;

namespace {

constexpr int64_t kDim = 16;

// [1, *, Tq, Tk] or [1, Tq, Tk] weights -> [Tq, Tk], detached.
Tensor matrix(const Variable& w) {
  Tensor t = w.data();
  while (t.dim() > 2) t = t.select(0, 0);
  return t.contiguous();
}

// Trains `params` with Adam so that the weights fn() returns ([1, 5, 7]) put their mass on the aligned source
// words: the loss is the mean of -log(weight of the aligned word). Returns {first, last} loss.
std::pair<double, double> train_to_align(const std::function<Variable()>& fn, const std::vector<Variable>& params,
                                         const Inputs& in, int steps, double lr) {
  std::vector<double> onehot(in.target.size() * in.source.size(), 0.0);
  for (size_t i = 0; i < in.target.size(); ++i) onehot[i * in.source.size() + in.alignment[i]] = 1.0;
  const Variable target(tensor(onehot, {1, static_cast<int64_t>(in.target.size()), static_cast<int64_t>(in.source.size())}));
  optim::Adam opt(params, {.lr = lr});
  double first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    Variable loss = -sum(target * log(fn() + 1e-6)) / static_cast<double>(in.target.size());
    if (s == 0) first = loss.item<double>();
    last = loss.item<double>();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  if (steps > 0) {
    NoGradGuard no_grad;
    last = (-sum(target * log(fn() + 1e-6)) / static_cast<double>(in.target.size())).item<double>();
  }
  return {first, last};
}

}  // namespace

Inputs make_inputs() {
  Inputs in;
  in.source = {"I", "love", "machine", "learning", "and", "artificial", "intelligence"};
  in.target = {"J'", "aime", "l'", "apprentissage", "automatique"};
  in.alignment = {0, 1, 3, 3, 2};  // l' goes with the noun it introduces, apprentissage = learning
  in.padded_source = {"I", "love", "learning", "<pad>", "<pad>", "<pad>", "<pad>"};
  manual_seed(0);
  // Scales chosen so the plain dot score prefers the aligned word clearly (~0.7) but not absolutely, and the scaled
  // score visibly less: |k|² ≈ 4, q·k ≈ 3.2 for the aligned word and ~N(0, 1) for the others.
  const Tensor keys = randn({7, kDim}) * 0.5;
  const Tensor noise = randn({5, kDim}) * 0.3;
  const Tensor aligned = index_select(keys, 0, tensor(in.alignment));
  in.keys = Variable(keys.reshape({1, 7, kDim}));
  in.queries = Variable((aligned * 0.8 + noise).reshape({1, 5, kDim}));
  const Tensor pad = randn({4, kDim}) * 0.5;
  const Tensor kept = index_select(keys, 0, tensor(std::vector<int64_t>{0, 1, 3}));
  in.padded_keys = Variable(cat({kept, pad}, 0).reshape({1, 7, kDim}));
  return in;
}

std::vector<Entry> build(const Inputs& in, int steps, Training& training) {
  std::vector<Entry> out;
  const Variable& q = in.queries;
  const Variable& k = in.keys;
  // A small learning rate, so that a few dozen steps show the alignment forming rather than a wall of one-hot rows.
  auto trained = [&](const std::function<Variable()>& fn, const std::vector<Variable>& params, double lr = 5e-3) {
    const auto [first, last] = train_to_align(fn, params, in, steps, lr);
    training.first_loss += first;
    training.last_loss += last;
    ++training.layers;
    return fmt::format("trained {} Adam steps to align (loss {:.3f} -> {:.3f})", steps, first, last);
  };
  auto add = [&](Entry e, const Variable& w) {
    e.weights = matrix(w);
    if (e.rows.empty()) e.rows = in.target;
    if (e.cols.empty()) e.cols = in.source;
    out.push_back(std::move(e));
  };
  manual_seed(1);

  nn::AdditiveAttention additive(kDim, kDim, kDim);
  const std::string additive_note = trained([&] { return additive.forward(q, k, k).weights; }, additive.parameters());
  add({"additive", "additive (Bahdanau)", "score(q, k) = vᵀ tanh(W1 k + W2 q)",
       "A small network judges each (query, key) pair, so query and key sizes may differ; Bahdanau's decoder uses "
       "its previous state as the query.", additive_note},
      additive.forward(q, k, k).weights);

  nn::LuongAttention dot(kDim, kDim, {.score = "dot"});
  add({"dot", "dot (Luong)", "score(q, k) = qᵀ k",
       "No parameters: similar vectors score high. Needs equal sizes; unscaled, so long vectors give peaked weights.",
       "no parameters"},
      dot.forward(q, k, k).weights);

  nn::LuongAttention general(kDim, kDim, {.score = "general"});
  const std::string general_note = trained([&] { return general.forward(q, k, k).weights; }, general.parameters());
  add({"general", "general (Luong)", "score(q, k) = qᵀ W k",
       "A learned bilinear form: the model decides which directions of q and k should match.", general_note},
      general.forward(q, k, k).weights);

  nn::LuongAttention concat(kDim, kDim, {.score = "concat"});
  const std::string concat_note = trained([&] { return concat.forward(q, k, k).weights; }, concat.parameters());
  add({"concat", "concat (Luong)", "score(q, k) = vᵀ tanh(W [q; k])",
       "Luong's version of the additive score: one layer over the concatenated pair.", concat_note},
      concat.forward(q, k, k).weights);

  add({"scaled_dot", "scaled dot-product", "score(q, k) = qᵀ k / √d",
       "The Transformer's score: dividing by √d keeps the softmax from saturating as the size d grows.",
       "no parameters"},
      nn::scaled_dot_product_attention(q, k, k).weights);

  nn::MultiheadAttention self_mha(kDim, 2, {.batch_first = true});
  const Variable self_w = self_mha.forward(k, k, k).weights;  // [1, 2, 7, 7]
  for (int h = 0; h < 2; ++h) {
    add({fmt::format("multihead_self_head{}", h), fmt::format("multi-head self-attention, head {}", h),
         "per head: softmax(q_h k_hᵀ / √(d/H)), q_h = x W_q,h, k_h = x W_k,h",
         "Every source word looks at every other; each head has its own projections and so its own pattern.",
         "untrained (xavier-initialised projections)", Tensor(), in.source, in.source},
        self_w.select(1, h));
  }

  nn::MultiheadAttention cross_mha(kDim, 2, {.batch_first = true});
  const std::string cross_note = trained(
      [&] { return cross_mha.forward(q, k, k, {.average_attn_weights = true}).weights; }, cross_mha.parameters());
  const Variable cross_w = cross_mha.forward(q, k, k).weights;  // [1, 2, 5, 7]
  for (int h = 0; h < 2; ++h) {
    add({fmt::format("multihead_cross_head{}", h), fmt::format("multi-head cross-attention, head {}", h),
         "per head: softmax(q_h k_hᵀ / √(d/H)), queries from the target, keys and values from the source",
         "The Transformer decoder's view of the encoder; the heads share the work (their average was trained).",
         cross_note},
        cross_w.select(1, h));
  }

  nn::LocalAttention local_m(kDim, kDim, {.mode = "local-m", .window = 1, .score = "dot"});
  add({"local_m", "local-m (Luong), window D = 1", "p_t = t; dot scores, softmax inside [p_t - D, p_t + D]",
       "Monotonic local attention: for roughly aligned languages, look only near the same position.",
       "no parameters"},
      local_m.forward(q, k, k).weights);

  nn::LocalAttention local_p(kDim, kDim, {.mode = "local-p", .window = 2, .score = "general"});
  // The predicted position moves slowly through a sigmoid; a larger rate lets it reach the right place as fast.
  std::string local_p_note =
      trained([&] { return local_p.forward(q, k, k).weights; }, local_p.parameters(), 0.05);
  const Variable local_p_w = local_p.forward(q, k, k).weights;
  const std::vector<double> lw = matrix(local_p_w).tolist();
  for (size_t i = 0; i < in.target.size(); ++i) {
    if (lw[i * in.source.size() + in.alignment[i]] == 0.0) {  // a lesson, not a bug: say so where it shows
      local_p_note += fmt::format("; {} still looks elsewhere: its word lies outside its window, where the weight is "
                                  "exactly 0 and sends no gradient back",
                                  in.target[i]);
    }
  }
  add({"local_p", "local-p (Luong), window D = 2",
       "p_t = (S-1)·sigmoid(v_pᵀ tanh(W_p h_t)); softmax inside the window × exp(-(s - p_t)² / (D²/2))",
       "Predictive local attention: the model predicts where to look, then attends to a Gaussian window there.",
       local_p_note},
      local_p_w);

  add({"soft", "soft (global)", "weights = softmax(qᵀ k) over every source word",
       "Every word gets some weight, so gradients reach all scores: the entries above are all soft.",
       "no parameters"},
      dot.forward(q, k, k).weights);
  nn::HardAttention hard(kDim, kDim, {.score = "dot"});
  add({"hard", "hard (arg-max)", "weights = one_hot(argmax_j qᵀ k_j)",
       "Exactly one source word per query: cheap and crisp, but not differentiable (trained with REINFORCE or "
       "straight-through).",
       "no parameters"},
      hard.forward(q, k, k).weights);

  add({"causal", "causal mask (self-attention)", "softmax(q kᵀ / √d + M), M[i, j] = -inf for j > i",
       "A language model may not look at future words: row i sees positions 0..i only.", "no parameters",
       Tensor(), in.source, in.source},
      nn::scaled_dot_product_attention(k, k, k, {.is_causal = true}).weights);

  const Tensor pad_mask = nn::padding_mask_from_lengths(std::vector<int64_t>{in.padded_length}, 7).reshape({1, 1, 7});
  add({"padding", "padding mask", "softmax(q kᵀ / √d + M), M[:, j] = -inf where key j is <pad>",
       "Batches pad short sentences to one length; the mask keeps the padding from taking any weight.",
       "no parameters", Tensor(), in.target, in.padded_source},
      nn::scaled_dot_product_attention(q, in.padded_keys, in.padded_keys, {.attn_mask = pad_mask}).weights);
  return out;
}

std::string tutorial_snippet(Tensor& weights) {
  manual_seed(0);
  const Variable encoder_outputs(randn({5, 1, 16}));  // [T, B, H]: time-major, as the tutorial's RNN returns them
  const Variable hidden(randn({1, 1, 16}));           // [layers, B, H]: the decoder's hidden state
  nn::AdditiveAttention attention(16, 16, 16);
  // The layer takes batch-first keys [B, T, H] and a query [B, H].
  const Variable keys = encoder_outputs.transpose(0, 1);
  const nn::AttentionOutput out = attention.forward(hidden.select(0, 0), keys, keys);
  weights = out.weights.data();
  double total = 0;
  for (double w : weights.tolist()) total += w;
  std::string text;
  text += "encoder_outputs = randn(5, 1, 16)            # [T, B, H], time-major\n";
  text += "hidden          = randn(1, 1, 16)            # [layers, B, H]\n";
  text += "attention       = AdditiveAttention(16, 16, 16)\n";
  text += "context, weights = attention(hidden[0], encoder_outputs.transpose(0, 1), same)\n";
  text += fmt::format("weights: shape {} = [{}]   sum {:.6f}\n", weights.shape(),
                      fmt::join(weights.tolist(), ", "), total);
  text += fmt::format("context: shape {}\n", out.context.shape());
  return text;
}

std::string text_table(const Entry& e) {
  size_t row_w = 0;
  for (const auto& r : e.rows) row_w = std::max(row_w, r.size());
  std::string t = fmt::format("{:<{}}", "", row_w);
  std::vector<size_t> widths;
  for (const auto& c : e.cols) {
    widths.push_back(std::max<size_t>(c.size(), 4));
    t += fmt::format("  {:>{}}", c, widths.back());
  }
  t += '\n';
  const std::vector<double> w = e.weights.tolist();
  for (size_t i = 0; i < e.rows.size(); ++i) {
    t += fmt::format("{:<{}}", e.rows[i], row_w);
    for (size_t j = 0; j < e.cols.size(); ++j) t += fmt::format("  {:>{}.2f}", w[i * e.cols.size() + j], widths[j]);
    t += '\n';
  }
  return t;
}

}  // namespace zoo
