// hstore text -> the JSON object Debezium writes for it (hstore.handling.mode json, its default).
//
// Debezium parses the text with pgjdbc's HStoreConverter into a java.util.HashMap and writes that
// map with Jackson, so the keys come in HashMap iteration order. That order is reproduced here:
// entries by bucket (String.hashCode spread as HashMap.hash does, masked by the table size), and in
// insertion order within a bucket, with the table grown as HashMap grows it (16 buckets, doubled
// when more than 3/4 full, or when a bucket reaches 9 entries while the table is under 64 buckets).
// A bucket of 9 or more entries in a table of 64 or more becomes a tree in Java, whose order this
// does not follow: that needs 9 keys with equal masked hashes.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/postgres/values/text_parsers.hpp"

namespace tributary::source::postgres::text {
namespace {

struct Pair {
  std::string key;
  std::optional<std::string> value;  ///< nullopt: NULL
  uint32_t hash = 0;
};

Error corrupt(std::string reason) {
  return Error::corrupt(std::move(reason));
}

/// A quoted hstore string at `pos` ("...", with \" and \\ escapes), unescaped into `out`.
bool read_quoted(std::string_view text, std::size_t& pos, std::string& out) {
  if (pos >= text.size() || text[pos] != '"') return false;
  ++pos;
  out.clear();
  while (pos < text.size()) {
    char c = text[pos++];
    if (c == '"') return true;
    if (c == '\\') {
      if (pos >= text.size()) return false;
      c = text[pos++];
    }
    out += c;
  }
  return false;
}

/// Java's String.hashCode (over UTF-16 code units) of UTF-8 text, spread as HashMap.hash spreads
/// it.
bool java_hash(std::string_view utf8, uint32_t& out) {
  uint32_t h = 0;
  auto unit = [&h](uint32_t u) { h = 31 * h + u; };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    uint32_t code = 0;
    std::size_t length = 0;
    if (c < 0x80) {
      code = c;
      length = 1;
    } else if ((c & 0xE0) == 0xC0) {
      code = c & 0x1F;
      length = 2;
    } else if ((c & 0xF0) == 0xE0) {
      code = c & 0x0F;
      length = 3;
    } else if ((c & 0xF8) == 0xF0) {
      code = c & 0x07;
      length = 4;
    } else {
      return false;
    }
    if (i + length > utf8.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(utf8[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    i += length;
    if (code >= 0x10000) {
      code -= 0x10000;
      unit(0xD800 + (code >> 10));
      unit(0xDC00 + (code & 0x3FF));
    } else {
      unit(code);
    }
  }
  out = h ^ (h >> 16);
  return true;
}

/// The bucket table size a HashMap ends with after these insertions, in order.
uint32_t hashmap_capacity(const std::vector<Pair>& pairs) {
  uint32_t capacity = 16;
  std::vector<uint32_t> bucket_sizes;
  auto recount = [&](std::size_t upto) {
    bucket_sizes.assign(capacity, 0);
    for (std::size_t i = 0; i < upto; ++i) ++bucket_sizes[pairs[i].hash & (capacity - 1)];
  };
  recount(0);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (++bucket_sizes[pairs[i].hash & (capacity - 1)] >= 9 && capacity < 64) {
      capacity *= 2;  // treeifyBin resizes a small table instead
      recount(i + 1);
    }
    if (i + 1 > capacity / 4 * 3) {
      capacity *= 2;
      recount(i + 1);
    }
  }
  return capacity;
}

}  // namespace

Result<void> hstore_json(std::string_view text, std::string& out) {
  static constexpr const char* kForm = "not an hstore (\"key\"=>\"value\", ...)";
  std::vector<Pair> pairs;
  std::size_t pos = 0;
  while (pos < text.size()) {
    Pair pair;
    if (!read_quoted(text, pos, pair.key) || text.substr(pos, 2) != "=>") return corrupt(kForm);
    pos += 2;
    if (text.substr(pos, 4) == "NULL") {
      pos += 4;
    } else {
      std::string value;
      if (!read_quoted(text, pos, value)) return corrupt(kForm);
      pair.value = std::move(value);
    }
    if (!java_hash(pair.key, pair.hash)) return corrupt("hstore key is not valid UTF-8");
    // A repeated key (hstore_out never writes one) keeps its first place, as HashMap.put does.
    auto same =
        std::find_if(pairs.begin(), pairs.end(), [&](const Pair& p) { return p.key == pair.key; });
    if (same != pairs.end()) {
      same->value = std::move(pair.value);
    } else {
      pairs.push_back(std::move(pair));
    }
    if (pos == text.size()) break;
    if (text.substr(pos, 2) != ", ") return corrupt(kForm);
    pos += 2;
  }
  const uint32_t mask = hashmap_capacity(pairs) - 1;
  std::vector<std::size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return (pairs[a].hash & mask) < (pairs[b].hash & mask);
  });
  // RapidJSON escapes as Jackson does: \" \\ \b \t \n \f \r, other control characters \u00XX.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartObject();
  for (std::size_t index : order) {
    const Pair& pair = pairs[index];
    json.Key(pair.key.data(), static_cast<rapidjson::SizeType>(pair.key.size()));
    if (pair.value) {
      json.String(pair.value->data(), static_cast<rapidjson::SizeType>(pair.value->size()));
    } else {
      json.Null();
    }
  }
  json.EndObject();
  out.assign(buffer.GetString(), buffer.GetSize());
  return {};
}

}  // namespace tributary::source::postgres::text
