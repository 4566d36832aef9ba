// MNIST as a small corpus: the 10,000 digits of MNIST's test set (../shared/data/mnist), split by position into the
// first 8,000 for training and the last 2,000 for testing (never used for training or model choice).
//
//   data::Mnist m = data::load_mnist(data::default_mnist_dir(argv[0]));
//   // m.train_images: [8000, 1, 28, 28] float32 in [0, 1], m.train_labels: [8000] int64, m.test_*: the last 2,000
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tensor/tensor.h"

namespace glimpse::data {

struct Mnist {
  Tensor train_images, train_labels;  // [n_train, 1, 28, 28] float32 in [0, 1], [n_train] int64
  Tensor test_images, test_labels;    // [n_test, 1, 28, 28], [n_test]
};

// Reads t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from `dir` and splits them: images [0, n_train)
// train, the last n_test test. n_train + n_test must not exceed the number of images.
Mnist load_mnist(const std::filesystem::path& dir, int64_t n_train = 8000, int64_t n_test = 2000);

// shared/data/mnist beside the project, found as data::shared_data_path finds every example's corpus.
std::filesystem::path default_mnist_dir(const char* argv0);

}  // namespace glimpse::data
