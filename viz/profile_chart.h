// The tape inspector's figure: where one training step's time and memory go, one bar pair per op name.
//
//   TapeProfiler profiler;
//   ... one forward + backward ...
//   viz::save(out / "profile.svg", viz::profile_chart(profiler.stop(), {.title = "one GPT training step"}));
//
// Left: forward (blue) and backward (orange) time, stacked, with the share of the step; right: the memory each op
// name kept for backward (green). The ops taking the most time come first.
#pragma once

#include <string>

#include "autograd/profile.h"
#include "viz/svg.h"  // viz::save, for the usage above

namespace glimpse::viz {

struct ProfileChartOptions {
  std::string title = "";
  size_t max_ops = 16;  // the rest are added up in one "other" row
};

std::string profile_chart(const TapeProfile& profile, const ProfileChartOptions& options = {});

}  // namespace glimpse::viz
