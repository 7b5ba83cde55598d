// The key and value documents of one record.
#include "envelope/record_writer.hpp"

#include <cstdio>

#include "envelope/serializer.hpp"
#include "envelope/topic_router.hpp"

namespace tributary::envelope::detail {

RecordWriter::RecordWriter(const Options& options, SourceLayout layout)
    : options_(options),
      layout_(layout),
      json_(buffer_),
      values_(json_, options.unavailable_value_placeholder) {}

void RecordWriter::reset() {
  buffer_.Clear();
  json_.Reset(buffer_);
}

std::string RecordWriter::take() const {
  return std::string(buffer_.GetString(), buffer_.GetSize());
}

std::string RecordWriter::take_wrapped(const std::string& prefix) const {
  std::string out;
  out.reserve(prefix.size() + buffer_.GetSize() + 1);
  out.append(prefix);
  out.append(buffer_.GetString(), buffer_.GetSize());
  out.push_back('}');
  return out;
}

Result<std::string> RecordWriter::key_json(const TablePlan& plan, const event::Row& row,
                                           const event::Row* fallback, bool with_schema) {
  reset();
  json_.StartObject();
  for (std::size_t index : plan.schema->key_columns) {
    const ColumnPlan& column = plan.columns[index];
    const event::Value* value = &row[index];
    if (std::holds_alternative<event::Unchanged>(*value) && fallback != nullptr) {
      value = &(*fallback)[index];
    }
    if (std::holds_alternative<event::Unchanged>(*value)) {
      return Error::corrupt("table " + plan.qualified + " key column " + column.name +
                            " has an unchanged TOAST value and no old value to take the key "
                            "from");
    }
    key(json_, column.name);
    if (auto result = values_.write(plan.qualified, column, *value, /*masked=*/false);
        !result.ok()) {
      return result.error();
    }
  }
  if (!plan.physical_topic.empty()) {
    key(json_, kPhysicalTableIdentifier);
    json_.String(plan.physical_topic.data(),
                 static_cast<rapidjson::SizeType>(plan.physical_topic.size()));
  }
  json_.EndObject();
  return with_schema ? take_wrapped(plan.key_prefix) : take();
}

Result<std::string> RecordWriter::value_json(const TablePlan& plan, const event::ChangeEvent& event,
                                             char op, const event::Row* before,
                                             const event::Row* after, int64_t now_us) {
  reset();
  json_.StartObject();
  key(json_, "before");
  if (auto result = write_row(plan, before); !result.ok()) return result.error();
  key(json_, "after");
  if (auto result = write_row(plan, after); !result.ok()) return result.error();
  key(json_, "source");
  BadSourceText bad;
  write_source(json_, layout_, {options_.version, options_.connector, options_.topic_prefix},
               *plan.schema, event.source, scratch_, bad);
  if (bad.what != nullptr) {
    return Error::corrupt("table " + plan.qualified + ": the " + bad.what + " " +
                          quote_for_error(bad.text) + " is not valid UTF-8");
  }
  key(json_, "transaction");
  write_transaction(event, op);
  key(json_, "op");
  json_.String(&op, 1);
  key(json_, "ts_ms");
  json_.Int64(floor_div(now_us, 1000));
  key(json_, "ts_us");
  json_.Int64(now_us);
  key(json_, "ts_ns");
  json_.Int64(micros_to_nanos(now_us));
  json_.EndObject();
  return options_.schemas ? take_wrapped(plan.value_prefix) : take();
}

void RecordWriter::write_transaction(const event::ChangeEvent& event, char op) {
  const event::TransactionOrder& order = event.transaction;
  const auto* postgres = std::get_if<event::PostgresSourceInfo>(&event.source.origin);
  const bool postgres_id = postgres != nullptr && postgres->txid && postgres->lsn;
  if (order.total_order == 0 || (order.id == nullptr && !postgres_id)) {
    json_.Null();
    return;
  }
  // A key change's create follows its delete: one more in both orders, as Debezium counts the
  // pair as two events.
  const int64_t step = event.op == event::Op::kUpdate && op == 'c' ? 1 : 0;
  json_.StartObject();
  key(json_, "id");
  if (order.id != nullptr) {
    string(json_, *order.id);
  } else {
    // As Debezium's PostgreSQL connector: <txId>:<this event's LSN>, so it differs per event.
    char text[48];
    const int length = std::snprintf(text, sizeof text, "%lld:%llu",
                                     static_cast<long long>(*postgres->txid),
                                     static_cast<unsigned long long>(*postgres->lsn));
    json_.String(text, static_cast<rapidjson::SizeType>(length));
  }
  key(json_, "total_order");
  json_.Int64(order.total_order + step);
  key(json_, "data_collection_order");
  json_.Int64(order.data_collection_order + step);
  json_.EndObject();
}

Result<void> RecordWriter::write_row(const TablePlan& plan, const event::Row* row) {
  if (row == nullptr) {
    json_.Null();
    return {};
  }
  json_.StartObject();
  for (std::size_t i = 0; i < plan.columns.size(); ++i) {
    const ColumnPlan& column = plan.columns[i];
    if (column.omitted) continue;
    key(json_, column.name);
    if (auto result = values_.write(plan.qualified, column, (*row)[i]); !result.ok()) {
      return result;
    }
  }
  json_.EndObject();
  return {};
}

}  // namespace tributary::envelope::detail
