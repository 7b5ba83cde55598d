// Typed values -> Debezium JSON (JsonConverter's encodings).
#include "envelope/value_writer.hpp"

#include <rapidjson/reader.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "envelope/text_codec.hpp"
#include "envelope/value_modes.hpp"

namespace tributary::envelope::detail {
namespace {

constexpr const char* kMismatch = "that kind of value does not fit the column type";

bool fits(Conversion conversion, int64_t value) {
  switch (conversion) {
    case Conversion::kInt16:
      return value >= INT16_MIN && value <= INT16_MAX;
    case Conversion::kInt32:
      return value >= INT32_MIN && value <= INT32_MAX;
    default:
      return true;
  }
}

}  // namespace

ValueWriter::ValueWriter(JsonWriter& json, const std::string& placeholder)
    : json_(json), placeholder_(placeholder) {
  codec::append_base64(placeholder, placeholder_base64_);
}

Result<void> ValueWriter::write(const std::string& qualified, const ColumnPlan& column,
                                const event::Value& value, bool masked) {
  if (masked && column.mask != nullptr) {
    auto outcome = apply_mask(*column.mask, value, masked_);
    if (!outcome.ok()) return outcome.error();
    switch (*outcome) {
      case MaskOutcome::kUnchanged:
        break;
      case MaskOutcome::kNull:
        json_.Null();
        return {};
      case MaskOutcome::kText:
        if (!valid_utf8(masked_)) {
          return Error::corrupt("cannot convert " + describe(value) + " of " + qualified + "." +
                                column.name + " (" + column.type_name + "): not valid UTF-8");
        }
        string(json_, masked_);
        return {};
      case MaskOutcome::kBytes:
        write_base64(masked_);
        return {};
    }
  }
  auto written = write_typed(column.value, value);
  if (written.ok()) return written;
  return Error::corrupt("cannot convert " + describe(value) + " of " + qualified + "." +
                        column.name + " (" + column.type_name + "): " + written.error().message);
}

Result<void> ValueWriter::write_typed(const ValuePlan& how, const event::Value& value) {
  if (std::holds_alternative<event::Null>(value)) {
    json_.Null();
    return {};
  }
  if (std::holds_alternative<event::Unchanged>(value)) return write_unchanged(how);
  switch (how.conversion) {
    case Conversion::kBool:
      if (const auto* b = std::get_if<bool>(&value)) {
        json_.Bool(*b);
        return {};
      }
      break;
    case Conversion::kInt16:
    case Conversion::kInt32:
    case Conversion::kInt64:
      if (const auto* i = std::get_if<int64_t>(&value)) {
        if (!fits(how.conversion, *i)) return Error::corrupt("out of range");
        json_.Int64(*i);
        return {};
      }
      break;
    case Conversion::kFloat32:
    case Conversion::kFloat64: {
      double number = 0;
      if (const auto* d = std::get_if<double>(&value)) {
        number = *d;
      } else if (const auto* i = std::get_if<int64_t>(&value)) {
        number = static_cast<double>(*i);
      } else {
        break;
      }
      if (how.conversion == Conversion::kFloat32) {
        write_float(static_cast<float>(number));
      } else {
        write_float(number);
      }
      return {};
    }
    case Conversion::kDecimal:
    case Conversion::kVariableDecimal: {
      const auto* decimal = std::get_if<event::Decimal>(&value);
      if (decimal == nullptr) break;
      if (decimal->unscaled.empty()) return Error::corrupt("a decimal without unscaled bytes");
      if (how.conversion == Conversion::kDecimal) {
        if (decimal->scale != how.scale) {
          return Error::corrupt("a decimal of scale " + std::to_string(decimal->scale) +
                                " in a column of scale " + std::to_string(how.scale));
        }
        write_base64(decimal->unscaled);
        return {};
      }
      if (decimal->scale < 0) return Error::corrupt("a negative decimal scale");
      json_.StartObject();
      key(json_, "scale");
      json_.Int(decimal->scale);
      key(json_, "value");
      write_base64(decimal->unscaled);
      json_.EndObject();
      return {};
    }
    case Conversion::kString:
      if (const auto* text = std::get_if<std::string>(&value)) {
        if (!valid_utf8(*text)) return Error::corrupt("not valid UTF-8");
        string(json_, *text);
        return {};
      }
      break;
    case Conversion::kBytes:
      if (const auto* bytes = std::get_if<event::Bytes>(&value)) {
        write_base64(bytes->data);
        return {};
      }
      break;
    case Conversion::kDate:
      if (const auto* date = std::get_if<event::Date>(&value)) {
        json_.Int(date->days);
        return {};
      }
      break;
    case Conversion::kTimeMillis:
    case Conversion::kTimeMicros:
      if (const auto* time = std::get_if<event::Time>(&value)) {
        if (how.conversion == Conversion::kTimeMillis) {
          const int64_t millis = floor_div(time->micros, 1000);
          if (millis < INT32_MIN || millis > INT32_MAX) return Error::corrupt("out of range");
          json_.Int(static_cast<int>(millis));
        } else {
          json_.Int64(how.millisecond_truncated ? floor_div(time->micros, 1000) * 1000
                                                : time->micros);
        }
        return {};
      }
      break;
    case Conversion::kTimestampMillis:
    case Conversion::kTimestampMicros:
      if (const auto* stamp = std::get_if<event::Timestamp>(&value)) {
        json_.Int64(how.conversion == Conversion::kTimestampMillis ? floor_div(stamp->micros, 1000)
                                                                   : stamp->micros);
        return {};
      }
      break;
    case Conversion::kZonedTimestamp:
      if (const auto* zoned = std::get_if<event::ZonedTimestamp>(&value)) {
        // PostgreSQL's ±infinity: Debezium copies the words.
        if (zoned->infinity != 0) {
          string(json_, zoned->infinity > 0 ? "infinity" : "-infinity");
          return {};
        }
        text_.clear();
        codec::append_iso_utc(zoned->micros, zoned->no_fraction ? 0 : how.fraction_digits, text_);
        string(json_, text_);
        return {};
      }
      break;
    case Conversion::kMicroDuration:
      if (const auto* interval = std::get_if<event::Interval>(&value)) {
        json_.Int64(interval->micros);
        return {};
      }
      break;
    case Conversion::kDecimalDouble:
    case Conversion::kDecimalString:
      return write_decimal_mode(how, value);
    case Conversion::kBytesBase64Url:
    case Conversion::kBytesHex:
      if (const auto* bytes = std::get_if<event::Bytes>(&value)) {
        write_binary_text(how.conversion, bytes->data);
        return {};
      }
      break;
    case Conversion::kHstoreMap:
      if (const auto* text = std::get_if<std::string>(&value)) {
        // The source's JSON object of the pairs (HashMap order), replayed into the writer: the
        // same keys and order, as a Connect map (no DOM, no copy).
        rapidjson::StringStream stream(text->c_str());
        rapidjson::Reader reader;
        if (!reader.Parse<rapidjson::kParseValidateEncodingFlag>(stream, json_)) {
          return Error::corrupt("an hstore value that is not a JSON object of strings");
        }
        return {};
      }
      break;
    case Conversion::kIntervalString:
      if (const auto* interval = std::get_if<event::Interval>(&value)) {
        text_.clear();
        codec::append_iso_interval(interval->months, interval->days, interval->time_micros, text_);
        string(json_, text_);
        return {};
      }
      break;
    case Conversion::kArray:
      if (const auto* array = std::get_if<event::Array>(&value)) {
        json_.StartArray();
        for (std::size_t i = 0; i < array->elements.size(); ++i) {
          const event::Value& element = array->elements[i];
          if (std::holds_alternative<event::Unchanged>(element)) {
            return Error::corrupt("element " + std::to_string(i + 1) +
                                  " is an unchanged TOAST value");
          }
          if (auto written = write_typed(*how.element, element); !written.ok()) {
            return Error::corrupt("element " + std::to_string(i + 1) + " (" + describe(element) +
                                  "): " + written.error().message);
          }
        }
        json_.EndArray();
        return {};
      }
      break;
  }
  if (std::holds_alternative<std::string>(value)) {
    // Text in a typed column: the source's ValueDecoder did not convert it (a source bug).
    return Error::corrupt("text in a column whose values are typed (the source did not decode it)");
  }
  return Error::corrupt(kMismatch);
}

/// The unchanged-TOAST placeholder in the column's Debezium type, where Debezium has one.
Result<void> ValueWriter::write_unchanged(const ValuePlan& how) {
  if (is_string_shaped(how.conversion)) {
    string(json_, placeholder_);
    return {};
  }
  if (how.conversion == Conversion::kBytes) {
    string(json_, placeholder_base64_);
    return {};
  }
  if (how.conversion == Conversion::kBytesBase64Url || how.conversion == Conversion::kBytesHex) {
    write_binary_text(how.conversion, placeholder_);  // the placeholder's bytes, in the mode
    return {};
  }
  if (how.conversion == Conversion::kArray) {
    const Conversion element = how.element->conversion;
    if (is_string_shaped(element)) {
      json_.StartArray();
      string(json_, placeholder_);
      json_.EndArray();
      return {};
    }
    if (element == Conversion::kInt16 || element == Conversion::kInt32 ||
        element == Conversion::kInt64 || element == Conversion::kDate) {
      // Debezium: the placeholder's bytes, as signed bytes, one number each.
      json_.StartArray();
      for (char c : placeholder_) json_.Int(static_cast<signed char>(c));
      json_.EndArray();
      return {};
    }
  }
  return Error::corrupt(
      "Debezium has no placeholder for an unchanged TOAST value of this type; set REPLICA "
      "IDENTITY FULL on the table so PostgreSQL sends the old value");
}

template <class Float>
void ValueWriter::write_float(Float value) {
  if (std::isnan(value)) {
    json_.String("NaN");
    return;
  }
  if (std::isinf(value)) {
    json_.String(value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  text_.clear();
  if constexpr (sizeof(Float) == sizeof(float)) {
    codec::append_java_float(value, text_);
  } else {
    codec::append_java_double(value, text_);
  }
  json_.RawValue(text_.data(), text_.size(), rapidjson::kNumberType);
}

Result<void> ValueWriter::write_decimal_mode(const ValuePlan& how, const event::Value& value) {
  if (const auto* special = std::get_if<double>(&value)) {
    // PostgreSQL NaN / ±Infinity (the source gives them as a double outside precise mode).
    if (how.conversion == Conversion::kDecimalDouble) {
      write_float(*special);
    } else if (std::isnan(*special)) {
      string(json_, "NAN");  // Debezium's SpecialValueDecimal.NAN
    } else {
      string(json_, *special > 0 ? "POSITIVE_INFINITY" : "NEGATIVE_INFINITY");
    }
    return {};
  }
  const auto* decimal = std::get_if<event::Decimal>(&value);
  if (decimal == nullptr) return Error::corrupt(kMismatch);
  if (decimal->unscaled.empty()) return Error::corrupt("a decimal without unscaled bytes");
  if (decimal->scale < 0) return Error::corrupt("a negative decimal scale");
  text_.clear();
  codec::append_plain_decimal(decimal->unscaled, decimal->scale, text_);
  if (how.conversion == Conversion::kDecimalString) {
    string(json_, text_);
    return {};
  }
  // BigDecimal.doubleValue: the nearest double, as strtod rounds (the C locale's '.').
  write_float(std::strtod(text_.c_str(), nullptr));
  return {};
}

void ValueWriter::write_binary_text(Conversion conversion, std::string_view bytes) {
  text_.clear();
  if (conversion == Conversion::kBytesHex) {
    codec::append_hex(bytes, text_);
  } else {
    codec::append_base64_url(bytes, text_);
  }
  string(json_, text_);
}

void ValueWriter::write_base64(std::string_view bytes) {
  text_.clear();
  codec::append_base64(bytes, text_);
  string(json_, text_);
}

}  // namespace tributary::envelope::detail
