#pragma once
// Embedding lookups: a table of V rows (one per token id), and N ids, each
// picking the table row its output row copies. Backward, an id seen many
// times gathers many gradient rows into one table row.
#include <cstdint>
#include <span>

namespace heed::kernels {

/// heed::Error, naming `op`, unless every id is in [0, rows).
void check_ids(std::span<const std::int32_t> ids, std::int64_t rows, const char* op);

/// out_i = table_{ids_i} (N x width). Row-parallel: a thread writes only its
/// own output rows.
template <class T>
void gather_rows(std::span<const T> table, int width, std::span<const std::int32_t> ids,
                 std::span<T> out);

/// grad_table_v += sum_{i : ids_i = v} grad_out_i. The occurrences are first
/// bucketed by id (a counting sort); then a thread owns whole table rows and
/// adds their occurrences in index order: no atomics, and the same sums
/// whatever the thread count.
template <class T>
void scatter_add_rows(std::span<const T> grad_out, int width, std::span<const std::int32_t> ids,
                      std::span<T> grad_table);

}  // namespace heed::kernels
