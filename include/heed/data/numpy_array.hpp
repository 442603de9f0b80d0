#pragma once
// numpy arrays and scipy's compressed sparse row matrices as a pickle builds
// them (numpy.core.multiarray._reconstruct with the array's state;
// scipy.sparse.csr_matrix with its indptr, indices, data and shape), decoded
// into heed's own containers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heed/data/python_pickle.hpp"

namespace heed::data {

/// A numeric array, its elements in row-major order.
struct NumpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> values;
};

/// Sparse rows: row r's columns are indices[indptr[r], indptr[r + 1]).
struct SparseRows {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::int64_t> indptr;
  std::vector<std::int64_t> indices;
  std::vector<double> data;
};

/// The numeric array `value` pickles (bool, integer or float elements, either
/// byte order, C or Fortran order); heed::Error naming `what` and the problem.
NumpyArray numpy_array(const pickle::Value& value, const std::string& what);

/// The CSR matrix `value` pickles, with its structure checked (indptr
/// non-decreasing from 0 to nnz, every index inside the shape).
SparseRows scipy_csr_matrix(const pickle::Value& value, const std::string& what);

}  // namespace heed::data
