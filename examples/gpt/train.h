// examples/gpt: the two modes of the program, training (train.cpp) and sampling (sample.cpp).
#pragma once

#include <cstdint>

#include "run/cli.h"
#include "settings.h"

namespace gpt_example {

// Trains (or resumes, with --resume) and writes <out>/ckpt.safetensors, loss.svg, attention/, report.html.
int train(glimpse::run::Cli& cli, Settings& s);
// --sample: continues --prompt from <out>/ckpt.safetensors with and without the KV cache, and draws the attention.
int sample(glimpse::run::Cli& cli, Settings& s);
// The seed of the random stream for (seed, step, purpose); see checkpoint.h.
uint64_t stream_seed(uint64_t seed, int64_t step, uint64_t purpose);

}  // namespace gpt_example
