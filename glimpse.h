// glimpse: one header for the whole framework. `#include "glimpse.h"` and `using namespace glimpse;`.
#pragma once

#include "tensor/dtype.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/indexing.h"
#include "tensor/matmul.h"
#include "tensor/print.h"
#include "tensor/random.h"
#include "tensor/reduce.h"
#include "tensor/shape.h"
#include "tensor/tensor.h"

#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/variable.h"
#include "autograd/graph_dot.h"
#include "autograd/ops_loss.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "autograd/ops_matmul.h"
