// load_mnist and the default data folder.
#include "data/mnist.h"

#include "data/shared_data.h"

#include "data/idx.h"
#include "tensor/elementwise.h"

namespace glimpse::data {

Mnist load_mnist(const std::filesystem::path& dir, int64_t n_train, int64_t n_test) {
  Tensor images = read_idx((dir / "t10k-images-idx3-ubyte.gz").string(), kFloat32);
  Tensor labels = read_idx((dir / "t10k-labels-idx1-ubyte.gz").string(), kInt64);
  check(images.dim() == 3 && labels.dim() == 1 && images.size(0) == labels.size(0),
        "load_mnist: {}: images {} and labels {} do not match ([N, H, W] and [N])", dir.string(), images.shape(),
        labels.shape());
  const int64_t n = images.size(0);
  check(n_train >= 0 && n_test >= 0 && n_train + n_test <= n,
        "load_mnist: a split of {} train + {} test needs that many images, {} has {}", n_train, n_test, dir.string(),
        n);
  Tensor scaled = div(images, 255.0).unsqueeze(1);  // [N, 1, H, W] in [0, 1]
  return {scaled.narrow(0, 0, n_train).contiguous(), labels.narrow(0, 0, n_train).contiguous(),
          scaled.narrow(0, n - n_test, n_test).contiguous(), labels.narrow(0, n - n_test, n_test).contiguous()};
}

std::filesystem::path default_mnist_dir(const char* argv0) { return shared_data_path(argv0, "mnist"); }

}  // namespace glimpse::data
