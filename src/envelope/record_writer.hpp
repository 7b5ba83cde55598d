// The JSON documents of one record: the key and the value envelope (before, after, source, op,
// ts), written with reused buffers from a table version's cached plan.
#pragma once

#include <rapidjson/stringbuffer.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "envelope/json_util.hpp"
#include "envelope/source_block.hpp"
#include "envelope/value_plan.hpp"
#include "envelope/value_writer.hpp"
#include "event/change_event.hpp"

namespace tributary::envelope {
struct Options;
}

namespace tributary::envelope::detail {

/// One table version's cached conversion plan and schema JSON.
struct TablePlan {
  std::shared_ptr<const event::TableSchema> schema;
  std::string qualified;  ///< schema.table, for messages
  std::string topic;      ///< sanitized <prefix>.<schema>.<table>, or its route's topic
  /// Routed (pipelines[].routes): the table's own topic, the key's __dbz__physicalTableIdentifier.
  std::string physical_topic;
  /// {"schema":<key struct schema>,"payload": -- the key record up to its payload (schemas: true)
  std::string key_prefix;
  /// {"schema":<envelope schema>,"payload": -- the value record up to its payload (schemas: true)
  std::string value_prefix;
  std::vector<ColumnPlan> columns;
};

/// One document at a time; not thread-safe.
class RecordWriter {
 public:
  RecordWriter(const Options& options, SourceLayout layout);

  /// {"schema":<key schema>,"payload":{...}} or {...}. A key column given as Unchanged takes its
  /// value from `fallback` (the old row) when there is one.
  Result<std::string> key_json(const TablePlan& plan, const event::Row& row,
                               const event::Row* fallback, bool with_schema);

  /// The value envelope of one record.
  Result<std::string> value_json(const TablePlan& plan, const event::ChangeEvent& event, char op,
                                 const event::Row* before, const event::Row* after, int64_t now_us);

 private:
  void reset();
  std::string take() const;
  /// The JsonConverter envelope around the payload just written: prefix + payload + "}".
  std::string take_wrapped(const std::string& prefix) const;
  Result<void> write_row(const TablePlan& plan, const event::Row* row);
  /// The `transaction` block (event.block): null unless the committer set the event's order.
  void write_transaction(const event::ChangeEvent& event, char op);

  const Options& options_;
  SourceLayout layout_;
  rapidjson::StringBuffer buffer_;
  JsonWriter json_;
  ValueWriter values_;
  std::string scratch_;  ///< the source block's sequence text
};

}  // namespace tributary::envelope::detail
