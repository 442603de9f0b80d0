#pragma once
// Differentiable ops on the tape, one header per family. Each op records its
// value and its backward step; a backward step only runs, and only writes the
// gradients of inputs that need one. Every op has a finite-difference test in
// double (tests/autograd).
#include "heed/autograd/ops/aggregation.hpp"
#include "heed/autograd/ops/attention.hpp"
#include "heed/autograd/ops/dense_attention.hpp"
#include "heed/autograd/ops/elementwise.hpp"
#include "heed/autograd/ops/embedding.hpp"
#include "heed/autograd/ops/losses.hpp"
#include "heed/autograd/ops/norms.hpp"
#include "heed/autograd/ops/products.hpp"
#include "heed/autograd/ops/readout.hpp"
