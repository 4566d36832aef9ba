// examples/seq2seq under mpirun: rank 0 speaks for all, each rank its token-weighted share of every batch (see
// data_parallel.h for why the weights).
#include "data_parallel.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <numeric>

#include "autograd/ops_elementwise.h"
#include "run/cli.h"
#include "tensor/random.h"

namespace glimpse::seq2seq_example {

RankSession::RankSession(int& argc, char**& argv) : mpi_(argc, argv) {
  if (distributed::is_main()) return;
  std::fflush(stdout);
  std::fflush(stderr);
  saved_stderr_ = dup(STDERR_FILENO);
  // Progress bars, per-epoch lines and the result line would repeat rank 0's; only an error (fail) gets out.
  std::freopen("/dev/null", "w", stdout);
  std::freopen("/dev/null", "w", stderr);
}

void RankSession::fail(const std::string& name, const std::string& message) {
  std::fflush(stdout);
  if (saved_stderr_ >= 0) {  // the real stderr back, for this rank's message
    std::fflush(stderr);
    dup2(saved_stderr_, STDERR_FILENO);
  }
  const std::string line = fmt::format("{}: error: {}", name, message);
  if (distributed::world_size() > 1) distributed::abort(line, run::kExitFailure);  // prefixed "rank r/N: "
  fmt::print(stderr, "{}\n", line);
}

DataParallelTraining::DataParallelTraining(std::vector<Variable> params, DataParallelTrainingOptions options)
    : params_(params), dp_(std::move(params)), options_(std::move(options)) {
  const uint64_t seed = options_.seed;
  // Rank 0 keeps the one-process stream; rank r > 0 a stream of its own (an odd multiplier keeps them apart).
  if (distributed::rank() > 0) manual_seed(seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(distributed::rank()));
}

void DataParallelTraining::take_share(data::PaddedBatch& src, data::PaddedBatch& tgt_in, data::PaddedBatch& tgt_out) {
  if (distributed::world_size() == 1) return;
  distributed::Shard s = distributed::uneven_shard(src.ids.size(0));
  auto tokens = [&](int64_t start, int64_t length) {  // target tokens (not <pad>) of rows [start, start + length)
    return std::accumulate(tgt_out.lengths.begin() + start, tgt_out.lengths.begin() + start + length, int64_t{0});
  };
  const int64_t all = tokens(0, static_cast<int64_t>(tgt_out.lengths.size()));
  weight_ = s.length == 0 ? 0.0 : distributed::share_weight(tokens(s.start, s.length), all);
  if (s.length == 0) s = {0, 1};  // no rows of its own: the first row, weighted 0, so its gradient adds nothing
  for (data::PaddedBatch* b : {&src, &tgt_in, &tgt_out}) {
    b->ids = b->ids.narrow(0, s.start, s.length);  // the whole batch's padded length: see the header
    b->lengths = std::vector<int64_t>(b->lengths.begin() + s.start, b->lengths.begin() + s.start + s.length);
  }
}

Variable DataParallelTraining::weighted(const Variable& loss) const {
  return distributed::world_size() == 1 ? loss : loss * weight_;
}

double DataParallelTraining::batch_loss(const Variable& weighted_loss) {
  // The mean over ranks of (mean loss x N x share) = the sum over ranks of share x mean loss = the batch's mean.
  losses_.push_back(distributed::mean_over_ranks(weighted_loss.item()));
  return losses_.back();
}

void DataParallelTraining::finish() const {
  const int64_t last = options_.first_step + static_cast<int64_t>(losses_.size());
  if (distributed::world_size() > 1) {
    check(distributed::in_sync(params_), "data-parallel: at step {} the ranks' parameters differ; they must stay "
          "bit-identical (the same averaged gradient on every rank). This is a bug: please report it", last);
    fmt::print("data-parallel: {} ranks, parameters bit-identical on every rank after step {}\n",
               distributed::world_size(), last);
  }
  if (!distributed::is_main() || options_.losses.empty()) return;
  if (options_.losses.has_parent_path()) std::filesystem::create_directories(options_.losses.parent_path());
  std::ofstream f(options_.losses);
  check(f.good(), "cannot write {}; check that --out is a writable folder", options_.losses.string());
  f << "# " << options_.label << "\nstep\tloss\n";
  for (size_t i = 0; i < losses_.size(); ++i) {
    f << fmt::format("{}\t{:.17g}\n", options_.first_step + static_cast<int64_t>(i) + 1, losses_[i]);
  }
}

}  // namespace glimpse::seq2seq_example
