// ShowAttendTell: the convolutional encoder, the attention LSTM decoder, teacher forcing and greedy decoding.
#include "models/show_attend_tell.h"

#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/ops_conv.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "nn/init.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse::models {

ShowAttendTell::ShowAttendTell(const ShowAttendTellOptions& o)
    : Module("ShowAttendTell"),
      options(o),
      conv1(1, o.channels1, {3, 3}, {.stride = {2, 2}, .padding = {1, 1}}),
      conv2(o.channels1, o.channels2, {3, 3}, {.padding = {1, 1}}),
      conv3(o.channels2, o.channels3, {3, 3}, {.padding = {1, 1}}),
      bn1(o.channels1),
      bn2(o.channels2),
      bn3(o.channels3),
      init_h(o.channels3, o.hidden_dim),
      init_c(o.channels3, o.hidden_dim),
      embed(o.vocab_size, o.embed_dim),
      attention(o.hidden_dim, o.channels3, o.attention_dim),
      lstm(o.embed_dim + o.channels3, o.hidden_dim),
      out(o.hidden_dim + o.channels3, o.vocab_size) {
  check(o.image_height % 8 == 0 && o.image_width % 8 == 0 && o.image_height > 0 && o.image_width > 0,
        "ShowAttendTell: image sizes must be positive multiples of 8, got {}x{}", o.image_height, o.image_width);
  for (auto [name, m] : std::vector<std::pair<const char*, nn::Module*>>{
           {"conv1", &conv1}, {"bn1", &bn1}, {"conv2", &conv2}, {"bn2", &bn2}, {"conv3", &conv3}, {"bn3", &bn3}}) {
    register_module(name, *m);
  }
  pos = register_parameter("pos", empty({grid_height() * grid_width(), o.channels3}));
  nn::init::normal_(pos, 0.0, 0.1);
  register_module("init_h", init_h);
  register_module("init_c", init_c);
  register_module("embed", embed);
  register_module("attention", attention);
  register_module("lstm", lstm);
  register_module("out", out);
}

// images: [B, 1, H, W] -> [B, L, C]
Variable ShowAttendTell::encode(const Variable& images) const {
  check(images.defined() && images.dim() == 4 && images.size(1) == 1 && images.size(2) == options.image_height &&
            images.size(3) == options.image_width,
        "ShowAttendTell: expected images [B, 1, {}, {}], got {}", options.image_height, options.image_width,
        images.defined() ? images.shape() : Shape{});
  Variable h = max_pool2d(relu(bn1.forward(conv1.forward(images))), {2, 2});  // [B, c1, H/4, W/4]
  h = max_pool2d(relu(bn2.forward(conv2.forward(h))), {2, 2});                // [B, c2, H/8, W/8]
  h = relu(bn3.forward(conv3.forward(h)));                                     // [B, C, H/8, W/8]
  return h.flatten(2).transpose(1, 2) + pos;  // [B, L, C], cell i = row * (W/8) + col
}

ShowAttendTell::State ShowAttendTell::initial_state(const Variable& a) const {
  Variable mean_a = mean(a, {1});  // [B, C]
  return {tanh(init_h.forward(mean_a)), tanh(init_c.forward(mean_a))};
}

// prev: [B] int64, state: [B, H] x 2, a: [B, L, C] -> logits [B, V], weights [B, L]
ShowAttendTell::Step ShowAttendTell::step(const Tensor& prev, const State& state, const Variable& a) const {
  auto [z, alpha] = attention.forward(state.first, a, a);  // scored by the previous state h_{t-1}
  State next = lstm.forward(cat({embed.forward(prev), z}, 1), state);
  return {out.forward(cat({next.first, z}, 1)), alpha, next};
}

// images: [B, 1, H, W], inputs: [B, T] -> logits [B, T, V], weights [B, T, L]
CaptionOutput ShowAttendTell::forward(const Variable& images, const Tensor& inputs) const {
  check(inputs.defined() && inputs.dim() == 2 && inputs.size(0) == images.size(0),
        "ShowAttendTell: inputs must be [B, T] token ids for a batch of {} images, got {}", images.size(0),
        inputs.defined() ? inputs.shape() : Shape{});
  Variable a = encode(images);
  State state = initial_state(a);
  std::vector<Variable> logits, weights;
  for (int64_t t = 0; t < inputs.size(1); ++t) {
    Step s = step(inputs.select(1, t).contiguous(), state, a);
    logits.push_back(s.logits);
    weights.push_back(s.weights);
    state = s.state;
  }
  return {stack(logits, 1), stack(weights, 1)};
}

// images: [B, 1, H, W] -> tokens [B, steps], weights [B, steps, L]
GreedyOutput ShowAttendTell::greedy(const Variable& images, int64_t bos, int64_t steps) const {
  NoGradGuard no_grad;
  Variable a = encode(images);
  State state = initial_state(a);
  Tensor prev = full({images.size(0)}, static_cast<double>(bos), kInt64);
  std::vector<Tensor> tokens, weights;
  for (int64_t t = 0; t < steps; ++t) {
    Step s = step(prev, state, a);
    prev = argmax(s.logits.data(), 1);
    tokens.push_back(prev);
    weights.push_back(s.weights.data());
    state = s.state;
  }
  return {stack(tokens, 1), stack(weights, 1)};
}

}  // namespace glimpse::models
