// Column DEFAULT expressions -> Debezium's schema default values.
#include "source/postgres/values/default_value.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <string>

#include "source/postgres/values/postgres_value_decoder.hpp"

namespace tributary::source::postgres {
namespace {

using event::TypeKind;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

/// A call at the start (now(), nextval('s'::regclass), (gen_random_uuid())), as Debezium's
/// FUNCTION_DEFAULT_PATTERN recognizes one.
bool is_function(std::string_view expression) {
  static const std::regex kFunction(R"(^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\))");
  return std::regex_search(expression.begin(), expression.end(), kFunction);
}

bool is_current_datetime(std::string_view expression) {
  const std::string name = lower(expression);
  return name == "current_timestamp" || name == "current_time" || name == "current_date" ||
         name == "localtime" || name == "localtimestamp";
}

/// Debezium's extractDefault: the placeholder for a generated value; else the expression itself
/// when it holds no quote (none for NULL::type), else its first quoted literal.
std::optional<std::string> extract(std::string_view expression, std::string_view placeholder,
                                   bool& generated) {
  generated = false;
  if (is_function(expression) || is_current_datetime(expression)) {
    generated = true;
    return std::string(placeholder);
  }
  const auto quote = expression.find('\'');
  if (quote == std::string_view::npos) {
    if (expression.substr(0, 6) == "NULL::") return std::nullopt;
    return std::string(expression);
  }
  const auto close = expression.find('\'', quote + 1);
  if (close == std::string_view::npos) return std::nullopt;
  return std::string(expression.substr(quote + 1, close - quote - 1));
}

/// The type name a cast names, without schema and quotes: `'a'::public."level"` -> level.
std::string cast_type_name(std::string_view expression) {
  const auto cast = expression.rfind("::");
  if (cast == std::string_view::npos) return {};
  std::string_view name = expression.substr(cast + 2);
  if (const auto dot = name.rfind('.'); dot != std::string_view::npos) name = name.substr(dot + 1);
  std::string out;
  for (char c : name) {
    if (c != '"') out.push_back(c);
  }
  return out;
}

/// The kinds Debezium has a default mapper for, with the placeholder of a generated value.
std::optional<std::string_view> placeholder_of(const event::ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBool:
      return type.source_name == "bool" ? std::optional<std::string_view>("false") : std::nullopt;
    case TypeKind::kInt16:
    case TypeKind::kInt32:
    case TypeKind::kInt64:
      return "0";
    case TypeKind::kFloat32:
    case TypeKind::kFloat64:
      return "0.0";
    case TypeKind::kDecimal:
      // numeric(p,s); money has no mapper.
      return type.source_name == "money" ? std::nullopt : std::optional<std::string_view>("0.0");
    case TypeKind::kString:
      if (type.source_name == "text" || type.source_name == "varchar" ||
          type.source_name == "bpchar") {
        return "";
      }
      return std::nullopt;
    case TypeKind::kJson:
      return "{}";
    case TypeKind::kXml:
      return "";
    case TypeKind::kUuid:
      return "00000000-0000-0000-0000-000000000000";
    case TypeKind::kDate:
    case TypeKind::kTimestamp:
    case TypeKind::kTimestampTz:
      return "1970-01-01";
    case TypeKind::kTime:
      return "00:00";
    case TypeKind::kEnum:
      return "";
    default:
      // numeric without a scale (a VariableScaleDecimal struct: Debezium drops struct defaults),
      // interval (its placeholder "epoch" does not parse), bytea, money, bit, arrays, inet, ...
      return std::nullopt;
  }
}

}  // namespace

std::optional<event::Value> debezium_default(const event::ColumnType& type,
                                             std::string_view expression) {
  const auto placeholder = placeholder_of(type);
  if (!placeholder && type.kind != TypeKind::kInterval) return std::nullopt;
  if (type.kind == TypeKind::kEnum) {
    // Only a quoted label cast to the enum type itself.
    if (cast_type_name(expression) != type.source_name) return std::nullopt;
    const std::string_view value = expression.substr(0, expression.rfind("::"));
    if (value.size() < 2 || value.front() != '\'' || value.back() != '\'') return std::nullopt;
    return event::Value(std::string(value.substr(1, value.size() - 2)));
  }
  const bool trimmed =
      type.kind != TypeKind::kString && type.kind != TypeKind::kJson && type.kind != TypeKind::kXml;
  if (trimmed) expression = trim(expression);
  bool generated = false;
  auto literal = extract(expression, placeholder.value_or("epoch"), generated);
  if (!literal) return std::nullopt;
  if (generated) {
    switch (type.kind) {
      case TypeKind::kTime:
        return event::Value(event::Time{0});
      case TypeKind::kTimestamp:
        return event::Value(event::Timestamp{0});
      case TypeKind::kTimestampTz:
        return event::Value(event::ZonedTimestamp{0, 0});
      case TypeKind::kInterval:
        return std::nullopt;
      default:
        break;
    }
  }
  if (type.kind == TypeKind::kBool) return event::Value(lower(*literal) == "true");
  if (type.kind == TypeKind::kUuid) *literal = lower(*literal);
  event::Value value(std::move(*literal));
  PostgresValueDecoder decoder;
  if (!decoder.decode_value(type, value).ok()) return std::nullopt;
  return value;
}

}  // namespace tributary::source::postgres
