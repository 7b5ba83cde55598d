// PostgreSQL text values -> typed event values.
#include "source/postgres/values/postgres_value_decoder.hpp"

#include <charconv>
#include <cmath>
#include <utility>

namespace tributary::source {
namespace {

namespace text = postgres::text;
using event::TypeKind;

/// Value text for error messages: quoted, cut to a readable length (as the envelope quotes).
std::string quote_for_error(std::string_view value) {
  constexpr std::size_t kMax = 80;
  std::string quoted = "'";
  quoted += value.substr(0, kMax);
  if (value.size() > kMax) quoted += "...";
  quoted += "'";
  if (value.size() > kMax) quoted += " (" + std::to_string(value.size()) + " bytes)";
  return quoted;
}

Result<int64_t> parse_int(std::string_view value, int64_t min, int64_t max) {
  int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec == std::errc::result_out_of_range) return Error::corrupt("out of range");
  if (ec != std::errc() || end != value.data() + value.size()) {
    return Error::corrupt("not an integer");
  }
  if (parsed < min || parsed > max) return Error::corrupt("out of range");
  return parsed;
}

/// float4 text is read as a float (then widened exactly), float8 as a double: the value the
/// envelope writes is the one PostgreSQL printed.
template <class Float>
Result<double> parse_float(std::string_view value) {
  if (value == "NaN") return std::nan("");
  if (value == "Infinity") return HUGE_VAL;
  if (value == "-Infinity") return -HUGE_VAL;
  Float parsed{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return Error::corrupt(ec == std::errc::result_out_of_range
                              ? "out of range for a " +
                                    std::string(sizeof(Float) == 4 ? "real" : "double")
                              : "not a number");
  }
  return static_cast<double>(parsed);
}

/// Kinds whose PostgreSQL text is their final form.
bool stays_text(TypeKind kind) {
  switch (kind) {
    case TypeKind::kString:
    case TypeKind::kUuid:
    case TypeKind::kJson:
    case TypeKind::kXml:
    case TypeKind::kEnum:
    case TypeKind::kSet:
    case TypeKind::kLtree:
    case TypeKind::kTsvector:
      return true;
    default:
      return false;
  }
}

/// Assigns `result`'s value converted by `make` to `out`, or returns its error.
template <class T, class Make>
Result<void> assign(Result<T> result, event::Value& out, Make make) {
  if (!result.ok()) return result.error();
  out = make(*result);
  return {};
}

/// What Debezium's value converters give a NOT NULL column that has no value (JdbcValueConverters
/// convertValue's `fallback`, PostgresValueConverter's overrides): zero, false, "", empty bytes,
/// the epoch, an empty array.
event::Value fallback_value(const event::ColumnType& type) {
  switch (type.kind) {
    case TypeKind::kBool:
      return false;
    case TypeKind::kInt16:
    case TypeKind::kInt32:
    case TypeKind::kInt64:
    case TypeKind::kYear:
      return int64_t{0};
    case TypeKind::kFloat32:
    case TypeKind::kFloat64:
      return 0.0;
    case TypeKind::kDecimal:  // BigDecimal.ZERO at the column's scale (money: scale 2)
      return event::Decimal{std::string(1, '\0'), type.scale < 0 ? 0 : type.scale};
    case TypeKind::kVariableDecimal:
      return event::Decimal{std::string(1, '\0'), 0};
    case TypeKind::kBytes:
    case TypeKind::kBits:
      return event::Bytes{};
    case TypeKind::kDate:
      return event::Date{0};
    case TypeKind::kTime:
      return event::Time{0};
    case TypeKind::kTimestamp:
      return event::Timestamp{0};
    case TypeKind::kTimestampTz:
      // fallbackTimestampWithTimeZone: ZonedTimestamp.toIsoString without a precision.
      return event::ZonedTimestamp{0, 0, true};
    case TypeKind::kInterval:
      return event::Interval{0};
    case TypeKind::kArray:
      return event::Array{};
    case TypeKind::kString:
    case TypeKind::kUuid:
    case TypeKind::kJson:
    case TypeKind::kXml:
    case TypeKind::kEnum:
    case TypeKind::kSet:
    case TypeKind::kLtree:
    case TypeKind::kTsvector:
      return std::string();
    case TypeKind::kTimeTz:  // OffsetTime 00:00 UTC
      return std::string("00:00:00Z");
    case TypeKind::kHstore:  // an empty map
      return std::string("{}");
  }
  return event::Null{};
}

}  // namespace

Result<void> PostgresValueDecoder::decode(event::ChangeEvent& event) {
  if (!event.schema) return {};  // the envelope reports it
  for (auto* row :
       {event.before ? &*event.before : nullptr, event.after ? &*event.after : nullptr}) {
    if (row == nullptr) continue;
    if (auto decoded = decode_row(*event.schema, *row); !decoded.ok()) return decoded;
  }
  if (event.before_is_key_only && event.before) fill_fallbacks(*event.schema, *event.before);
  return {};
}

void PostgresValueDecoder::fill_fallbacks(const event::TableSchema& schema, event::Row& row) {
  if (row.size() != schema.columns.size()) return;  // the envelope reports it
  for (std::size_t i = 0; i < row.size(); ++i) {
    const event::Column& column = schema.columns[i];
    if (column.omitted || column.key || !std::holds_alternative<event::Null>(row[i])) continue;
    // The column's default when it has one (nullable or not, as Debezium's before shows), else a
    // NOT NULL column's fallback (JdbcValueConverters.convertValue).
    if (column.default_value) {
      row[i] = *column.default_value;
    } else if (!column.optional) {
      row[i] = fallback_value(column.type);
    }
  }
}

Result<void> PostgresValueDecoder::decode_row(const event::TableSchema& schema, event::Row& row) {
  // A row of another length is the envelope's error to report (it names both counts).
  if (row.size() != schema.columns.size()) return {};
  for (std::size_t i = 0; i < row.size(); ++i) {
    const event::Column& column = schema.columns[i];
    if (column.omitted || !std::holds_alternative<std::string>(row[i])) continue;
    if (auto decoded = decode_value(column.type, row[i]); !decoded.ok()) {
      return Error::corrupt("cannot convert value " +
                            quote_for_error(std::get<std::string>(row[i])) + " of " +
                            schema.id.qualified() + "." + column.name + " (" +
                            event::type_label(column.type) + "): " + decoded.error().message);
    }
  }
  return {};
}

std::optional<double> PostgresValueDecoder::special_decimal(std::string_view text) const {
  if (decimal_handling_ == config::DecimalHandling::kPrecise) return std::nullopt;
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  return std::nullopt;
}

Result<void> PostgresValueDecoder::decode_value(const event::ColumnType& type,
                                                event::Value& value) {
  auto* held = std::get_if<std::string>(&value);
  if (held == nullptr || stays_text(type.kind)) return {};
  const std::string_view view = *held;
  switch (type.kind) {
    case TypeKind::kBool:
      // "1" / "0": bit(1) and varbit(1), which Debezium maps to boolean.
      if (view == "t" || view == "true" || view == "1") {
        value = true;
      } else if (view == "f" || view == "false" || view == "0") {
        value = false;
      } else {
        return Error::corrupt("not a boolean (t or f, or a bit 1 or 0)");
      }
      return {};
    case TypeKind::kInt16:
      return assign(parse_int(view, INT16_MIN, INT16_MAX), value, [](int64_t v) { return v; });
    case TypeKind::kInt32:
      return assign(parse_int(view, INT32_MIN, INT32_MAX), value, [](int64_t v) { return v; });
    case TypeKind::kInt64:
      return assign(parse_int(view, INT64_MIN, INT64_MAX), value, [](int64_t v) { return v; });
    case TypeKind::kYear:
      return assign(parse_int(view, INT32_MIN, INT32_MAX), value, [](int64_t v) { return v; });
    case TypeKind::kFloat32:
      return assign(parse_float<float>(view), value, [](double v) { return v; });
    case TypeKind::kFloat64:
      return assign(parse_float<double>(view), value, [](double v) { return v; });
    case TypeKind::kDecimal: {
      if (type.scale < 0) return {};  // no mapping: the envelope's check_supported names it
      if (auto special = special_decimal(view)) {
        value = *special;
        return {};
      }
      event::Decimal decimal;
      decimal.scale = type.scale;
      // money (precision 0: no declared precision) comes with its currency symbol and separators.
      const bool money = type.precision == 0 && type.source_name == "money";
      if (auto parsed = money ? text::money_unscaled_bytes(view, decimal.unscaled)
                              : text::decimal_unscaled_bytes(view, type.scale, decimal.unscaled);
          !parsed.ok()) {
        return parsed;
      }
      value = std::move(decimal);
      return {};
    }
    case TypeKind::kVariableDecimal: {
      if (auto special = special_decimal(view)) {
        value = *special;
        return {};
      }
      event::Decimal decimal;
      if (decimal_handling_ != config::DecimalHandling::kPrecise) {
        // double / string: BigDecimal of the text as sent, its trailing zeros kept ("1.500").
        const auto point = view.find('.');
        decimal.scale =
            point == std::string_view::npos ? 0 : static_cast<int32_t>(view.size() - point - 1);
        if (auto parsed = text::decimal_unscaled_bytes(view, decimal.scale, decimal.unscaled);
            !parsed.ok()) {
          return parsed;
        }
        value = std::move(decimal);
        return {};
      }
      auto scale = text::variable_decimal_bytes(view, decimal.unscaled);
      if (!scale.ok()) return scale.error();
      decimal.scale = *scale;
      value = std::move(decimal);
      return {};
    }
    case TypeKind::kBytes: {
      if (auto decoded = text::bytea_in_place(*held); !decoded.ok()) return decoded;
      event::Bytes bytes{std::move(*held)};
      value = std::move(bytes);
      return {};
    }
    case TypeKind::kDate:
      return assign(text::date_from_text(view), value,
                    [](int32_t days) { return event::Date{days}; });
    case TypeKind::kTime:
      return assign(text::time_from_text(view), value,
                    [](int64_t micros) { return event::Time{micros}; });
    case TypeKind::kTimestamp:
      return assign(text::timestamp_from_text(view), value,
                    [](int64_t micros) { return event::Timestamp{micros}; });
    case TypeKind::kTimestampTz:
      return assign(text::timestamptz_from_text(view), value,
                    [](event::ZonedTimestamp instant) { return instant; });
    case TypeKind::kInterval:
      return assign(text::interval_from_text(view), value,
                    [](event::Interval interval) { return interval; });
    case TypeKind::kTimeTz:
      return assign(text::timetz_from_text(view), value,
                    [](std::string& text) { return std::move(text); });
    case TypeKind::kHstore: {
      std::string json;
      if (auto converted = text::hstore_json(view, json); !converted.ok()) return converted;
      value = std::move(json);
      return {};
    }
    case TypeKind::kArray:
      if (!type.element) return {};  // no mapping: the envelope's check_supported names it
      return decode_array(*type.element, value);
    case TypeKind::kBits: {
      event::Bytes bytes;
      if (auto parsed = text::bits_little_endian(view, bytes.data); !parsed.ok()) return parsed;
      value = std::move(bytes);
      return {};
    }
    default:
      return {};
  }
}

Result<void> PostgresValueDecoder::decode_array(const event::ColumnType& element,
                                                event::Value& value) {
  if (element.kind == TypeKind::kArray) return {};  // arrays of arrays: the envelope refuses
  if (auto parsed = text::parse_array(std::get<std::string>(value), array_); !parsed.ok()) {
    return parsed;
  }
  event::Array array;
  array.elements.reserve(array_.size());
  for (std::size_t i = 0; i < array_.size(); ++i) {
    if (array_.is_null(i)) {
      array.elements.emplace_back(event::Null{});
      continue;
    }
    event::Value& item = array.elements.emplace_back(std::string(array_.text(i)));
    if (auto decoded = decode_value(element, item); !decoded.ok()) {
      return Error::corrupt("element " + std::to_string(i + 1) + " " +
                            quote_for_error(array_.text(i)) + ": " + decoded.error().message);
    }
  }
  value = std::move(array);
  return {};
}

}  // namespace tributary::source
