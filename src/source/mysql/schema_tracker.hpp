// The table shapes a binlog stream meets: each TABLE_MAP gives the columns of the rows events
// after it; a table whose TABLE_MAP differs from its last one (after an ALTER) gets a new
// TableSchema version, so events before and after a DDL are each encoded with their own columns.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/result.hpp"
#include "config/config.hpp"
#include "event/capture_set.hpp"
#include "event/change_event.hpp"
#include "source/mysql/binlog/table_map.hpp"

namespace tributary::source::mysql {

/// One table id's current map and, for a captured table, its schema version.
struct TrackedTable {
  binlog::TableMap map;
  std::shared_ptr<const event::TableSchema> schema;  ///< null: not captured
};

/// @locality the stream's worker thread.
class SchemaTracker {
 public:
  /// `known`: schemas read from information_schema at set-up (by database.table): they number
  /// the first version and tell MariaDB's JSON (a LONGTEXT in TABLE_MAP) from text.
  SchemaTracker(std::string pipeline, std::shared_ptr<const event::CaptureSet> captured,
                std::map<std::string, std::shared_ptr<const event::TableSchema>> known,
                config::UnsupportedColumns unsupported,
                std::map<std::string, std::string> key_overrides = {});

  /// A TABLE_MAP: remembers it under its table id. For a captured table whose columns, types,
  /// metadata or key differ from the last map seen for that table, a new schema version (logged).
  /// kConfig when the map lacks column names (binlog_row_metadata not FULL); kFatal for a
  /// captured table with a column that cannot be encoded under unsupported_columns: fail.
  Result<const TrackedTable*> on_table_map(binlog::TableMap map);
  /// The map of `table_id`; null if none was seen.
  const TrackedTable* find(uint64_t table_id) const;
  bool captured(const event::TableId& id) const;
  /// Adds `id` to the capture set this tracker holds (a copy: the set-up's stays as it was), for a
  /// table the stream captures from its TABLE_MAPs alone.
  void capture(const event::TableId& id);
  /// The last schema of a captured table (from a TABLE_MAP or information_schema); null if none.
  std::shared_ptr<const event::TableSchema> last_schema(const event::TableId& id) const;

 private:
  struct Shape {
    binlog::TableMap map;
    std::shared_ptr<const event::TableSchema> schema;
  };
  std::string pipeline_;
  std::shared_ptr<const event::CaptureSet> captured_;
  std::map<std::string, std::shared_ptr<const event::TableSchema>> known_;
  config::UnsupportedColumns unsupported_;
  std::map<std::string, std::string> key_overrides_;
  std::unordered_map<uint64_t, TrackedTable> by_id_;
  std::map<std::string, Shape> by_name_;  ///< database.table -> last map and schema
};

/// Same columns (types, metadata, nullability, signedness, charset, names, labels) and key.
bool same_shape(const binlog::TableMap& a, const binlog::TableMap& b);

}  // namespace tributary::source::mysql
