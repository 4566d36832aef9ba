// Tests for nn/state_dict.cpp: names and order, in-place loading, all-or-nothing errors, files, half-size saves.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "nn/helpers.h"
#include "nn/module.h"
#include "tensor/elementwise.h"

using namespace glimpse;
using glimpse::nn_test::assign;
using glimpse::nn_test::same_as_snapshot;
using glimpse::nn_test::snapshot;
using glimpse::nn_test::temp_path;

namespace {

// A leaf layer with a parameter of each rank and an int64 buffer.
struct Leaf : nn::Module {
  Leaf() : Module("Leaf") {
    w = register_parameter("w", tensor({1, 2, 3, 4, 5, 6}, {2, 3}));
    b = register_parameter("b", tensor({0.5, -0.5}, {2}));
  }
  Variable w, b;
};

// A parent with its own parameter, a float buffer, an int64 buffer and two children.
struct Parent : nn::Module {
  Parent() : Module("Parent") {
    scale = register_parameter("scale", tensor({2.0}, {1}));
    register_buffer("running", tensor({1.0, 1.0, 1.0}, {3}));
    register_buffer("steps", tensor(std::vector<int64_t>{7}, {1}));
    register_module("enc", enc);
    register_module("dec", dec);
  }
  Variable scale;
  Leaf enc, dec;
};

void fill_all(nn::Module& m, double value) {
  for (auto& [_, t] : m.state_dict().tensors) t.fill_(value);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

}  // namespace

TEST_SUITE("state_dict") {
  TEST_CASE("names in PyTorch order: own parameters, own buffers, then children, tensors are shared") {
    Parent m;
    NamedTensors sd = m.state_dict();
    std::vector<std::string> names;
    for (const auto& [n, _] : sd.tensors) names.push_back(n);
    CHECK(names == std::vector<std::string>{"scale", "running", "steps", "enc.w", "enc.b", "dec.w", "dec.b"});
    CHECK(sd.at("enc.w").shares_storage_with(m.enc.w.data()));
    CHECK(sd.at("steps").dtype() == kInt64);
  }

  TEST_CASE("load_state_dict copies into the existing tensors (optimizers keep valid handles)") {
    Parent src, dst;
    fill_all(src, 3.0);
    src.enc.w.data().at<float>({1, 2}) = -9.0f;
    const std::vector<Variable> held = dst.parameters();  // what an optimizer would hold
    const Tensor held_data = dst.enc.w.data();
    dst.load_state_dict(src.state_dict());
    CHECK(same_as_snapshot(dst, snapshot(src)));
    CHECK(held[1].same(dst.enc.w));
    CHECK(held_data.shares_storage_with(dst.enc.w.data()));  // the same storage, now holding the loaded values
    CHECK(held_data.at<float>({1, 2}) == -9.0f);
    // Loading must not alias the source: changing it afterwards leaves the model alone.
    assign(src.enc.w, zeros({2, 3}));
    CHECK(dst.enc.w.data().at<float>({1, 2}) == -9.0f);
    // Loading a model's own state into itself is harmless.
    auto before = snapshot(dst);
    dst.load_state_dict(dst.state_dict());
    CHECK(same_as_snapshot(dst, before));
  }

  TEST_CASE("a non-contiguous checkpoint tensor loads by value") {
    Leaf m;
    NamedTensors sd;
    sd.add("w", tensor({1, 4, 2, 5, 3, 6}, {3, 2}).t());  // the transpose is [[1, 2, 3], [4, 5, 6]]
    sd.add("b", tensor({9, 8}, {2}));
    fill_all(m, 0.0);
    m.load_state_dict(sd);
    CHECK(m.w.data().tolist() == std::vector<double>{1, 2, 3, 4, 5, 6});
    CHECK(m.b.data().tolist() == std::vector<double>{9, 8});
  }

  TEST_CASE("missing, unexpected and mismatched keys are listed together and nothing is loaded") {
    Parent m;
    auto before = snapshot(m);
    Parent other;
    fill_all(other, 5.0);
    NamedTensors sd = other.state_dict();
    sd.tensors.erase(sd.tensors.begin() + 4);                    // drop "enc.b": missing
    sd.add("enc.extra", zeros({2}));                             // unexpected
    *sd.find("dec.w") = zeros({3, 2});                           // shape mismatch
    *sd.find("scale") = zeros({1}, kFloat64);                    // dtype mismatch
    try {
      m.load_state_dict(sd);
      FAIL("load_state_dict accepted a bad checkpoint");
    } catch (const glimpse::Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find("load_state_dict") != std::string::npos);
      CHECK(msg.find("missing keys: \"enc.b\"") != std::string::npos);
      CHECK(msg.find("unexpected keys: \"enc.extra\"") != std::string::npos);
      CHECK(msg.find("\"dec.w\" is [3, 2] float32 in the checkpoint but [2, 3] float32 in the model") !=
            std::string::npos);
      CHECK(msg.find("\"scale\" is [1] float64 in the checkpoint but [1] float32 in the model") != std::string::npos);
    }
    CHECK(same_as_snapshot(m, before));  // every parameter and buffer as it was
  }

  TEST_CASE("strict = false skips missing and unexpected keys but never a mismatch") {
    Leaf m;
    NamedTensors sd;
    sd.add("b", tensor({7, 7}, {2}));
    sd.add("unrelated", zeros({4}));
    CHECK_THROWS_WITH_AS(m.load_state_dict(sd), doctest::Contains("strict = false"), glimpse::Error);
    CHECK(m.b.data().tolist() == std::vector<double>{0.5, -0.5});
    m.load_state_dict(sd, /*strict=*/false);
    CHECK(m.b.data().tolist() == std::vector<double>{7, 7});
    CHECK(m.w.data().tolist() == std::vector<double>{1, 2, 3, 4, 5, 6});

    sd.add("w", zeros({6}));
    sd.find("b")->fill_(1.0);
    auto before = snapshot(m);
    CHECK_THROWS_WITH_AS(m.load_state_dict(sd, false), doctest::Contains("\"w\" is [6]"), glimpse::Error);
    CHECK(same_as_snapshot(m, before));
  }

  TEST_CASE("duplicate and undefined checkpoint entries are errors") {
    Leaf m;
    auto before = snapshot(m);
    NamedTensors dup = m.state_dict();
    dup.add("b", zeros({2}));
    CHECK_THROWS_WITH_AS(m.load_state_dict(dup), doctest::Contains("duplicate keys: \"b\""), glimpse::Error);
    NamedTensors undef;
    undef.add("w", Tensor());
    undef.add("b", zeros({2}));
    CHECK_THROWS_WITH_AS(m.load_state_dict(undef), doctest::Contains("\"w\" is undefined"), glimpse::Error);
    CHECK(same_as_snapshot(m, before));
  }

  TEST_CASE("save / load round trip through a file, buffers included") {
    const std::string path = temp_path("roundtrip.safetensors");
    Parent a;
    manual_seed(5);
    for (auto& [_, t] : a.state_dict().tensors) {
      if (t.dtype() != kInt64) t.copy_(randn(t.shape()));
    }
    assign(a.state_dict().at("steps"), full({1}, 123, kInt64));
    a.save(path);
    Parent b;
    b.load(path);
    CHECK(same_as_snapshot(b, snapshot(a)));
    CHECK(b.state_dict().at("steps").item<int64_t>() == 123);
    std::remove(path.c_str());
  }

  TEST_CASE("a truncated or missing file leaves the model unchanged") {
    const std::string path = temp_path("truncated.safetensors");
    Parent a;
    fill_all(a, 4.0);
    a.save(path);
    const std::string bytes = read_file(path);
    REQUIRE(bytes.size() > 40);
    write_file(path, bytes.substr(0, bytes.size() - 10));  // the last tensor's data is cut short

    Parent b;
    auto before = snapshot(b);
    CHECK_THROWS_WITH_AS(b.load(path), doctest::Contains("truncated.safetensors"), glimpse::Error);
    CHECK(same_as_snapshot(b, before));
    write_file(path, bytes.substr(0, 5));  // not even a header length
    CHECK_THROWS_AS(b.load(path), glimpse::Error);
    CHECK(same_as_snapshot(b, before));
    std::remove(path.c_str());
    CHECK_THROWS_AS(b.load(temp_path("does_not_exist.safetensors")), glimpse::Error);
    CHECK(same_as_snapshot(b, before));
  }

  TEST_CASE("load names the file when the checkpoint does not fit") {
    const std::string path = temp_path("leaf.safetensors");
    Leaf leaf;
    leaf.save(path);
    Parent p;
    auto before = snapshot(p);
    CHECK_THROWS_WITH_AS(p.load(path), doctest::Contains("leaf.safetensors"), glimpse::Error);
    CHECK_THROWS_WITH_AS(p.load(path), doctest::Contains("missing keys: \"scale\""), glimpse::Error);
    CHECK(same_as_snapshot(p, before));
    std::remove(path.c_str());
  }

  TEST_CASE("save with a dtype writes a half-size checkpoint that loads back into a float32 model, converted") {
    Parent a;
    manual_seed(18);
    for (auto& [_, t] : a.state_dict().tensors) {
      if (t.dtype() != kInt64) t.copy_(randn(t.shape()));
    }
    const std::string full_path = temp_path("full.safetensors");
    a.save(full_path);
    for (DType d : {kFloat16, kBFloat16}) {
      const std::string path = temp_path(fmt::format("{}.safetensors", dtype_name(d)));
      a.save(path, {.dtype = d});
      // On disk: the floating tensors in d (int64 buffers as they were), each value rounded once from float32.
      const NamedTensors on_disk = load_safetensors(path);
      int64_t floats = 0;
      for (const auto& [name, t] : a.state_dict().tensors) {
        const Tensor& saved = on_disk.at(name);
        CHECK(saved.dtype() == (t.dtype() == kInt64 ? kInt64 : d));
        CHECK(saved.tolist() == t.to(d).tolist());
        if (t.dtype() != kInt64) floats += t.numel();
      }
      // The data shrinks by 2 bytes per float32 number (the JSON header differs only in the dtype codes).
      const auto full_size = static_cast<int64_t>(read_file(full_path).size());
      const auto half_size = static_cast<int64_t>(read_file(path).size());
      CHECK(full_size - half_size >= 2 * floats);
      CHECK(full_size - half_size < 2 * floats + 64);

      // Loading converts to the model's float32; the values are the 16-bit ones, widened exactly.
      Parent b;
      b.load(path);
      for (const auto& [name, t] : b.state_dict().tensors) {
        CHECK(t.dtype() == a.state_dict().at(name).dtype());
        CHECK(t.tolist() == on_disk.at(name).tolist());
      }
      std::remove(path.c_str());
    }
    std::remove(full_path.c_str());
  }

  TEST_CASE("a half-size checkpoint that does not fit leaves the model unchanged") {
    const std::string path = temp_path("leaf_half.safetensors");
    Leaf leaf;
    leaf.save(path, {.dtype = kBFloat16});
    Parent p;
    auto before = snapshot(p);
    CHECK_THROWS_WITH_AS(p.load(path), doctest::Contains("missing keys: \"scale\""), glimpse::Error);
    CHECK(same_as_snapshot(p, before));
    // A float32 checkpoint still does not load into a float64 model: only 16-bit sources convert.
    Leaf wide;
    wide.to(kFloat64);
    Leaf narrow;
    narrow.save(path);
    CHECK_THROWS_WITH_AS(wide.load(path), doctest::Contains("float32 in the checkpoint but [2, 3] float64"),
                         glimpse::Error);
    // An int64 dtype is not a storage format for floats.
    CHECK_THROWS_WITH_AS(leaf.save(path, {.dtype = kInt64}), doctest::Contains("not a floating-point type"),
                         glimpse::Error);
    std::remove(path.c_str());
  }
}
