// examples/seq2seq under mpirun: the hooks that make both models' training data-parallel (distributed/), so that
// `mpirun -np N ./build/examples/seq2seq ...` follows the one-process run with the same --batch-size.
//
// Every rank builds the same global batch (the batches come from generators seeded by the seed and the epoch), keeps
// its rows of it, and weights its loss by its share of the batch's target tokens: the loss is a mean over the tokens
// that are not <pad>, and the ranks' rows hold different numbers of them, so a plain mean of the ranks' mean losses
// would not be the mean over the whole batch. With the weights, the gradient the ranks average is exactly the
// one-process gradient (up to float rounding). Rank 0 alone prints, draws progress bars, writes checkpoints, figures,
// test_hyp.txt and the report; a checkpoint holds nothing rank-specific, so it resumes on any number of ranks.
// Started without mpirun, the hooks change nothing and the program is the one-process program, bit for bit. On any
// number of ranks the run also writes <out>/losses_<attention or transformer>.tsv: every step's whole-batch loss at
// full precision, to compare runs on different numbers of processes (the tests do).
#pragma once

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "autograd/variable.h"
#include "data/batch.h"
#include "distributed/comm.h"
#include "distributed/data_parallel.h"

namespace glimpse::seq2seq_example {

// One per process, first in main: MPI for the whole of main (a world of one without mpirun). On ranks other than 0,
// stdout and stderr go to /dev/null (rank 0 speaks for all); an error is still printed, on the real stderr.
class RankSession {
 public:
  RankSession(int& argc, char**& argv);
  // run::guarded for every rank: an exception prints "<name>: error: <message>"; on several ranks it then ends the
  // whole job (MPI_Abort), since the other ranks may be waiting for this one in a collective.
  template <class Body>
  int guarded(const std::string& name, Body&& body) {
    try {
      return body();
    } catch (const std::exception& e) {
      fail(name, e.what());
      return 1;
    }
  }

 private:
  void fail(const std::string& name, const std::string& message);
  distributed::Session mpi_;
  int saved_stderr_ = -1;  // ranks other than 0: the real stderr, kept for an error message
};

struct DataParallelTrainingOptions {
  uint64_t seed = 0;             // ranks other than 0 derive their dropout stream from it
  std::filesystem::path losses;  // rank 0 writes every step's whole-batch loss here at the end (empty: nowhere)
  std::string label;             // the loss file's first line
  int64_t first_step = 0;        // the step this run starts at (a resumed run's is not 0)
};

// The training loop's hooks (in a world of one none of them changes the numbers):
//   DataParallelTraining dp(model.parameters(), {.seed = cli.seed, .losses = ..., .label = ..., .first_step = step});
//   Batch b = make_batch(pairs);                   // the global batch, the same on every rank
//   dp.take_share(b.src, b.tgt_in, b.tgt_out);     // this rank's rows
//   Variable loss = dp.weighted(model.loss(...));  // times this rank's share of the batch's tokens
//   loss.backward();  dp.average_gradients();  clip;  opt.step();
//   double l = dp.batch_loss(loss);                // the whole batch's mean token loss, on every rank
//   ...
//   dp.finish();                                   // after the last step
class DataParallelTraining {
 public:
  // Copies rank 0's parameters to every rank; ranks other than 0 reseed the default generator (dropout) with a
  // stream of their own, so their dropout masks are not rank 0's.
  DataParallelTraining(std::vector<Variable> params, DataParallelTrainingOptions options);
  // Keeps this rank's rows of the global batch, padded as the whole batch is (so the teacher-forcing draws, one per
  // target position, are the one-process run's), and sets this rank's loss weight. A rank left without rows (a batch
  // smaller than the world) takes the first row with weight 0: it still joins every collective.
  void take_share(data::PaddedBatch& src, data::PaddedBatch& tgt_in, data::PaddedBatch& tgt_out);
  Variable weighted(const Variable& loss) const;
  void average_gradients() { dp_.average_gradients(); }
  // Also remembers it for the loss file.
  double batch_loss(const Variable& weighted_loss);
  // After the last step: throws if the ranks' parameters differ in any bit (they never should; rank 0 says they do
  // not), and rank 0 writes the loss file.
  void finish() const;

 private:
  std::vector<Variable> params_;
  distributed::DataParallel dp_;
  DataParallelTrainingOptions options_;
  double weight_ = 1.0;
  std::vector<double> losses_;
};

}  // namespace glimpse::seq2seq_example
