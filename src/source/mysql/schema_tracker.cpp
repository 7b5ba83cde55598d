// Schema versions from TABLE_MAP events.
#include "source/mysql/schema_tracker.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "config/key_list.hpp"
#include "source/mysql/binlog/table_schema.hpp"

namespace tributary::source::mysql {

bool same_shape(const binlog::TableMap& a, const binlog::TableMap& b) {
  if (a.columns.size() != b.columns.size() || a.primary_key != b.primary_key ||
      a.primary_key_prefix != b.primary_key_prefix) {
    return false;
  }
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    const auto& x = a.columns[i];
    const auto& y = b.columns[i];
    if (x.wire_type != y.wire_type || x.type != y.type || x.metadata != y.metadata ||
        x.nullable != y.nullable || x.is_unsigned != y.is_unsigned || x.collation != y.collation ||
        x.name != y.name || x.labels != y.labels || x.geometry_type != y.geometry_type) {
      return false;
    }
  }
  return true;
}

SchemaTracker::SchemaTracker(std::string pipeline,
                             std::shared_ptr<const event::CaptureSet> captured,
                             std::map<std::string, std::shared_ptr<const event::TableSchema>> known,
                             config::UnsupportedColumns unsupported,
                             std::map<std::string, std::string> key_overrides)
    : pipeline_(std::move(pipeline)),
      captured_(std::move(captured)),
      known_(std::move(known)),
      unsupported_(unsupported),
      key_overrides_(std::move(key_overrides)) {}

bool SchemaTracker::captured(const event::TableId& id) const {
  return captured_ && event::find_table(*captured_, id) != nullptr;
}

void SchemaTracker::capture(const event::TableId& id) {
  if (captured(id)) return;
  auto grown = captured_ ? std::make_shared<event::CaptureSet>(*captured_)
                         : std::make_shared<event::CaptureSet>();
  grown->push_back(event::CapturedTable{id});
  captured_ = std::move(grown);
}

const TrackedTable* SchemaTracker::find(uint64_t table_id) const {
  auto it = by_id_.find(table_id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::shared_ptr<const event::TableSchema> SchemaTracker::last_schema(
    const event::TableId& id) const {
  const std::string name = id.qualified();
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second.schema;
  if (auto it = known_.find(name); it != known_.end()) return it->second;
  return nullptr;
}

Result<const TrackedTable*> SchemaTracker::on_table_map(binlog::TableMap map) {
  const event::TableId id{map.database, map.table};
  TrackedTable& tracked = by_id_[map.table_id];
  if (!captured(id)) {
    tracked.map = std::move(map);
    tracked.schema = nullptr;
    return &tracked;
  }
  const std::string name = id.qualified();
  auto shape = by_name_.find(name);
  if (shape != by_name_.end() && same_shape(shape->second.map, map)) {
    tracked.map = std::move(map);
    tracked.schema = shape->second.schema;
    return &tracked;
  }
  auto built = binlog::table_schema(map);
  if (!built) return built.error();
  event::TableSchema schema = std::move(*built);
  // message_key_columns replaces the key TABLE_MAP gives (the primary key, or the unique index
  // of NOT NULL columns the server uses as one).
  if (auto entry = key_overrides_.find(name); entry != key_overrides_.end()) {
    for (auto& column : schema.columns) column.key = false;
    schema.key_columns.clear();
    for (const auto& key : config::split_key_columns(entry->second)) {
      auto found = std::find_if(schema.columns.begin(), schema.columns.end(),
                                [&](const event::Column& c) { return c.name == key; });
      if (found == schema.columns.end() || found->omitted) {
        return Error::config("message_key_columns." + name + ": table " + name +
                             (found == schema.columns.end()
                                  ? " has no column '" + key + "' since a DDL statement"
                                  : ": column '" + key + "' has a type tributary cannot encode") +
                             "; fix the list '" + entry->second + "' or remove the entry");
      }
      found->key = true;
      schema.key_columns.push_back(static_cast<std::size_t>(found - schema.columns.begin()));
    }
  }
  std::string omitted;
  const auto known = known_.find(name);
  for (auto& column : schema.columns) {
    // MariaDB's JSON is a LONGTEXT in TABLE_MAP, a FLOAT(M,D) a FLOAT without its scale:
    // information_schema knows better.
    if (known != known_.end() && (column.type.kind == event::TypeKind::kString ||
                                  column.type.kind == event::TypeKind::kFloat32)) {
      const auto wider = column.type.kind == event::TypeKind::kString ? event::TypeKind::kJson
                                                                      : event::TypeKind::kFloat64;
      for (const auto& other : known->second->columns) {
        if (other.name == column.name && other.type.kind == wider) column.type = other.type;
      }
    }
    // TABLE_MAP carries no DEFAULT: the one information_schema gave at set-up, for a column of
    // the same name and type (a default changed or a column added by DDL since has none).
    if (known != known_.end()) {
      for (const auto& other : known->second->columns) {
        if (other.name == column.name && other.type.kind == column.type.kind) {
          column.default_value = other.default_value;
        }
      }
    }
    if (column.omitted)
      omitted += (omitted.empty() ? "" : ", ") + column.name + " (" + column.type.source_name + ")";
  }
  if (!omitted.empty()) {
    if (unsupported_ == config::UnsupportedColumns::kFail) {
      return Error::fatal("table " + name + " has columns tributary cannot encode: " + omitted +
                          " (fix: tables.unsupported_columns: skip, or exclude the table)");
    }
    log::write(log::Level::kWarn, pipeline_, name,
               "columns left out of the events (their type cannot be encoded): " + omitted);
  }
  uint32_t previous = 0;
  if (shape != by_name_.end()) {
    previous = shape->second.schema->version;
  } else if (known != known_.end()) {
    previous = known->second->version;
  }
  schema.version = previous + 1;
  auto shared = std::make_shared<const event::TableSchema>(std::move(schema));
  if (shape != by_name_.end()) {
    log::write(log::Level::kInfo, pipeline_, name,
               "table shape changed in the binlog (DDL): schema version " +
                   std::to_string(shared->version) + " with " +
                   std::to_string(shared->columns.size()) + " columns");
  }
  by_name_[name] = Shape{map, shared};
  tracked.map = std::move(map);
  tracked.schema = std::move(shared);
  return &tracked;
}

}  // namespace tributary::source::mysql
