// load_mnist and the default data folder.
#include "data/mnist.h"

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

std::filesystem::path default_mnist_dir(const char* argv0) {
  namespace fs = std::filesystem;
  auto root_from = [](fs::path p) -> fs::path {
    std::error_code ec;
    p = fs::weakly_canonical(p, ec);
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::exists(p / "glimpse.h", ec)) return p;
    }
    return {};
  };
  fs::path root = argv0 ? root_from(fs::path(argv0).parent_path()) : fs::path();
  if (root.empty()) root = root_from(fs::current_path());
  if (root.empty()) return fs::path("../shared/data/mnist");
  return root.parent_path() / "shared" / "data" / "mnist";
}

}  // namespace glimpse::data
