// --profile for the examples: the tape inspector's result (autograd/profile.h) shown the same way in every program.
//
//   std::optional<TapeProfiler> profiler;
//   if (profile_this_step) profiler.emplace();
//   Variable loss = ...; loss.backward();
//   if (profiler) run::show_profile(profiler->stop(), cli.out, "one training step");
#pragma once

#include <filesystem>
#include <string>

#include "autograd/profile.h"

namespace glimpse::run {

// Prints the by-op summary (the most expensive ops first) to stdout, writes the full per-op table to
// <out>/profile.txt and the figure to <out>/profile.svg. Returns the figure's path.
std::filesystem::path show_profile(const TapeProfile& profile, const std::filesystem::path& out,
                                   const std::string& title);

}  // namespace glimpse::run
