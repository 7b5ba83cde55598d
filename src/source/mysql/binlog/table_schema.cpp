// TABLE_MAP -> event::TableSchema: the MySQL column types mapped as DEBEZIUM_FORMAT.md says.
#include "source/mysql/binlog/table_schema.hpp"

#include "source/mysql/binlog/charset.hpp"

namespace tributary::source::mysql::binlog {
namespace {

using event::TypeKind;

const char* geometry_name(std::optional<uint32_t> type) {
  static constexpr const char* kNames[] = {
      "geometry",   "point",           "linestring",   "polygon",
      "multipoint", "multilinestring", "multipolygon", "geometrycollection"};
  return type && *type < 8 ? kNames[*type] : "geometry";
}

/// Fills `column.type` from the TABLE_MAP column; false: not encodable (column omitted).
bool map_type(const ColumnInfo& info, event::Column& column) {
  event::ColumnType& type = column.type;
  const std::string sign = info.is_unsigned ? " unsigned" : "";
  auto set = [&](TypeKind kind, std::string name) {
    type.kind = kind;
    type.source_name = std::move(name);
    return true;
  };
  switch (info.type) {
    case kTypeTiny:
      return set(TypeKind::kInt16, "tinyint" + sign);
    case kTypeShort:
      return set(info.is_unsigned ? TypeKind::kInt32 : TypeKind::kInt16, "smallint" + sign);
    case kTypeInt24:
      return set(TypeKind::kInt32, "mediumint" + sign);
    case kTypeLong:
      return set(info.is_unsigned ? TypeKind::kInt64 : TypeKind::kInt32, "int" + sign);
    case kTypeLongLong:
      return set(TypeKind::kInt64, "bigint" + sign);
    case kTypeFloat:
      return set(TypeKind::kFloat32, "float" + sign);
    case kTypeDouble:
      return set(TypeKind::kFloat64, "double" + sign);
    case kTypeNewDecimal:
      type.precision = info.precision;
      type.scale = info.scale;
      return set(TypeKind::kDecimal, "decimal(" + std::to_string(info.precision) + "," +
                                         std::to_string(info.scale) + ")" + sign);
    case kTypeBit:
      if (info.max_length == 1) return set(TypeKind::kBool, "bit(1)");
      type.precision = static_cast<int>(info.max_length);
      return set(TypeKind::kBits, "bit(" + std::to_string(info.max_length) + ")");
    case kTypeYear:
      return set(TypeKind::kYear, "year");
    case kTypeDate:
    case kTypeNewDate:
      return set(TypeKind::kDate, "date");
    case kTypeTime2:
    case kTypeTime:
      type.precision = info.fsp;
      return set(TypeKind::kTime, with_fsp("time", info.fsp));
    case kTypeDatetime2:
    case kTypeDatetime:
      type.precision = info.fsp;
      return set(TypeKind::kTimestamp, with_fsp("datetime", info.fsp));
    case kTypeTimestamp2:
    case kTypeTimestamp:
      type.precision = info.fsp;
      return set(TypeKind::kTimestampTz, with_fsp("timestamp", info.fsp));
    case kTypeEnum:
      type.enum_values = info.labels;
      return set(TypeKind::kEnum, "enum(" + quoted_list(info.labels) + ")");
    case kTypeSet:
      type.enum_values = info.labels;
      return set(TypeKind::kSet, "set(" + quoted_list(info.labels) + ")");
    case kTypeJson:
      return set(TypeKind::kJson, "json");
    case kTypeString:
    case kTypeVarchar:
    case kTypeVarString:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob: {
      const Charset charset = charset_of(info.collation);
      const bool binary = charset == Charset::kBinary;
      std::string name;
      if (info.type == kTypeString || info.type == kTypeVarchar || info.type == kTypeVarString) {
        const uint32_t chars = info.max_length / static_cast<uint32_t>(max_bytes_per_char(charset));
        name = std::string(info.type == kTypeString ? (binary ? "binary" : "char")
                                                    : (binary ? "varbinary" : "varchar")) +
               "(" + std::to_string(chars) + ")";
      } else {
        static constexpr const char* kBlobs[] = {"tinyblob", "blob", "mediumblob", "longblob"};
        static constexpr const char* kTexts[] = {"tinytext", "text", "mediumtext", "longtext"};
        const int size = info.pack_length >= 1 && info.pack_length <= 4 ? info.pack_length - 1 : 1;
        name = binary ? kBlobs[size] : kTexts[size];
      }
      if (charset == Charset::kOther) {
        type.source_name = name + " " + charset_name(info.collation);
        return false;
      }
      return set(binary ? TypeKind::kBytes : TypeKind::kString, std::move(name));
    }
    case kTypeGeometry:
      type.source_name = geometry_name(info.geometry_type);
      return false;
    default:
      type.source_name = column_type_name(info.type);
      return false;
  }
}

}  // namespace

Result<event::TableSchema> table_schema(const TableMap& map) {
  if (!map.has_column_names) {
    return Error::config("binlog TABLE_MAP of " + map.database + "." + map.table +
                         " has no column names: the server must log full row metadata "
                         "(SET GLOBAL binlog_row_metadata = 'FULL', and in the server's config)");
  }
  event::TableSchema schema;
  schema.id = {map.database, map.table};
  schema.columns.reserve(map.columns.size());
  for (const ColumnInfo& info : map.columns) {
    event::Column column;
    column.name = info.name;
    column.optional = info.nullable;
    column.omitted = !map_type(info, column);
    schema.columns.push_back(std::move(column));
  }
  for (uint32_t index : map.primary_key) {
    if (schema.columns[index].omitted) {
      return Error::config("binlog TABLE_MAP of " + map.database + "." + map.table +
                           ": primary key column " + schema.columns[index].name + " has type " +
                           schema.columns[index].type.source_name +
                           ", which tributary cannot encode");
    }
    schema.columns[index].key = true;
    schema.key_columns.push_back(index);
  }
  return schema;
}

std::string quoted_list(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& label : labels) {
    if (!out.empty()) out += ",";
    out += "'";
    for (char c : label) {
      if (c == '\'') out += "'";
      out.push_back(c);
    }
    out += "'";
  }
  return out;
}

std::string with_fsp(const char* name, int fsp) {
  return fsp <= 0 ? std::string(name) : std::string(name) + "(" + std::to_string(fsp) + ")";
}

}  // namespace tributary::source::mysql::binlog
