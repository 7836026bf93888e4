// MNIST-style preprocessing for the draw pad: the digit's bounding box is
// scaled to fit 20x20 (aspect kept, area-averaged) and placed in 28x28 so that
// its centre of mass sits at the centre, as LeCun et al. prepared MNIST.
#pragma once
#include <vector>

namespace nnlab {

// canvas (h, w) ink in [0,1] -> (28*28) pixels in [0,1]; all zeros if blank.
std::vector<float> mnist_preprocess(const std::vector<float>& canvas, int w, int h);

// Paints a round brush stroke from (x0,y0) to (x1,y1) (canvas pixels), soft edge.
void paint_stroke(std::vector<float>& canvas, int w, int h, float x0, float y0, float x1,
                  float y1, float radius);

}  // namespace nnlab
