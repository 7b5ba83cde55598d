// The JsonConverter "schema" part of the key and value records, built once per table version.
// Node key order (JsonConverter): type, fields/items, optional, name, version, doc, parameters,
// default, field.
#pragma once

#include <string>

#include "envelope/source_block.hpp"
#include "envelope/value_plan.hpp"
#include "event/change_event.hpp"

namespace tributary::envelope::detail {

/// One column's (or array element's) schema node; `field` null for array items.
/// `default_value`: the column's Debezium default, written as "default" (null: none).
void write_type_schema(JsonWriter& json, const event::ColumnType& type, bool optional,
                       const std::string* field, const Mapping& mapping,
                       const event::Value* default_value = nullptr,
                       const ColumnMask* mask = nullptr);

/// The record prefixes up to the payload: {"schema":<key struct schema>,"payload": and
/// {"schema":<envelope schema>,"payload": (the payload and a closing brace follow).
struct RecordPrefixes {
  std::string key;
  std::string value;
};
/// `columns` (the table plan's, when given): which value fields are left out, and their masks'
/// schema parameters. `topic`: the schema names' base (`<topic>.Key`, ...). `routed_key`: the key
/// schema ends with ByLogicalTableRouter's required string field __dbz__physicalTableIdentifier.
RecordPrefixes record_prefixes(const event::TableSchema& table, const std::string& topic,
                               SourceLayout layout, const Mapping& mapping,
                               const std::vector<ColumnPlan>* columns = nullptr,
                               bool routed_key = false);

/// The value schema's `transaction` field (event.block, optional), for records other than data
/// change events that carry it (logical decoding messages).
void write_transaction_block_schema(JsonWriter& json);

}  // namespace tributary::envelope::detail
