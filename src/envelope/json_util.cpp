// Small JSON-writing helpers the envelope's files share.
#include "envelope/json_util.hpp"

#include <cstring>

namespace tributary::envelope::detail {

void struct_tail(JsonWriter& json, bool optional, std::string_view name, std::string_view field) {
  key(json, "optional");
  json.Bool(optional);
  key(json, "name");
  string(json, name);
  key(json, "version");
  json.Int(1);
  if (!field.empty()) {
    key(json, "field");
    string(json, field);
  }
  json.EndObject();
}

void primitive_field(JsonWriter& json, std::string_view type, bool optional,
                     std::string_view field) {
  json.StartObject();
  key(json, "type");
  string(json, type);
  key(json, "optional");
  json.Bool(optional);
  if (!field.empty()) {
    key(json, "field");
    string(json, field);
  }
  json.EndObject();
}

std::string quote_for_error(std::string_view text) {
  constexpr std::size_t kMax = 80;
  std::string quoted = "'";
  quoted += text.substr(0, kMax);
  if (text.size() > kMax) quoted += "...";
  quoted += "'";
  if (text.size() > kMax) quoted += " (" + std::to_string(text.size()) + " bytes)";
  return quoted;
}

std::string describe(const event::Value& value) {
  struct Describe {
    std::string operator()(const event::Null&) const { return "NULL"; }
    std::string operator()(const event::Unchanged&) const { return "an unchanged TOAST value"; }
    std::string operator()(const std::string& text) const {
      return "value " + quote_for_error(text);
    }
    std::string operator()(bool b) const {
      return std::string("boolean ") + (b ? "true" : "false");
    }
    std::string operator()(int64_t i) const { return "integer " + std::to_string(i); }
    std::string operator()(double d) const { return "double " + std::to_string(d); }
    std::string operator()(const event::Bytes& b) const {
      return "bytes (" + std::to_string(b.data.size()) + ")";
    }
    std::string operator()(const event::Decimal& d) const {
      return "decimal (scale " + std::to_string(d.scale) + ")";
    }
    std::string operator()(const event::Date& d) const { return "date " + std::to_string(d.days); }
    std::string operator()(const event::Time& t) const {
      return "time " + std::to_string(t.micros) + " us";
    }
    std::string operator()(const event::Timestamp& t) const {
      return "timestamp " + std::to_string(t.micros) + " us";
    }
    std::string operator()(const event::ZonedTimestamp& t) const {
      return "zoned timestamp " + std::to_string(t.micros) + " us";
    }
    std::string operator()(const event::Interval& i) const {
      return "interval " + std::to_string(i.micros) + " us";
    }
    std::string operator()(const event::Array& a) const {
      return "array of " + std::to_string(a.elements.size());
    }
  };
  return std::visit(Describe{}, static_cast<const event::ValueVariant&>(value));
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (end - p >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p, sizeof(chunk));
      if ((chunk & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    int continuation = 0;
    uint32_t code_point = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      continuation = 2;
      code_point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (end - p <= continuation) return false;
    for (int i = 1; i <= continuation; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (p[i] & 0x3F);
    }
    if (continuation == 2 &&
        (code_point < 0x800 || (code_point >= 0xD800 && code_point <= 0xDFFF))) {
      return false;
    }
    if (continuation == 3 && (code_point < 0x10000 || code_point > 0x10FFFF)) return false;
    p += continuation + 1;
  }
  return true;
}

}  // namespace tributary::envelope::detail
