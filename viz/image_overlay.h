// Image overlays: pictures with an attention map drawn over them as a translucent heatmap (the figure of Xu et al.'s
// "Show, Attend and Tell"), in a grid of titled panels.
//
//   std::vector<viz::OverlayPanel> panels;
//   panels.push_back({.title = "label 7", .image = pixels, .height = 28, .width = 28,
//                     .heat = map, .heat_height = 28, .heat_width = 28});
//   viz::save(out / "spatial_attention.svg", viz::image_overlay(panels, {.title = "spatial attention", .columns = 6}));
//
// Each panel is one embedded PNG (viz/png.h): the grey image, composited with the heat in the viridis colours at an
// opacity that grows with the heat (rescaled from its min to its max in each panel), so low attention leaves the
// image visible. A coarse heat grid (a CNN's feature
// map, a ViT's patches) is upsampled bilinearly to the image's pixels. Boxes (e.g. where a digit was pasted) are drawn
// as outlines on top, and the heat's peak as a small red cross when asked for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse::viz {

struct OverlayBox {
  double x = 0, y = 0, width = 0, height = 0;  // in image pixels
  std::string color = "#2ca02c";
};

struct OverlayPanel {
  std::string title = "";
  std::vector<double> image = {};  // height * width grey values in [0, 1] (clamped), row-major
  int64_t height = 0, width = 0;
  std::vector<double> heat = {};   // heat_height * heat_width values (rescaled min..max per panel); empty: none
  int64_t heat_height = 0, heat_width = 0;
  std::vector<OverlayBox> boxes = {};
  bool mark_peak = false;          // a red cross at the heat's largest cell
};

struct ImageOverlayOptions {
  std::string title = "";
  int columns = 6;               // panels per row
  double scale = 4;              // screen pixels per image pixel
  double max_opacity = 0.7;      // of the heat colour where the heat is largest
  std::string caption = "";      // a line under the title
};

// The figure as a complete <svg> document.
std::string image_overlay(const std::vector<OverlayPanel>& panels, const ImageOverlayOptions& options = {});

}  // namespace glimpse::viz
