// Key-ordered snapshot chunks: which key a table is chunked by, the chunk SELECT, a row's key.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "event/change_event.hpp"
#include "source/postgres/pg_connection.hpp"

namespace tributary::source::postgres {

/// How one table is read in chunks.
struct ChunkPlan {
  std::string relation;     ///< "schema"."table", quoted
  std::string select_list;  ///< every column in schema order; omitted ones as NULL
  /// Indexes into the schema's columns of the key the chunks follow; empty: one chunk.
  std::vector<std::size_t> key;
  std::string key_list;  ///< the key columns, quoted, comma separated
  /// Why the table is one chunk (empty when chunked), for the log.
  std::string unchunked_reason;
  /// pipelines[].tables.row_filters: the publication's WHERE condition, also the snapshot's.
  std::string row_filter;
  bool chunked() const { return !key.empty(); }
};

/// Chunks follow the table's key when it is unique and never null: the primary key, or a unique
/// index of NOT NULL columns. A key given by pipelines[].message_key_columns (`overridden`) need
/// not be unique, and a unique index may hold NULLs: such tables, like keyless ones, are one chunk.
/// `row_filter`: the table's row filter (empty: none), applied to every chunk.
ChunkPlan plan_chunks(PgConnection& connection, const event::TableSchema& schema, bool overridden,
                      const std::string& row_filter = {});

/// The SELECT of the next chunk: rows whose key is after `after` (empty: from the start), in key
/// order, at most `limit`. Unchunked: the whole table.
std::string chunk_sql(PgConnection& connection, const ChunkPlan& plan,
                      const std::vector<std::string>& after, int limit);

/// Row `row` of a result whose columns are the schema's, as text values (NULL as Null).
event::Row read_row(const PGresult* result, int row);

/// The key columns' text of `values` (a snapshot row or a streamed image); empty if one of them
/// is not text (NULL, unchanged TOAST).
std::vector<std::string> key_text(const event::Row& values, const std::vector<std::size_t>& key);

}  // namespace tributary::source::postgres
