// Tests for data/mnist.cpp: the split of the real files (skipped when ../shared/data/mnist is absent), the default
// folder, and the error for a folder without the files.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "data/mnist.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {
// The real files: GLIMPSE_MNIST_DIR when set (a worktree whose ../shared is elsewhere), else <root>/../shared/...
std::filesystem::path mnist_dir() {
  if (const char* env = std::getenv("GLIMPSE_MNIST_DIR")) return env;
  return std::filesystem::path(GLIMPSE_SOURCE_DIR) / ".." / "shared" / "data" / "mnist";
}
}  // namespace

TEST_SUITE("mnist") {
  TEST_CASE("the default folder is <project root>/../shared/data/mnist") {
    const auto dir = data::default_mnist_dir((std::string(GLIMPSE_BINARY_DIR) + "/tests/test_data").c_str());
    CHECK(dir == std::filesystem::weakly_canonical(std::string(GLIMPSE_SOURCE_DIR)).parent_path() / "shared" /
                     "data" / "mnist");
  }

  TEST_CASE("the first 8,000 digits train, the last 2,000 test") {
    const auto dir = mnist_dir();
    if (!std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz")) {
      MESSAGE("no MNIST files in " << dir.string() << ": skipped");
      return;
    }
    data::Mnist m = data::load_mnist(dir);
    CHECK(m.train_images.shape() == Shape{8000, 1, 28, 28});
    CHECK(m.test_images.shape() == Shape{2000, 1, 28, 28});
    CHECK(m.train_labels.shape() == Shape{8000});
    CHECK(max(m.train_images).item() == doctest::Approx(1.0));
    CHECK(min(m.test_images).item() == 0.0);
    CHECK(max(m.test_labels).item<int64_t>() == 9);
    CHECK(min(m.train_labels).item<int64_t>() == 0);
    // MNIST's test set opens with a 7, a 2 and a 1 (the first labels of t10k-labels) and ends with a 6.
    CHECK(m.train_labels.to_vector<int64_t>()[0] == 7);
    CHECK(m.train_labels.to_vector<int64_t>()[1] == 2);
    CHECK(m.test_labels.to_vector<int64_t>()[1999] == 6);
  }

  TEST_CASE("a folder without the files, or a split larger than the set, is a clear error") {
    CHECK_THROWS_WITH_AS(data::load_mnist(std::string(GLIMPSE_BINARY_DIR) + "/no_such_dir"),
                         doctest::Contains("cannot open"), Error);
    const auto dir = mnist_dir();
    if (std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz")) {
      CHECK_THROWS_WITH_AS(data::load_mnist(dir, 9000, 2000), doctest::Contains("9000 train"), Error);
    }
  }
}
