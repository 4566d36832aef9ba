// data::shared_data_path: where the examples look for their corpora by default.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "data/shared_data.h"

using namespace glimpse;
namespace fs = std::filesystem;

namespace {

// Restores the current folder when the test leaves, whatever happens inside.
struct InFolder {
  fs::path before = fs::current_path();
  explicit InFolder(const fs::path& p) { fs::current_path(p); }
  ~InFolder() { fs::current_path(before); }
};

fs::path fresh_temp_dir() {
  std::random_device rd;
  fs::path d = fs::temp_directory_path() / ("glimpse_shared_data_" + std::to_string(rd()));
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_SUITE("shared_data") {
  TEST_CASE("the corpus beside the project is found from the program's own folder") {
    // The test program lives in <build>/tests; the checkout's shared/data is beside the project root.
    const fs::path expected =
        fs::weakly_canonical(fs::path(GLIMPSE_SOURCE_DIR)).parent_path() / "shared" / "data" / "eng-fra.tsv";
    if (!fs::exists(expected)) return;  // a checkout without shared/ beside it: nothing to find
    const fs::path tmp = fresh_temp_dir();
    InFolder in(tmp);  // the current folder has no shared/ above it, so only the program's folder can find it
    CHECK(fs::equivalent(data::shared_data_path("", "eng-fra.tsv"), expected));
    fs::remove_all(tmp);
  }

  TEST_CASE("a shared/data above the current folder is found when none is above the program") {
    const fs::path tmp = fresh_temp_dir();
    const std::string name = "only_here_" + tmp.filename().string() + ".txt";
    fs::create_directories(tmp / "shared" / "data");
    fs::create_directories(tmp / "a" / "b");
    std::ofstream(tmp / "shared" / "data" / name) << "x";
    {
      InFolder in(tmp / "a" / "b");
      CHECK(fs::equivalent(data::shared_data_path("", name), tmp / "shared" / "data" / name));
    }
    fs::remove_all(tmp);
  }

  TEST_CASE("when nothing is found the answer is ../shared/data/<name>, the path an error message should show") {
    const fs::path tmp = fresh_temp_dir();
    InFolder in(tmp);
    CHECK(data::shared_data_path("", "no_such_corpus_anywhere.txt") ==
          fs::path("..") / "shared" / "data" / "no_such_corpus_anywhere.txt");
    fs::remove_all(tmp);
  }
}
