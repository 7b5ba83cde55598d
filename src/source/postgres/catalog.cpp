// Catalog lookups and the PostgreSQL type mapping to the neutral ColumnType.
#include "source/postgres/catalog.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "base/log.hpp"
#include "source/postgres/key_columns.hpp"
#include "source/postgres/values/default_value.hpp"
#include "source/postgres/values/text_parsers.hpp"

namespace tributary::source::postgres {
namespace {

using event::ColumnType;
using event::TypeKind;

std::atomic<uint32_t> g_schema_version{0};

ColumnType simple(TypeKind kind, std::string name) {
  ColumnType type;
  type.kind = kind;
  type.source_name = std::move(name);
  return type;
}

/// Fractional-second precision from a time/timestamp typmod (-1: default, 6 digits).
int time_precision(int32_t typmod) {
  return typmod < 0 ? -1 : typmod;
}

/// Built-in scalar types by OID (pg_type.dat). Arrays and user types go through the catalog.
bool builtin_type(uint32_t oid, int32_t typmod, ColumnType& out) {
  switch (oid) {
    case 16:
      out = simple(TypeKind::kBool, "bool");
      return true;
    case 21:
      out = simple(TypeKind::kInt16, "int2");
      return true;
    case 23:
      out = simple(TypeKind::kInt32, "int4");
      return true;
    case 20:
      out = simple(TypeKind::kInt64, "int8");
      return true;
    case 700:
      out = simple(TypeKind::kFloat32, "float4");
      return true;
    case 701:
      out = simple(TypeKind::kFloat64, "float8");
      return true;
    case 1700:
      if (typmod < 4) {
        out = simple(TypeKind::kVariableDecimal, "numeric");
      } else {
        out = simple(TypeKind::kDecimal, "numeric");
        out.precision = ((typmod - 4) >> 16) & 0xffff;
        out.scale = (typmod - 4) & 0xffff;
        out.source_name =
            "numeric(" + std::to_string(out.precision) + "," + std::to_string(out.scale) + ")";
      }
      return true;
    case 790:
      // PostgresValueConverter.moneySchema, decimal.handling.mode precise: Decimal.builder(2),
      // no precision parameter (precision 0 leaves it out).
      out = simple(TypeKind::kDecimal, "money");
      out.precision = 0;  // what the value decoder knows money's text (currency symbol) by
      out.scale = postgres::text::kMoneyScale;
      return true;
    case 1560:
    case 1562: {
      // PostgresValueConverter.schemaBuilder: length > 1 -> Bits.builder(length), else boolean.
      // varbit without a length has no length Debezium could name: left unsupported.
      const bool varying = oid == 1562;
      if (typmod < 1) {
        if (varying) return false;
        typmod = 1;
      }
      const std::string name =
          std::string(varying ? "varbit(" : "bit(") + std::to_string(typmod) + ")";
      if (typmod == 1) {
        out = simple(TypeKind::kBool, name);
      } else {
        out = simple(TypeKind::kBits, name);
        out.precision = typmod;
      }
      return true;
    }
    case 25:
      out = simple(TypeKind::kString, "text");
      return true;
    case 1043:
    case 1042:
      out = simple(TypeKind::kString, oid == 1043 ? "varchar" : "bpchar");
      // The declared length n of varchar(n) / char(n): columns.mask_hash cuts its hex to it.
      if (typmod >= 4) out.precision = typmod - 4;
      return true;
    case 18:
      out = simple(TypeKind::kString, "char");
      return true;
    case 19:
      out = simple(TypeKind::kString, "name");
      return true;
    case 869:
      out = simple(TypeKind::kString, "inet");
      return true;
    case 650:
      out = simple(TypeKind::kString, "cidr");
      return true;
    case 829:
      out = simple(TypeKind::kString, "macaddr");
      return true;
    case 17:
      out = simple(TypeKind::kBytes, "bytea");
      return true;
    case 1082:
      out = simple(TypeKind::kDate, "date");
      return true;
    case 1083:
      out = simple(TypeKind::kTime, "time");
      out.precision = time_precision(typmod);
      return true;
    case 1114:
      out = simple(TypeKind::kTimestamp, "timestamp");
      out.precision = time_precision(typmod);
      return true;
    case 1184:
      out = simple(TypeKind::kTimestampTz, "timestamptz");
      out.precision = time_precision(typmod);
      return true;
    case 1186:
      out = simple(TypeKind::kInterval, "interval");
      return true;
    case 2950:
      out = simple(TypeKind::kUuid, "uuid");
      return true;
    case 114:
      out = simple(TypeKind::kJson, "json");
      return true;
    case 3802:
      out = simple(TypeKind::kJson, "jsonb");
      return true;
    case 142:
      out = simple(TypeKind::kXml, "xml");
      return true;
    case 26:  // Debezium: int64 (oid is unsigned 32-bit)
      out = simple(TypeKind::kInt64, "oid");
      return true;
    case 774:
      out = simple(TypeKind::kString, "macaddr8");
      return true;
    case 1266:
      out = simple(TypeKind::kTimeTz, "timetz");
      out.precision = time_precision(typmod);
      return true;
    case 3614:
      out = simple(TypeKind::kTsvector, "tsvector");
      return true;
    // Range types: their text as it is ("[1,10)"), as Debezium writes them.
    case 3904:
      out = simple(TypeKind::kString, "int4range");
      return true;
    case 3926:
      out = simple(TypeKind::kString, "int8range");
      return true;
    case 3906:
      out = simple(TypeKind::kString, "numrange");
      return true;
    case 3908:
      out = simple(TypeKind::kString, "tsrange");
      return true;
    case 3910:
      out = simple(TypeKind::kString, "tstzrange");
      return true;
    case 3912:
      out = simple(TypeKind::kString, "daterange");
      return true;
    default:
      return false;
  }
}

std::string value_or_empty(const PGresult* r, int row, int col) {
  return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}

}  // namespace

TableFilter::TableFilter(const std::vector<std::string>& include,
                         const std::vector<std::string>& exclude) {
  for (const auto& p : include) include_.emplace_back(p, std::regex::ECMAScript);
  for (const auto& p : exclude) exclude_.emplace_back(p, std::regex::ECMAScript);
}

bool TableFilter::matches(const event::TableId& id) const {
  std::string name = id.qualified();
  bool included = false;
  for (const auto& r : include_) included = included || std::regex_match(name, r);
  if (!included) return false;
  for (const auto& r : exclude_) {
    if (std::regex_match(name, r)) return false;
  }
  return true;
}

Catalog::Catalog(std::unique_ptr<PgConnection> connection) : connection_(std::move(connection)) {}

Result<std::vector<event::TableId>> Catalog::list_tables(const TableFilter& filter) {
  auto result = connection_->exec(
      "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r','p') AND NOT c.relispartition "
      "AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
      "AND n.nspname NOT LIKE 'pg_temp%' ORDER BY 1, 2");
  if (!result.ok()) return result.error();
  std::vector<event::TableId> tables;
  for (int i = 0; i < PQntuples(result->get()); ++i) {
    event::TableId id{PQgetvalue(result->get(), i, 0), PQgetvalue(result->get(), i, 1)};
    if (filter.matches(id)) tables.push_back(std::move(id));
  }
  return tables;
}

Result<uint32_t> Catalog::relation_oid(const event::TableId& id) {
  auto result = connection_->exec_params(
      "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2",
      {id.schema, id.table});
  if (!result.ok()) return result.error();
  if (PQntuples(result->get()) != 1) {
    return Error::config("table " + id.qualified() + " does not exist");
  }
  return static_cast<uint32_t>(std::stoul(PQgetvalue(result->get(), 0, 0)));
}

Result<std::vector<std::string>> Catalog::primary_key(uint32_t relation_oid) {
  auto result = connection_->exec_params(
      "SELECT a.attname FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord",
      {std::to_string(relation_oid)});
  if (!result.ok()) return result.error();
  std::vector<std::string> names;
  for (int i = 0; i < PQntuples(result->get()); ++i)
    names.emplace_back(PQgetvalue(result->get(), i, 0));
  return names;
}

Result<std::map<std::string, std::string>> Catalog::column_defaults(uint32_t relation_oid) {
  auto result = connection_->exec_params(
      "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
      "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
      "WHERE d.adrelid = $1 AND a.attgenerated = ''",
      {std::to_string(relation_oid)});
  if (!result.ok()) return result.error();
  std::map<std::string, std::string> defaults;
  for (int i = 0; i < PQntuples(result->get()); ++i) {
    defaults.emplace(PQgetvalue(result->get(), i, 0), value_or_empty(result->get(), i, 1));
  }
  return defaults;
}

Result<Catalog::TypeInfo> Catalog::type_info(uint32_t oid) {
  if (auto it = type_cache_.find(oid); it != type_cache_.end()) return it->second;
  auto result = connection_->exec_params(
      "SELECT n.nspname, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, "
      "t.typtypmod FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1",
      {std::to_string(oid)});
  if (!result.ok()) return result.error();
  if (PQntuples(result->get()) != 1) {
    return Error::fatal("type OID " + std::to_string(oid) + " not found in pg_type");
  }
  const PGresult* r = result->get();
  TypeInfo info;
  info.schema = value_or_empty(r, 0, 0);
  info.name = value_or_empty(r, 0, 1);
  info.typtype = value_or_empty(r, 0, 2).c_str()[0];
  info.category = value_or_empty(r, 0, 3).c_str()[0];
  info.element = static_cast<uint32_t>(std::stoul(value_or_empty(r, 0, 4)));
  info.base = static_cast<uint32_t>(std::stoul(value_or_empty(r, 0, 5)));
  info.base_typmod = std::stoi(value_or_empty(r, 0, 6));
  type_cache_[oid] = info;
  return info;
}

Result<std::string> Catalog::type_name(uint32_t oid) {
  auto info = type_info(oid);
  if (!info.ok()) return info.error();
  return info->schema + "." + info->name;
}

Result<event::ColumnType> Catalog::resolve_type(uint32_t oid, int32_t typmod,
                                                const std::string& column_path) {
  ColumnType type;
  if (builtin_type(oid, typmod, type)) return type;
  auto info = type_info(oid);
  if (!info.ok()) return info.error();
  if (info->typtype == 'd') {  // domain: its base type, with the domain's own modifier
    return resolve_type(info->base, info->base_typmod >= 0 ? info->base_typmod : typmod,
                        column_path);
  }
  // money[], bit[], varbit[]: Debezium 3.6 has no array mapping for them (PostgresValueConverter:
  // MONEY_ARRAY and VARBIT_ARRAY fall back to "not implemented", DBZ-459; BIT_ARRAY's schema is a
  // scalar Bits), so they stay unsupported rather than invent one. interval[] (1187) is absent from
  // its schemaBuilder too: Debezium drops such a column, and so do we (unsupported_columns: skip).
  // Debezium 3.6.1 drops name[] (1003), xml[] (143) and arrays of a domain as well (checked
  // against it).
  bool debezium_has_no_array = info->element == 790 || info->element == 1560 ||
                               info->element == 1562 || info->element == 1186 ||
                               info->element == 19 || info->element == 142;
  if (info->category == 'A' && info->element != 0 && !debezium_has_no_array) {
    auto element_info = type_info(info->element);
    if (!element_info.ok()) return element_info.error();
    debezium_has_no_array = element_info->typtype == 'd';
  }
  if (info->category == 'A' && info->element != 0 && !debezium_has_no_array) {
    auto element = resolve_type(info->element, typmod, column_path);
    if (!element.ok()) return element.error();
    type.kind = TypeKind::kArray;
    type.source_name = element->source_name + "[]";
    type.element = std::make_shared<const ColumnType>(std::move(element.value()));
    return type;
  }
  if (info->typtype == 'e') {
    auto it = enum_cache_.find(oid);
    if (it == enum_cache_.end()) {
      auto labels = connection_->exec_params(
          "SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder",
          {std::to_string(oid)});
      if (!labels.ok()) return labels.error();
      std::vector<std::string> values;
      for (int i = 0; i < PQntuples(labels->get()); ++i)
        values.emplace_back(PQgetvalue(labels->get(), i, 0));
      it = enum_cache_.emplace(oid, std::move(values)).first;
    }
    type.kind = TypeKind::kEnum;
    type.enum_values = it->second;
    type.source_name = info->name;
    return type;
  }
  // Extension types Debezium maps by name (TypeRegistry).
  if (info->name == "citext" || info->name == "hstore_text" || info->name == "isbn") {
    return simple(TypeKind::kString, info->name);
  }
  if (info->name == "ltree") return simple(TypeKind::kLtree, info->name);
  if (info->name == "hstore") return simple(TypeKind::kHstore, info->name);
  return Error::config("column " + column_path + " has unsupported type " + info->schema + "." +
                       info->name + " (OID " + std::to_string(oid) +
                       "): exclude the table with tables.exclude, or change the column type");
}

Result<std::shared_ptr<const event::TableSchema>> Catalog::load_table_schema(
    const event::TableId& id) {
  auto oid = relation_oid(id);
  if (!oid.ok()) return oid.error();
  auto result = connection_->exec_params(
      "SELECT attname, atttypid, atttypmod, NOT attnotnull FROM pg_attribute "
      "WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attgenerated = '' "
      "ORDER BY attnum",
      {std::to_string(*oid)});
  if (!result.ok()) return result.error();
  std::vector<RawColumn> columns;
  for (int i = 0; i < PQntuples(result->get()); ++i) {
    RawColumn column;
    column.name = PQgetvalue(result->get(), i, 0);
    column.type_oid = static_cast<uint32_t>(std::stoul(PQgetvalue(result->get(), i, 1)));
    column.typmod = std::stoi(PQgetvalue(result->get(), i, 2));
    column.optional = PQgetvalue(result->get(), i, 3)[0] == 't';
    columns.push_back(std::move(column));
  }
  auto primary = primary_key(*oid);
  if (!primary.ok()) return primary.error();
  // No primary key: Debezium's first unique index; message_key_columns overrides either.
  auto key =
      key_columns(*connection_, id, *oid, columns, std::move(*primary), message_key_columns_);
  if (!key.ok()) return key.error();
  return build_table_schema(*this, id, *oid, columns, *key);
}

Result<std::shared_ptr<const event::TableSchema>> build_table_schema(
    Catalog& catalog, const event::TableId& id, uint32_t relation_oid,
    const std::vector<RawColumn>& columns, const std::vector<std::string>& key_names) {
  auto schema = std::make_shared<event::TableSchema>();
  schema->id = id;
  schema->source_oid = relation_oid;
  schema->version = ++g_schema_version;
  schema->columns.reserve(columns.size());
  // Every unsupported column is named in one error, so one look at it fixes the table.
  std::string unsupported;
  const bool skip = catalog.unsupported_columns() == config::UnsupportedColumns::kSkip;
  // Field schemas carry Debezium's conversion of each column DEFAULT (default_value.hpp).
  auto defaults = catalog.column_defaults(relation_oid);
  if (!defaults.ok()) return defaults.error();
  for (const auto& raw : columns) {
    auto type = catalog.resolve_type(raw.type_oid, raw.typmod, id.qualified() + "." + raw.name);
    if (!type.ok()) {
      if (type.error().kind != ErrorKind::kConfig) return type.error();
      const bool key = std::find(key_names.begin(), key_names.end(), raw.name) != key_names.end();
      if (skip && !key) {
        auto name = catalog.type_name(raw.type_oid);
        if (!name.ok()) return name.error();
        event::Column column;
        column.name = raw.name;
        column.type.source_name = *name;
        column.optional = true;
        column.omitted = true;
        schema->columns.push_back(std::move(column));
        continue;
      }
      std::string message = type.error().message;
      if (key) {
        message +=
            " (it is part of the primary key / replica identity, so "
            "tables.unsupported_columns: skip cannot leave it out)";
      } else {
        message +=
            " (or set pipelines[].tables.unsupported_columns: skip to leave such columns "
            "out of the events)";
      }
      unsupported += (unsupported.empty() ? "" : "; ") + message;
      continue;
    }
    event::Column column;
    column.name = raw.name;
    column.type = std::move(type.value());
    column.optional = raw.optional;
    if (auto it = defaults->find(raw.name); it != defaults->end()) {
      if (auto value = debezium_default(column.type, it->second)) {
        column.default_value = std::make_shared<const event::Value>(std::move(*value));
      }
    }
    schema->columns.push_back(std::move(column));
  }
  if (!unsupported.empty()) return Error::config(unsupported);
  for (const auto& key : key_names) {
    for (std::size_t i = 0; i < schema->columns.size(); ++i) {
      if (schema->columns[i].name == key) {
        schema->columns[i].key = true;
        schema->key_columns.push_back(i);
      }
    }
  }
  return std::shared_ptr<const event::TableSchema>(std::move(schema));
}

void warn_omitted_columns(const std::string& pipeline, const event::TableSchema& schema) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  for (const auto& column : schema.columns) {
    if (!column.omitted) continue;
    {
      std::lock_guard lock(mutex);
      if (!warned.insert(pipeline + '\n' + schema.id.qualified() + '\n' + column.name).second) {
        continue;
      }
    }
    log::write(log::Level::kWarn, pipeline, schema.id.qualified(),
               "column " + column.name + " has type " + column.type.source_name +
                   ", which tributary cannot encode: it is left out of the events (key, before, "
                   "after and schema) (set pipelines[].tables.unsupported_columns: fail to stop "
                   "instead, or exclude the table with tables.exclude)");
  }
}

}  // namespace tributary::source::postgres
