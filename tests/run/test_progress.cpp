// Tests for run/progress.h: the line's layout, rates and times, and plain lines on a stream that is not a terminal.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdio>
#include <string>
#include <vector>

#include "run/progress.h"

using namespace glimpse;

namespace {
// Everything written to a temporary file (not a terminal), as lines.
std::vector<std::string> lines_of(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::vector<std::string> lines;
  std::string cur;
  for (int c; (c = std::fgetc(f)) != EOF;) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(c);
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}
}  // namespace

TEST_CASE("progress: format_si keeps three significant digits") {
  CHECK(run::format_si(0.5) == "0.50");
  CHECK(run::format_si(2.5) == "2.50");
  CHECK(run::format_si(12.34) == "12.3");
  CHECK(run::format_si(999) == "999");
  CHECK(run::format_si(1234) == "1.23k");
  CHECK(run::format_si(185000) == "185k");
  CHECK(run::format_si(999700) == "1.00M");
  CHECK(run::format_si(2.5e9) == "2.50G");
}

TEST_CASE("progress: format_rate flips below one per second") {
  CHECK(run::format_rate(185000) == "185k it/s");
  CHECK(run::format_rate(3.0) == "3.00 it/s");
  CHECK(run::format_rate(0.25) == "4.00s/it");
}

TEST_CASE("progress: format_duration is mm:ss, then h:mm:ss") {
  CHECK(run::format_duration(0) == "00:00");
  CHECK(run::format_duration(1.9) == "00:01");
  CHECK(run::format_duration(754) == "12:34");
  CHECK(run::format_duration(3723) == "1:02:03");
  CHECK(run::format_duration(-1) == "00:00");
}

TEST_CASE("progress: the line has the description, percent, eighths of a cell, counts, times, rate and postfix") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  run::ProgressBar bar({.total = 10000, .desc = "epoch 2/4", .stream = f, .display = run::Display::kPlain});
  bar.update(3712);
  bar.set_postfix("loss", 0.0123);
  // 3712 in 1.5 s: 2475 it/s, 6288 left take 2.54 s. 37.12% of 10 cells = 29 eighths: 3 full cells and 5/8.
  CHECK(bar.line(1.5) == "epoch 2/4  37%|███▋      | 3712/10000 [00:01<00:02, 2.47k it/s, loss=0.0123]");
  bar.set_postfix("lr", 1e-3);
  bar.set_postfix("loss", 0.5);  // replaces, keeps the order
  bar.update(10000 - 3712);
  CHECK(bar.line(4.0) == "epoch 2/4 100%|██████████| 10000/10000 [00:04<00:00, 2.50k it/s, loss=0.5, lr=0.001]");
  bar.close();
  std::fclose(f);
}

TEST_CASE("progress: unknown total shows the count and the rate") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    run::ProgressBar bar({.stream = f});
    bar.update(500);
    CHECK(bar.line(2.0) == "500it [00:02, 250 it/s]");
  }
  std::fclose(f);
}

TEST_CASE("progress: on a stream that is not a terminal a fast loop writes only the last line") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    run::ProgressBar bar({.total = 20000, .desc = "fast", .stream = f});
    for (int i = 0; i < 20000; ++i) bar.update();
  }  // the destructor closes
  const auto lines = lines_of(f);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("fast 100%|██████████| 20000/20000 [", 0) == 0);
  CHECK(lines[0].find('\r') == std::string::npos);   // no in-place redraws in a log
  CHECK(lines[0].find("\x1b") == std::string::npos);
  std::fclose(f);
}

TEST_CASE("progress: plain lines come periodically, and the last one is not repeated") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  run::ProgressBar bar({.total = 5, .stream = f, .plain_seconds = 0.0});
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(15));  // a slow loop: the clock is read every step
    bar.update();
  }
  bar.close();
  bar.close();
  bar.update();  // ignored after close
  const auto lines = lines_of(f);
  REQUIRE(lines.size() == 5);  // one per update (interval 0); close finds the last one already written
  CHECK(lines[0].find(" 1/5 ") != std::string::npos);
  CHECK(lines[4].find(" 5/5 ") != std::string::npos);
  std::fclose(f);
}

TEST_CASE("progress: a terminal display redraws in place and ends the line") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    run::ProgressBar bar({.total = 3, .stream = f, .display = run::Display::kTerminal, .redraw_seconds = 0.0});
    for (int i = 0; i < 3; ++i) bar.update();
  }
  std::fflush(f);
  std::rewind(f);
  std::string all;
  for (int c; (c = std::fgetc(f)) != EOF;) all += static_cast<char>(c);
  CHECK(all.front() == '\r');
  CHECK(all.back() == '\n');
  CHECK(std::count(all.begin(), all.end(), '\n') == 1);  // one line, redrawn
  CHECK(all.find("3/3") != std::string::npos);
  std::fclose(f);
}

TEST_CASE("progress: a fast loop on a terminal is redrawn at most 10 times a second") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  int64_t updates = 0;
  double seconds = 0;
  {
    run::ProgressBar bar({.total = 0, .stream = f, .display = run::Display::kTerminal});
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(350)) {
      bar.update();
      ++updates;
    }
    seconds = bar.elapsed_seconds();
  }
  std::fflush(f);
  std::rewind(f);
  int redraws = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) redraws += c == '\r';
  // the first draw, one per 0.1 s, and the final one
  CHECK(redraws <= static_cast<int>(seconds * 10) + 2);
  CHECK(redraws >= 2);
  CHECK(updates > 1000);
  std::fclose(f);
}

TEST_CASE("progress: a loop that turns slow after fast first steps still gets its lines") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    run::ProgressBar bar({.total = 1100, .stream = f, .plain_seconds = 0.05});
    for (int i = 0; i < 1000; ++i) bar.update();  // fast
    for (int i = 0; i < 100; ++i) {               // then 3 ms a step: 0.3 s, room for several lines
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      bar.update();
    }
  }
  // Without a bounded stride the fast start would postpone the next clock read past the end: one line only.
  CHECK(lines_of(f).size() >= 3);
  std::fclose(f);
}
