// Tests for tensor/safetensors.h: round trips of every dtype and layout, the exact bytes written, atomic saves that
// leave the old checkpoint alone when they fail, an independent NumPy reader, and one check per way a file can lie.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "tensor/safetensors.h"

using namespace glimpse;
namespace fs = std::filesystem;

namespace {

// A fresh directory for one test, removed with everything in it at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / fmt::format("glimpse_safetensors_{}_{}", ::getpid(), counter++);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
  // The names of the entries in the directory, sorted.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// n as 8 little-endian bytes: the header length prefix.
std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

// A file built by hand: the length of `header`, `header`, then `data`.
std::string file_with(std::string_view header, std::string_view data = "") {
  return le64(header.size()) + std::string(header) + std::string(data);
}

// `bytes` bytes of data.
std::string data_bytes(size_t bytes) { return std::string(bytes, '\x01'); }

// The message of the glimpse::Error that `f` throws, or "" if it throws none.
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, std::string_view fragment) { return text.find(fragment) != std::string::npos; }

// Writes `bytes` to a file and checks that loading it throws an Error that names the op, the file and every fragment,
// and that parsing the same bytes from memory fails with the same message.
void check_rejected(const std::string& bytes, std::initializer_list<std::string_view> fragments) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  write_bytes(path, bytes);
  CHECK_THROWS_AS(load_safetensors(path), Error);
  const std::string message = error_message([&] { load_safetensors(path); });
  INFO("message: ", message);
  const std::string prefix = "load_safetensors: " + path + ": ";
  REQUIRE(message.rfind(prefix, 0) == 0);
  for (std::string_view f : fragments) CHECK_MESSAGE(contains(message, f), "missing: ", f);

  const std::string from_memory = error_message([&] { parse_safetensors(bytes, "bytes"); });
  CHECK(from_memory == "parse_safetensors: bytes: " + message.substr(prefix.size()));
}

// One valid F32 entry for hand-written headers.
std::string entry(std::string_view name, std::string_view shape, uint64_t begin, uint64_t end,
                  std::string_view dtype = "F32") {
  return fmt::format(R"("{}":{{"dtype":"{}","shape":{},"data_offsets":[{},{}]}})", name, dtype, shape, begin, end);
}

// Python with NumPy, or "" when there is none. Debian's python comes first: the one on PATH may be a pyenv build
// without NumPy.
std::string python_with_numpy() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    if (std::system(fmt::format("{} -c 'import numpy' >/dev/null 2>&1", python).c_str()) == 0) return python;
  }
  return "";
}

}  // namespace

TEST_SUITE("safetensors") {
  TEST_CASE("float16 and bfloat16 are written as F16 and BF16 and read back bit for bit") {
    const float inf = std::numeric_limits<float>::infinity();
    const Tensor x = tensor(std::vector<float>{1.0f, -0.333f, 65504.0f, inf, -1e-7f, 3e38f}, {2, 3});
    NamedTensors named;
    named.add("h", x.to(kFloat16));
    named.add("b", x.t().to(kBFloat16));  // [3, 2], written from a view of a converted copy
    const std::string bytes = serialize_safetensors(named);
    CHECK(bytes.find(R"("h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]})") != std::string::npos);
    CHECK(bytes.find(R"("b":{"dtype":"BF16","shape":[3,2],"data_offsets":[12,24]})") != std::string::npos);
    const NamedTensors back = parse_safetensors(bytes);
    for (const auto& [name, t] : named.tensors) {
      const Tensor& r = back.at(name);
      CHECK(r.dtype() == t.dtype());
      CHECK(r.shape() == t.shape());
      Tensor c = t.contiguous();
      CHECK(std::memcmp(r.raw_data(), c.raw_data(), static_cast<size_t>(2 * c.numel())) == 0);
    }
    // The values as float32: float16 overflows 3e38 to infinity and flushes -1e-7 to its nearest subnormal.
    CHECK(back.at("h").tolist()[2] == 65504.0);
    CHECK(std::isinf(back.at("h").tolist()[5]));
    CHECK(back.at("h").tolist()[4] == -std::ldexp(2.0, -24));  // -1e-7 is nearest to 2 * 2^-24
    CHECK(back.at("b").tolist()[5] == static_cast<float>(BFloat16(3e38f)));
  }

  TEST_CASE("round trip of float32, float64 and int64 keeps values bit for bit, names in insertion order") {
    TempDir dir;
    const float inf = std::numeric_limits<float>::infinity();
    NamedTensors named;
    named.add("z.weight", tensor(std::vector<float>{1.5f, -2.0f, 3.25f, -0.0f, 1e-30f, inf}, {2, 3}));
    named.add("a", tensor({0.1, 1e300, -2.5}, {3}, kFloat64));
    named.add("m", tensor(std::vector<int64_t>{-1, int64_t{1} << 62, 0, 9007199254740993}, {2, 2}));
    const std::string path = dir.file("ckpt.safetensors");
    save_safetensors(named, path);

    NamedTensors back = load_safetensors(path);
    REQUIRE(back.size() == 3);
    CHECK(back.tensors[0].first == "z.weight");
    CHECK(back.tensors[1].first == "a");
    CHECK(back.tensors[2].first == "m");
    CHECK(back.metadata.empty());

    const Tensor& z = back.at("z.weight");
    CHECK(z.dtype() == kFloat32);
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.is_contiguous());
    std::vector<float> zv = z.to_vector<float>();
    CHECK(zv == std::vector<float>{1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, inf});
    CHECK(std::signbit(zv[3]));  // -0.0 survives

    const Tensor& a = back.at("a");
    CHECK(a.dtype() == kFloat64);
    CHECK(a.shape() == Shape{3});
    CHECK(a.to_vector<double>() == std::vector<double>{0.1, 1e300, -2.5});

    const Tensor& m = back.at("m");
    CHECK(m.dtype() == kInt64);
    CHECK(m.shape() == Shape{2, 2});
    // 2^53 + 1 is not a double: it survives only if int64 is copied as int64.
    CHECK(m.to_vector<int64_t>() == std::vector<int64_t>{-1, int64_t{1} << 62, 0, 9007199254740993});

    // Each tensor owns its storage.
    CHECK_FALSE(z.shares_storage_with(a));
    CHECK(dir.listing() == std::vector<std::string>{"ckpt.safetensors"});  // no temporary left
  }

  TEST_CASE("the bytes written: little-endian length, JSON padded with spaces to 8, packed little-endian data") {
    NamedTensors named{.tensors = {{"x", tensor(std::vector<float>{1.0f, 2.0f}, {2})}}, .metadata = {{"k", "v"}}};
    const std::string json = R"({"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    REQUIRE(json.size() == 79);
    // 79 bytes of JSON + 1 space = 80 = 0x50; 1.0f = 0x3f800000 and 2.0f = 0x40000000, low byte first.
    const std::string expected =
        std::string("\x50\0\0\0\0\0\0\0", 8) + json + " " + std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
    CHECK(serialize_safetensors(named) == expected);

    TempDir dir;
    save_safetensors(named, dir.file("x.safetensors"));
    CHECK(read_bytes(dir.file("x.safetensors")) == expected);

    // An empty collection is the header "{}" and nothing else.
    CHECK(serialize_safetensors(NamedTensors{}) == std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
    CHECK(parse_safetensors(serialize_safetensors(NamedTensors{})).empty());
  }

  TEST_CASE("non-contiguous tensors are written as their row-major values") {
    Tensor base = arange(0, 12, 1, kFloat32).reshape({3, 4});  // base[i][j] = 4i + j
    NamedTensors named;
    named.add("transposed", base.transpose(0, 1));                     // [4, 3]: t[i][j] = 4j + i
    named.add("strided", base.slice(1, 0, 4, 2));                      // [3, 2]: columns 0 and 2
    named.add("offset", base.narrow(0, 1, 2));                         // [2, 4]: contiguous, but starts at element 4
    named.add("expanded", tensor({1.0, 2.0}, {2, 1}).expand({2, 3}));  // stride 0
    REQUIRE_FALSE(named.tensors[0].second.is_contiguous());
    REQUIRE_FALSE(named.tensors[1].second.is_contiguous());
    REQUIRE_FALSE(named.tensors[3].second.is_contiguous());

    TempDir dir;
    save_safetensors(named, dir.file("views.safetensors"));
    NamedTensors back = load_safetensors(dir.file("views.safetensors"));
    CHECK(back.at("transposed").shape() == Shape{4, 3});
    CHECK(back.at("transposed").to_vector<float>() == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
    CHECK(back.at("strided").shape() == Shape{3, 2});
    CHECK(back.at("strided").to_vector<float>() == std::vector<float>{0, 2, 4, 6, 8, 10});
    CHECK(back.at("offset").to_vector<float>() == std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11});
    CHECK(back.at("expanded").shape() == Shape{2, 3});
    CHECK(back.at("expanded").to_vector<float>() == std::vector<float>{1, 1, 1, 2, 2, 2});
    // 12, 6, 8 and 6 floats, packed in insertion order without holes.
    const std::string bytes = serialize_safetensors(named);
    CHECK(contains(bytes, R"("transposed":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]})"));
    CHECK(contains(bytes, R"("strided":{"dtype":"F32","shape":[3,2],"data_offsets":[48,72]})"));
    CHECK(contains(bytes, R"("offset":{"dtype":"F32","shape":[2,4],"data_offsets":[72,104]})"));
    CHECK(contains(bytes, R"("expanded":{"dtype":"F32","shape":[2,3],"data_offsets":[104,128]})"));
    CHECK(bytes.size() % 8 == 0);  // header padded to 8, and 128 bytes of data
    CHECK(back.tensors.size() == 4);
    // The sources are untouched.
    CHECK(base.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  }

  TEST_CASE("0-d and empty tensors round trip, in insertion order even when they share an offset") {
    NamedTensors named;
    named.add("empty0", zeros({0}));
    named.add("scalar", scalar_tensor(2.5, kFloat64));
    named.add("empty1", zeros({2, 0, 3}, kInt64));
    named.add("vector", tensor({1.0, -1.0}, {2}, kFloat32));
    named.add("empty2", zeros({0, 5}));
    const std::string bytes = serialize_safetensors(named);
    // data: scalar at [0, 8), vector at [8, 16); the empty ones sit at 0, 8 and 16.
    CHECK(bytes.find(R"("empty1":{"dtype":"I64","shape":[2,0,3],"data_offsets":[8,8]})") != std::string::npos);
    NamedTensors back = parse_safetensors(bytes);
    REQUIRE(back.size() == 5);
    const char* order[] = {"empty0", "scalar", "empty1", "vector", "empty2"};
    for (size_t i = 0; i < 5; ++i) CHECK(back.tensors[i].first == order[i]);
    CHECK(back.at("empty0").shape() == Shape{0});
    CHECK(back.at("scalar").dim() == 0);
    CHECK(back.at("scalar").item() == 2.5);
    CHECK(back.at("empty1").shape() == Shape{2, 0, 3});
    CHECK(back.at("empty1").dtype() == kInt64);
    CHECK(back.at("empty1").numel() == 0);
    CHECK(back.at("vector").to_vector<float>() == std::vector<float>{1.0f, -1.0f});
    CHECK(back.at("empty2").shape() == Shape{0, 5});
  }

  TEST_CASE("metadata round trips, escapes included") {
    NamedTensors named;
    named.metadata = {{"step", "1000"},
                      {"note", "quote \" backslash \\ newline \n tab \t unicode \xc3\xa9 \xf0\x9f\x99\x82"},
                      {"", "empty key"},
                      {"empty value", ""}};
    named.add("w", ones({2}));
    TempDir dir;
    save_safetensors(named, dir.file("meta.safetensors"));
    NamedTensors back = load_safetensors(dir.file("meta.safetensors"));
    CHECK(back.metadata == named.metadata);
    CHECK(back.at("w").to_vector<float>() == std::vector<float>{1, 1});
    CHECK(serialize_safetensors(back) == read_bytes(dir.file("meta.safetensors")));
  }

  TEST_CASE("hand-written files that differ from glimpse's own layout still load") {
    // Whitespace and newlines in the header, no padding, and data stored in the opposite order to the header:
    // tensors come back in data order.
    const std::string header = "{ \"b\" : {\"data_offsets\": [8, 16], \"shape\": [1], \"dtype\": \"F64\"},\n" +
                               entry("a", "[2]", 0, 8) + ",\n\"__metadata__\": {} }";
    std::string data = data_bytes(16);
    const float two[2] = {3.0f, 4.0f};
    std::memcpy(data.data(), two, 8);
    NamedTensors back = parse_safetensors(file_with(header, data));
    REQUIRE(back.size() == 2);
    CHECK(back.tensors[0].first == "a");
    CHECK(back.tensors[1].first == "b");
    CHECK(back.at("a").to_vector<float>() == std::vector<float>{3.0f, 4.0f});
    CHECK(back.at("b").dtype() == kFloat64);
    CHECK(back.metadata.empty());
  }

  TEST_CASE("NamedTensors helpers") {
    NamedTensors named{.tensors = {{"w", ones({2})}, {"b", zeros({1})}}};
    CHECK(named.size() == 2);
    CHECK_FALSE(named.empty());
    CHECK(named.contains("b"));
    CHECK_FALSE(named.contains("c"));
    REQUIRE(named.find("w") != nullptr);
    CHECK(named.find("w")->shape() == Shape{2});
    CHECK(named.find("nope") == nullptr);
    named.find("b")->fill_(7.0);  // the mutable find gives the tensor itself
    CHECK(named.at("b").item() == 7.0);
    CHECK_THROWS_WITH_AS(named.at("c"), doctest::Contains("NamedTensors::at: no tensor named \"c\""), Error);
    CHECK_THROWS_WITH_AS(named.at("c"), doctest::Contains("\"w\", \"b\""), Error);
    CHECK(NamedTensors{}.empty());
  }

  TEST_CASE("save and serialize reject what they cannot write, before touching the disk") {
    TempDir dir;
    const std::string path = dir.file("bad.safetensors");
    auto rejects = [&](const NamedTensors& named, const char* fragment) {
      CHECK_THROWS_WITH_AS(save_safetensors(named, path), doctest::Contains("save_safetensors"), Error);
      CHECK_THROWS_WITH_AS(save_safetensors(named, path), doctest::Contains(fragment), Error);
      CHECK_THROWS_WITH_AS(serialize_safetensors(named), doctest::Contains("serialize_safetensors"), Error);
      CHECK(dir.listing().empty());
    };
    rejects(NamedTensors{.tensors = {{"w", ones({1})}, {"w", ones({2})}}}, "tensor \"w\" appears twice");
    rejects(NamedTensors{.tensors = {{"__metadata__", ones({1})}}}, "reserved for the metadata");
    rejects(NamedTensors{.tensors = {{"w", Tensor()}}}, "tensor \"w\" is undefined");
    rejects(NamedTensors{.tensors = {{"bad\xff", ones({1})}}}, "tensor name \"bad\\xff\" is not valid UTF-8");
    rejects(NamedTensors{.tensors = {}, .metadata = {{"k", "\xc3"}}}, "metadata value \"\\xc3\" is not valid UTF-8");
    rejects(NamedTensors{.tensors = {}, .metadata = {{"\xff", "v"}}}, "metadata key");
  }

  TEST_CASE("a failed save leaves the existing checkpoint intact and no temporary file behind") {
    TempDir dir;
    const std::string path = dir.file("ckpt.safetensors");
    NamedTensors old_named{.tensors = {{"w", tensor({1.0, 2.0}, {2})}}};
    save_safetensors(old_named, path);
    const std::string old_bytes = read_bytes(path);
    NamedTensors new_named{.tensors = {{"w", tensor({3.0, 4.0, 5.0}, {3})}}};

    SUBCASE("the directory does not exist") {
      const std::string missing = dir.file("no_such_dir/ckpt.safetensors");
      const std::string message = error_message([&] { save_safetensors(new_named, missing); });
      INFO("message: ", message);
      CHECK(contains(message, "save_safetensors: cannot create " + missing + ".tmp."));
      CHECK(contains(message, "No such file or directory"));
    }
    SUBCASE("writing fails part way (the temporary file is a link to /dev/full)") {
      if (!fs::exists("/dev/full")) {
        MESSAGE("skipped: this system has no /dev/full");
        return;
      }
      fs::create_symlink("/dev/full", fmt::format("{}.tmp.{}", path, ::getpid()));
      const std::string message = error_message([&] { save_safetensors(new_named, path); });
      INFO("message: ", message);
      CHECK(contains(message, "save_safetensors: writing " + path + ".tmp."));
      CHECK(contains(message, "No space left on device"));
    }
    SUBCASE("the rename fails (a directory is in the way)") {
      const std::string blocked = dir.file("blocked");
      fs::create_directories(blocked + "/inside");
      CHECK_THROWS_WITH_AS(save_safetensors(new_named, blocked), doctest::Contains("save_safetensors: renaming"),
                           Error);
      CHECK(dir.listing() == std::vector<std::string>{"blocked", "ckpt.safetensors"});
      CHECK(fs::is_directory(blocked + "/inside"));
      fs::remove_all(blocked);
    }
    CHECK(read_bytes(path) == old_bytes);
    CHECK(load_safetensors(path).at("w").to_vector<float>() == std::vector<float>{1.0f, 2.0f});
    CHECK(dir.listing() == std::vector<std::string>{"ckpt.safetensors"});

    // And a save that succeeds replaces it.
    save_safetensors(new_named, path);
    CHECK(load_safetensors(path).at("w").to_vector<float>() == std::vector<float>{3.0f, 4.0f, 5.0f});
    CHECK(dir.listing() == std::vector<std::string>{"ckpt.safetensors"});
  }

  TEST_CASE("NumPy reads what glimpse writes") {
    const std::string python = python_with_numpy();
    if (python.empty()) {
      MESSAGE("skipped: no python3 with NumPy (tried /usr/bin/python3 and python3 on PATH)");
      return;
    }
    NamedTensors named;
    named.metadata = {{"step", "7"}};
    named.add("w", tensor(std::vector<float>{1.5f, -2.0f, 0.25f, 4.0f, 0.0f, -0.5f}, {2, 3}));
    named.add("d", tensor({0.1, -1e300}, {2}, kFloat64));
    named.add("ids", tensor(std::vector<int64_t>{-3, 9007199254740993, 0}, {3}));
    named.add("scalar", scalar_tensor(2.5, kFloat64));
    named.add("empty", zeros({0, 3}));
    named.add("t", arange(0, 6, 1, kFloat32).reshape({2, 3}).t());  // [3, 2], not contiguous
    named.add("h", tensor({1.0, -0.5, 65504.0, 1e-7}, {2, 2}, kFloat16));
    named.add("bf", tensor({1.0, -3.0, 1e38}, {3}, kBFloat16));
    TempDir dir;
    const std::string path = dir.file("numpy.safetensors");
    const std::string out = dir.file("numpy.txt");
    save_safetensors(named, path);

    const std::string command = fmt::format("{} '{}/tests/tensor/read_safetensors_numpy.py' '{}' > '{}' 2>&1", python,
                                            GLIMPSE_SOURCE_DIR, path, out);
    const int rc = std::system(command.c_str());
    INFO("output: ", read_bytes(out));
    REQUIRE(rc == 0);
    CHECK(read_bytes(out) ==
          "metadata {\"step\": \"7\"}\n"
          "w float32 [2, 3] [1.5, -2.0, 0.25, 4.0, 0.0, -0.5]\n"
          "d float64 [2] [0.1, -1e+300]\n"
          "ids int64 [3] [-3, 9007199254740993, 0]\n"
          "scalar float64 [] [2.5]\n"
          "empty float32 [0, 3] []\n"
          "t float32 [3, 2] [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]\n"
          "h float16 [2, 2] [1.0, -0.5, 65504.0, 1.1920928955078125e-07]\n"
          "bf bfloat16 [3] [1.0, -3.0, 9.969209968386869e+37]\n");
  }

  TEST_CASE("rejects files that cannot be opened or are too short for their header") {
    TempDir dir;
    const std::string missing = dir.file("missing.safetensors");
    CHECK_THROWS_AS(load_safetensors(missing), Error);
    CHECK(error_message([&] { load_safetensors(missing); }) ==
          "load_safetensors: " + missing + ": cannot open: No such file or directory");
    CHECK_THROWS_WITH_AS(load_safetensors(dir.path.string()),
                         doctest::Contains("not a regular file (it is a directory)"), Error);

    check_rejected("", {"0 bytes is too short"});
    check_rejected(std::string("\x02\0\0\0\0", 5), {"5 bytes is too short"});
    check_rejected(le64(100'000'001) + "{}", {"header length 100000001 exceeds the 100000000 byte cap"});
    check_rejected(le64(~uint64_t{0}), {"header length 18446744073709551615 exceeds"});
    check_rejected(le64(100) + "{}", {"header length 100 runs past the end of the file (10 bytes)"});
    // The header is all there but the data is cut short.
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "}", data_bytes(4)),
                   {"tensor \"w\": data_offsets [0, 8] run past the end of the data (4 bytes)"});
  }

  TEST_CASE("rejects headers that are not a JSON object") {
    check_rejected(file_with("{\"w\":"), {"the header is not valid JSON", "parse error"});
    check_rejected(file_with("{} {}"), {"the header is not valid JSON"});
    check_rejected(file_with(std::string("{}\0\0\0\0\0\0", 8)),
                   {"the header is not valid JSON: it holds a NUL byte at offset 2"});
    check_rejected(file_with(std::string("{}\0{\"w\":1}", 10)), {"NUL byte at offset 2"});
    check_rejected(file_with("{\"\xff\":{}}"), {"the header is not valid JSON"});  // not UTF-8
    check_rejected(file_with("[]"), {"the header must be a JSON object of tensor entries, got an array"});
    check_rejected(file_with("3"), {"the header must be a JSON object of tensor entries, got 3"});
    check_rejected(file_with("\"w\""), {"got \"w\""});
    check_rejected(file_with("{\"w\":3}"), {"tensor \"w\": must be a JSON object, got 3"});
    check_rejected(file_with("{\"w\":[1]}"), {"tensor \"w\": must be a JSON object, got an array"});
  }

  TEST_CASE("rejects entries with missing fields, wrong types or unknown dtypes") {
    const std::string d8 = data_bytes(8);
    check_rejected(file_with(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", d8),
                   {"tensor \"w\": missing field \"dtype\""});
    check_rejected(file_with(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", d8),
                   {"tensor \"w\": missing field \"shape\""});
    check_rejected(file_with(R"({"w":{"dtype":"F32","shape":[2]}})", d8),
                   {"tensor \"w\": missing field \"data_offsets\""});
    check_rejected(file_with(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", d8),
                   {"tensor \"w\": unexpected field \"extra\""});
    check_rejected(file_with(R"({"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", d8),
                   {"tensor \"w\": \"dtype\" must be a string", "got 32"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8, "I32") + "}", d8),
                   {"tensor \"w\": unsupported dtype \"I32\"; glimpse reads F32, F64, I64, F16 and BF16"});
    // A 16-bit dtype's byte count is checked with its own element size: 2 elements of F16 are 4 bytes, not 8.
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8, "F16") + "}", d8),
                   {"tensor \"w\": data_offsets [0, 8] hold 8 bytes, but shape [2] of F16 needs 4"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8, "f32") + "}", d8), {"unsupported dtype \"f32\""});
    check_rejected(file_with("{" + entry("w", "\"2\"", 0, 8) + "}", d8),
                   {"tensor \"w\": \"shape\" must be an array of at most 8 sizes, got \"2\""});
    check_rejected(file_with("{" + entry("w", "[2.0]", 0, 8) + "}", d8),
                   {"tensor \"w\": shape [2.0] holds 2.0; sizes must be non-negative integers"});
    check_rejected(file_with("{" + entry("w", "[-2]", 0, 8) + "}", d8), {"shape [-2] holds -2"});
    check_rejected(file_with("{" + entry("w", "[\"2\"]", 0, 8) + "}", d8), {"holds \"2\""});
    check_rejected(file_with("{" + entry("w", "[1,1,1,1,1,1,1,1,2]", 0, 8) + "}", d8),
                   {"tensor \"w\":", "longer array", "at most 8 sizes"});
    check_rejected(file_with("{" + entry("w", "[[2]]", 0, 8) + "}", d8), {"tensor \"w\": nests deeper"});
    check_rejected(file_with("{" + entry("w", "{\"n\":2}", 0, 8) + "}", d8),
                   {"tensor \"w\": unexpected nested object"});
    check_rejected(file_with(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", d8),
                   {"tensor \"w\": \"data_offsets\" must be [begin, end] with non-negative integers, got [0]"});
    check_rejected(file_with(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}})", d8), {"got [0,8,8]"});
    check_rejected(file_with(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", d8), {"got [-8,0]"});
    check_rejected(file_with(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}})", d8), {"got \"0,8\""});
    // A long hostile name is cut short in the message.
    const std::string long_name(1000, 'n');
    check_rejected(file_with("{" + entry(long_name, "[2]", 0, 8, "F16") + "}", d8),
                   {"tensor \"" + std::string(64, 'n') + "\"... (1000 bytes)"});
  }

  TEST_CASE("rejects shapes whose size overflows, and byte counts that do not match the shape") {
    const std::string d8 = data_bytes(8);
    // 2^62 * 4 elements, 2^61 float32 (2^63 bytes), 2^64 - 1: all past int64.
    check_rejected(file_with("{" + entry("w", "[4611686018427387904,4]", 0, 8) + "}", d8),
                   {"tensor \"w\": shape [4611686018427387904,4] is too large: its size in bytes overflows 64 bits"});
    check_rejected(file_with("{" + entry("w", "[2305843009213693952]", 0, 8) + "}", d8), {"is too large"});
    check_rejected(file_with("{" + entry("w", "[18446744073709551615]", 0, 8, "F64") + "}", d8), {"is too large"});
    // No elements, but strides of the other dims would still overflow.
    check_rejected(file_with("{" + entry("w", "[0,4611686018427387904,4611686018427387904]", 0, 0) + "}"),
                   {"is too large"});
    check_rejected(
        file_with("{" + entry("w", "[3]", 0, 8) + "}", d8),
        {"tensor \"w\": data_offsets [0, 8] hold 8 bytes, but shape [3] of F32 needs 12 (3 elements of 4 bytes)"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8, "F64") + "}", d8), {"shape [2] of F64 needs 16"});
    check_rejected(file_with("{" + entry("w", "[]", 0, 0) + "}"), {"shape [] of F32 needs 4"});
  }

  TEST_CASE("rejects offsets that are reversed, out of range, overlapping, or leave holes") {
    check_rejected(file_with("{" + entry("w", "[0]", 8, 0) + "}", data_bytes(8)),
                   {"tensor \"w\": data_offsets [8, 0] begin after they end"});
    check_rejected(file_with("{" + entry("w", "[4]", 0, 16) + "}", data_bytes(8)),
                   {"tensor \"w\": data_offsets [0, 16] run past the end of the data (8 bytes)"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "," + entry("b", "[2]", 4, 12) + "}", data_bytes(12)),
                   {"tensor \"b\": data_offsets [4, 12] overlap tensor \"w\" at [0, 8]"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "," + entry("b", "[2]", 0, 8) + "}", data_bytes(8)),
                   {"overlap tensor"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "," + entry("b", "[0]", 4, 4) + "}", data_bytes(8)),
                   {"tensor \"b\": data_offsets [4, 4] overlap tensor \"w\" at [0, 8]"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "," + entry("b", "[2]", 12, 20) + "}", data_bytes(20)),
                   {"tensor \"b\": data_offsets [12, 20] leave a hole of 4 bytes after tensor \"w\" at [0, 8]"});
    check_rejected(file_with("{" + entry("w", "[2]", 4, 12) + "}", data_bytes(12)),
                   {"tensor \"w\": data_offsets [4, 12] leave a hole of 4 bytes at the start of the data"});
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "}", data_bytes(12)),
                   {"the data holds 12 bytes but the tensors cover only 8; 4 bytes belong to no tensor"});
    check_rejected(file_with("{}", data_bytes(4)), {"the data holds 4 bytes but the tensors cover only 0"});
  }

  TEST_CASE("rejects duplicate names and keys, which a JSON object would silently collapse") {
    check_rejected(file_with("{" + entry("w", "[2]", 0, 8) + "," + entry("w", "[2]", 8, 16) + "}", data_bytes(16)),
                   {"tensor \"w\" appears twice in the header; names must be unique"});
    check_rejected(file_with(R"({"w":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}})", data_bytes(8)),
                   {"tensor \"w\": key \"dtype\" appears twice"});
    check_rejected(file_with(R"({"__metadata__":{},"__metadata__":{}})"), {"__metadata__ appears twice in the header"});
    check_rejected(file_with(R"({"__metadata__":{"k":"a","k":"b"}})"), {"__metadata__: key \"k\" appears twice"});
  }

  TEST_CASE("rejects metadata that is not an object of strings") {
    check_rejected(file_with(R"({"__metadata__":{"k":1}})"),
                   {"__metadata__: the value of \"k\" must be a string, got 1"});
    check_rejected(file_with(R"({"__metadata__":{"k":null}})"), {"the value of \"k\" must be a string, got null"});
    check_rejected(file_with(R"({"__metadata__":{"k":["v"]}})"), {"the value of \"k\" must be a string, got [\"v\"]"});
    check_rejected(file_with(R"({"__metadata__":{"k":{"x":"y"}}})"), {"__metadata__: unexpected nested object"});
    check_rejected(file_with(R"({"__metadata__":"v"})"), {"__metadata__: must be a JSON object, got \"v\""});
    check_rejected(file_with(R"({"__metadata__":null})"), {"__metadata__: must be a JSON object, got null"});
  }

  TEST_CASE("regression: a header that starts with spaces is refused (the JSON must start at its first byte)") {
    // Was accepted: nlohmann skips leading whitespace, but the format puts '{' first and pads only the end.
    const std::string header = "  {" + entry("w", "[2]", 0, 8) + "}";
    check_rejected(file_with(header, data_bytes(8)), {"the header must start with '{'", "got ' '"});
    // Trailing spaces (the padding writers add) stay fine.
    CHECK(parse_safetensors(file_with("{" + entry("w", "[2]", 0, 8) + "}   ", data_bytes(8))).size() == 1);
  }

  TEST_CASE("regression: an error quoting a non-UTF-8 or control byte of the header escapes it") {
    // The JSON parser's message quoted the raw byte: a hostile file could put any bytes into a terminal or a log.
    const std::string header = "{\"w\":\xff\x1b}";
    const std::string message = error_message([&] { parse_safetensors(file_with(header), "bytes"); });
    INFO("message: ", message);
    CHECK(contains(message, "not valid JSON"));
    CHECK(contains(message, "\\xff"));
    for (char c : message) CHECK((static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f));
  }
}
