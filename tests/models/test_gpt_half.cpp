// Tests for a GPT saved at half size (nn::Module::save with {.dtype}): the checkpoint loads back into a float32 GPT
// whose logits stay close to the original's, and NumPy, through scripts/safetensors_numpy.py, reads the very file
// glimpse wrote with the dtypes, shapes and values it should have (tests/models/check_half_checkpoint.py).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "models/gpt.h"
#include "nn/helpers.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using glimpse::nn_test::temp_path;

namespace {

models::GPTConfig small() {
  return {.block_size = 16, .vocab_size = 13, .n_layer = 2, .n_head = 2, .n_embd = 16, .dropout = 0.0, .bias = true};
}

// Python with NumPy, or "" when there is none (Debian's python first: the one on PATH may lack NumPy).
std::string python_with_numpy() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    if (std::system(fmt::format("{} -c 'import numpy' >/dev/null 2>&1", python).c_str()) == 0) return python;
  }
  return "";
}

double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(sub(a, b))).item<double>(); }

// The bytes of tensor data in a safetensors file: its size less the 8-byte length and the JSON header that length
// gives (for a model this small the header, names and metadata, is as large as the data).
uint64_t data_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char le[8] = {};
  in.read(reinterpret_cast<char*>(le), 8);
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | le[i];
  return std::filesystem::file_size(path) - 8 - header;
}

}  // namespace

TEST_SUITE("gpt half") {
  TEST_CASE("a float16 or bfloat16 GPT checkpoint loads into a float32 GPT with nearly the same logits") {
    manual_seed(3);
    models::GPT gpt(small());
    const Tensor idx = randint(0, 13, {2, 16});
    const Tensor logits = gpt.forward(idx).data();
    const std::string full = temp_path("gpt_f32.safetensors");
    gpt.save(full);
    for (DType d : {kFloat16, kBFloat16}) {
      const std::string path = temp_path(fmt::format("gpt_{}.safetensors", dtype_name(d)));
      gpt.save(path, {.dtype = d});
      // Exactly half the bytes of data (the header holds the same names, shapes and offsets, now halved).
      CHECK(2 * data_bytes(path) == data_bytes(full));
      CHECK(std::filesystem::file_size(path) < std::filesystem::file_size(full));
      models::GPT back(small());
      back.load(path);
      // Every weight moved by at most half a 16-bit step: relative 2^-11 (float16) or 2^-8 (bfloat16).
      const double step = d == kFloat16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
      // (each state_dict() is a fresh object: hold both, so no reference outlives its temporary)
      const auto original = gpt.state_dict(), loaded = back.state_dict();
      for (const auto& [name, t] : original.tensors) {
        const Tensor& u = loaded.at(name);
        INFO(name);
        CHECK(u.dtype() == kFloat32);
        CHECK(max_abs_diff(u, t) <= step * max(abs(t)).item<double>());
      }
      // The logits follow: close, but not equal (the rounding is real).
      const double diff = max_abs_diff(back.forward(idx).data(), logits);
      INFO(dtype_name(d), " logits differ by ", diff);
      CHECK(diff > 0.0);
      CHECK(diff < (d == kFloat16 ? 1e-2 : 5e-2));
      std::remove(path.c_str());
    }
    std::remove(full.c_str());
  }

  TEST_CASE("NumPy reads a half-size GPT checkpoint written by glimpse: dtypes, shapes and values") {
    const std::string python = python_with_numpy();
    if (python.empty()) {
      MESSAGE("skipped: no python3 with NumPy (tried /usr/bin/python3 and python3 on PATH)");
      return;
    }
    manual_seed(4);
    models::GPT gpt(small());
    const std::string full = temp_path("numpy_gpt_f32.safetensors");
    gpt.save(full);
    for (const auto& [d, code] : {std::pair{kFloat16, "F16"}, std::pair{kBFloat16, "BF16"}}) {
      const std::string path = temp_path(fmt::format("numpy_gpt_{}.safetensors", code));
      const std::string out = temp_path(fmt::format("numpy_gpt_{}.txt", code));
      gpt.save(path, {.dtype = d});
      const std::string command = fmt::format("{} '{}/tests/models/check_half_checkpoint.py' '{}' '{}' {} > '{}' 2>&1",
                                              python, GLIMPSE_SOURCE_DIR, full, path, code, out);
      const int rc = std::system(command.c_str());
      std::FILE* f = std::fopen(out.c_str(), "r");
      REQUIRE(f != nullptr);
      char buffer[4096] = {};
      const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, f);
      std::fclose(f);
      const std::string output(buffer, n);
      INFO("output: ", output);
      CHECK(rc == 0);
      CHECK(output.starts_with(fmt::format("ok {} tensors", gpt.state_dict().size())));
      std::remove(path.c_str());
      std::remove(out.c_str());
    }
    std::remove(full.c_str());
  }
}
