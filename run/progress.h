// A tqdm-like progress bar for training loops:
//
//   epoch 2/4  37%|███▋      | 3712/10000 [00:01<00:02, 185k it/s, loss=0.0123]
//
//   run::ProgressBar bar({.total = steps, .desc = fmt::format("epoch {}/{}", epoch, epochs)});
//   for (int64_t i = 0; i < steps; ++i) {
//     ...one step...
//     bar.set_postfix("loss", running_mean);   // cheap: stored, drawn only when the bar is redrawn
//     bar.update();
//   }
//   bar.close();                                // draws the final state (the destructor does it too)
//
// On a terminal the line is redrawn in place at most 10 times a second; otherwise (a log file, a pipe, CI) a plain line
// is written every few seconds, plus the last one. update() reads the clock at most once per 64 iterations when the
// loop is fast, so the bar costs nothing measurable even at 200k it/s.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glimpse::run {

enum class Display { kAuto, kTerminal, kPlain };  // kAuto: kTerminal when the stream is a terminal

struct ProgressOptions {
  int64_t total = 0;            // iterations expected; 0 = unknown (shows the count and rate only)
  std::string desc = "";        // text before the bar, e.g. "epoch 2/4"
  std::FILE* stream = stderr;   // like tqdm: stdout stays for results
  Display display = Display::kAuto;
  double redraw_seconds = 0.1;  // terminal: at most this often
  double plain_seconds = 3.0;   // not a terminal: one line this often, plus the last
  int bar_width = 10;           // cells of the bar
};

class ProgressBar {
 public:
  explicit ProgressBar(ProgressOptions options);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Counts n more iterations; draws when it is time.
  void update(int64_t n = 1) {
    count_ += n;
    if (count_ >= next_check_) tick();
  }
  // Shows `key=value` after the rate (replacing an earlier value of the same key), e.g. loss, lr, accuracy.
  void set_postfix(std::string_view key, double value);
  // Draws the final state and ends the line. Further updates are ignored.
  void close();

  int64_t count() const { return count_; }
  double elapsed_seconds() const;
  // The bar as text at `elapsed` seconds (what is drawn; tests call it with fixed times).
  std::string line(double elapsed) const;

 private:
  void tick();
  void draw(double elapsed, bool final);

  ProgressOptions options_;
  bool terminal_ = false;
  bool closed_ = false;
  int64_t count_ = 0;
  int64_t next_check_ = 1;      // the count at which update() next reads the clock
  int64_t stride_ = 1;          // iterations between clock reads
  int64_t last_check_count_ = 0;
  int64_t drawn_count_ = -1;    // the count shown by the last line written
  double last_check_ = 0;       // seconds since start
  double last_draw_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::pair<std::string, double>> postfix_;
};

// "185k it/s", "2.50 it/s", "3.20s/it" (slower than one per second reads better upside down, as tqdm does).
std::string format_rate(double per_second);
// 3 significant digits with k/M/G: 0.5 -> "0.5", 1234 -> "1.23k", 185000 -> "185k".
std::string format_si(double x);
// "00:01", "12:34", "1:02:03".
std::string format_duration(double seconds);

}  // namespace glimpse::run
