// The progress bar: when to draw (clock checks spaced by the measured rate), and how the line is laid out.
#include "run/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace glimpse::run {

namespace {

// Terminal width in columns, or 0 when unknown.
int terminal_columns(std::FILE* stream) {
  winsize size{};
  if (ioctl(fileno(stream), TIOCGWINSZ, &size) == 0) return size.ws_col;
  return 0;
}

// The first `columns` characters of a UTF-8 line (the bar's blocks are one column but three bytes each).
std::string fit_columns(const std::string& s, int columns) {
  int seen = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == columns) return s.substr(0, i);
  }
  return s;
}

}  // namespace

ProgressBar::ProgressBar(ProgressOptions options)
    : options_(std::move(options)), start_(std::chrono::steady_clock::now()) {
  terminal_ = options_.display == Display::kTerminal ||
              (options_.display == Display::kAuto && isatty(fileno(options_.stream)));
  if (terminal_) draw(0, false);  // show the bar at 0 right away: a slow first step still tells the user something
}

ProgressBar::~ProgressBar() { close(); }

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::set_postfix(std::string_view key, double value) {
  for (auto& [k, v] : postfix_) {
    if (k == key) {
      v = value;
      return;
    }
  }
  postfix_.emplace_back(std::string(key), value);
}

void ProgressBar::tick() {
  if (closed_) {
    next_check_ = INT64_MAX;
    return;
  }
  const double now = elapsed_seconds();
  // Next clock read after about 1/100 s worth of iterations at the rate since the last read, but at most 64
  // iterations later: a clock read costs 20-80 ns (73 ns on the project's VM), so one per 64 steps is nothing even at
  // 300k steps/s, while a loop that turns slow after fast steps (a cached epoch, then real work) is noticed within 64
  // steps. A slow loop reads the clock every step. The stride at most doubles from one read to the next.
  const double dt = now - last_check_;
  const int64_t done = count_ - last_check_count_;
  const int64_t estimate = dt > 0 ? static_cast<int64_t>(static_cast<double>(done) * (0.01 / dt)) : done * 2;
  stride_ = std::clamp<int64_t>(std::min(estimate, stride_ * 2), 1, 64);
  next_check_ = count_ + stride_;
  last_check_ = now;
  last_check_count_ = count_;
  const double interval = terminal_ ? options_.redraw_seconds : options_.plain_seconds;
  if (now - last_draw_ >= interval) draw(now, false);
}

void ProgressBar::close() {
  if (closed_) return;
  draw(elapsed_seconds(), true);
  closed_ = true;
  next_check_ = INT64_MAX;
}

void ProgressBar::draw(double elapsed, bool final) {
  last_draw_ = elapsed;
  if (final && !terminal_ && drawn_count_ == count_) return;  // that line is already in the log
  drawn_count_ = count_;
  std::string text = line(elapsed);
  if (terminal_) {
    const int columns = terminal_columns(options_.stream);
    if (columns > 1) text = fit_columns(text, columns - 1);  // a wrapped line could not be redrawn in place
    // \r back to the line start, \x1b[K clears what a longer earlier line left behind.
    text = "\r" + text + "\x1b[K" + (final ? "\n" : "");
  } else {
    text += '\n';
  }
  // fwrite, not fmt::print: a closed or full stream must not throw out of a training loop (or a destructor).
  std::fwrite(text.data(), 1, text.size(), options_.stream);
  std::fflush(options_.stream);
}

std::string ProgressBar::line(double elapsed) const {
  const double rate = elapsed > 0 ? static_cast<double>(count_) / elapsed : 0.0;
  std::string postfix;
  for (const auto& [k, v] : postfix_) postfix += fmt::format(", {}={:.3g}", k, v);
  const std::string rate_text = rate > 0 ? format_rate(rate) : "? it/s";
  std::string out = options_.desc.empty() ? "" : options_.desc + " ";
  if (options_.total <= 0) {
    return out + fmt::format("{}it [{}, {}{}]", count_, format_duration(elapsed), rate_text, postfix);
  }
  const double frac = std::clamp(static_cast<double>(count_) / static_cast<double>(options_.total), 0.0, 1.0);
  // The bar in eighths of a cell: full blocks, one partial block, then spaces.
  static const char* const kPartial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int eighths = static_cast<int>(frac * options_.bar_width * 8);
  std::string bar;
  for (int i = 0; i < eighths / 8; ++i) bar += "█";
  int cells = eighths / 8;
  if (cells < options_.bar_width && eighths % 8 > 0) {
    bar += kPartial[eighths % 8];
    ++cells;
  }
  bar.append(static_cast<size_t>(options_.bar_width - cells), ' ');
  const std::string remaining =
      rate > 0 ? format_duration(static_cast<double>(std::max<int64_t>(options_.total - count_, 0)) / rate) : "?";
  out += fmt::format("{:3d}%|{}| {}/{} [{}<{}, {}{}]", static_cast<int>(frac * 100), bar, count_, options_.total,
                     format_duration(elapsed), remaining, rate_text, postfix);
  return out;
}

std::string format_si(double x) {
  static const char* const kSuffix[] = {"", "k", "M", "G", "T"};
  int k = 0;
  while (std::fabs(x) >= 999.5 && k < 4) {
    x /= 1000;
    ++k;
  }
  // Three significant digits: 1.23, 12.3, 123.
  const double ax = std::fabs(x);
  const std::string digits = ax >= 99.5 ? fmt::format("{:.0f}", x) : ax >= 9.995 ? fmt::format("{:.1f}", x)
                                                                                   : fmt::format("{:.2f}", x);
  return digits + kSuffix[k];
}

std::string format_rate(double per_second) {
  if (per_second > 0 && per_second < 1) return format_si(1 / per_second) + "s/it";
  return format_si(per_second) + " it/s";
}

std::string format_duration(double seconds) {
  const int64_t total = seconds > 0 ? static_cast<int64_t>(seconds) : 0;
  const int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  if (h > 0) return fmt::format("{}:{:02d}:{:02d}", h, m, s);
  return fmt::format("{:02d}:{:02d}", m, s);
}

}  // namespace glimpse::run
