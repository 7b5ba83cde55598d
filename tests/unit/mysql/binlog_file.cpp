// Test helpers for the binlog decoder tests.
#include "binlog_file.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "event/value_math.hpp"
#include "source/mysql/binlog/events.hpp"

namespace tributary::test {
namespace {

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    uint32_t chunk = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      chunk = (chunk << 8) | (k < n ? static_cast<uint8_t>(bytes[i + k]) : 0);
    }
    for (std::size_t k = 0; k < 4; ++k)
      out.push_back(k <= n ? kAlphabet[(chunk >> (18 - 6 * k)) & 0x3f] : '=');
  }
  return out;
}

}  // namespace

std::string read_data_file(const std::string& name) {
  const std::string path = std::string(TRIBUTARY_SOURCE_DIR) + "/tests/data/mysql/" + name;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> load_binlog_events(const std::string& name) {
  const std::string file = read_data_file(name);
  REQUIRE(file.size() > 4);
  REQUIRE(file.substr(0, 4) ==
          "\xfe"
          "bin");
  std::vector<std::string> events;
  std::size_t at = 4;
  while (at < file.size()) {
    REQUIRE(file.size() - at >= 19);
    uint32_t size = 0;
    for (int i = 3; i >= 0; --i) size = (size << 8) | static_cast<uint8_t>(file[at + 9 + i]);
    REQUIRE(size >= 19);
    REQUIRE(size <= file.size() - at);
    events.push_back(file.substr(at, size));
    at += size;
  }
  return events;
}

std::string envelope_json(const event::Value& value, const event::ColumnType& type) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, event::Null>) {
          writer.Null();
        } else if constexpr (std::is_same_v<T, event::Unchanged>) {
          writer.String("<unchanged>");
        } else if constexpr (std::is_same_v<T, std::string>) {
          writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
        } else if constexpr (std::is_same_v<T, bool>) {
          writer.Bool(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          writer.Int64(v);
        } else if constexpr (std::is_same_v<T, double>) {
          writer.Double(v);
        } else if constexpr (std::is_same_v<T, event::Bytes>) {
          writer.String(base64(v.data));
        } else if constexpr (std::is_same_v<T, event::Decimal>) {
          CHECK(v.scale == type.scale);
          writer.String(base64(v.unscaled));
        } else if constexpr (std::is_same_v<T, event::Date>) {
          writer.Int64(v.days);
        } else if constexpr (std::is_same_v<T, event::Time>) {
          writer.Int64(v.micros);
        } else if constexpr (std::is_same_v<T, event::Timestamp>) {
          const int64_t ms = v.micros >= 0 ? v.micros / 1000 : -((-v.micros + 999) / 1000);
          writer.Int64(type.precision <= 3 ? ms : v.micros);
        } else if constexpr (std::is_same_v<T, event::ZonedTimestamp>) {
          const int64_t seconds =
              v.micros >= 0 ? v.micros / 1000000 : -((-v.micros + 999999) / 1000000);
          const auto micros = static_cast<unsigned>(v.micros - seconds * 1000000);
          int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
          const auto second_of_day = static_cast<unsigned>(seconds - days * 86400);
          int64_t y = 0;
          unsigned m = 0, d = 0;
          event::civil_from_days(days, y, m, d);
          char text[64];
          std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02u:%02u:%02u",
                        static_cast<long long>(y), m, d, second_of_day / 3600,
                        second_of_day / 60 % 60, second_of_day % 60);
          std::string out = text;
          if (micros != 0) {
            std::snprintf(text, sizeof text, ".%06u", micros);
            std::string fraction = text;
            while (fraction.back() == '0') fraction.pop_back();
            out += fraction;
          }
          writer.String(out + "Z");
        } else {
          writer.String("<unexpected alternative>");
        }
      },
      static_cast<const event::ValueVariant&>(value));
  return buffer.GetString();
}

std::string reframe(const std::string& event, std::size_t body_size) {
  std::string out = event.substr(0, 19 + body_size);
  out.resize(19 + body_size + 4);
  const auto size = static_cast<uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[9 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  const uint32_t crc =
      source::mysql::binlog::crc32(std::string_view(out).substr(0, out.size() - 4));
  for (int i = 0; i < 4; ++i) out[out.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

}  // namespace tributary::test
