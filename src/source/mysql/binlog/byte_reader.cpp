// Bounds-checked little-endian reader over untrusted binlog bytes.
#include "source/mysql/binlog/byte_reader.hpp"

#include <utility>

namespace tributary::source::mysql::binlog {

uint64_t ByteReader::le(std::size_t width, const char* what) {
  const std::string_view raw = bytes(width, what);
  uint64_t value = 0;
  for (std::size_t i = raw.size(); i > 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(raw[i - 1]);
  }
  return value;
}

uint64_t ByteReader::be(std::size_t width, const char* what) {
  const std::string_view raw = bytes(width, what);
  uint64_t value = 0;
  for (unsigned char c : raw) value = (value << 8) | c;
  return value;
}

uint64_t ByteReader::packed(const char* what) {
  const std::size_t at = offset();
  const uint8_t first = u8(what);
  if (failed_) return 0;
  if (first < 251) return first;
  switch (first) {
    case 252:
      return le(2, what);
    case 253:
      return le(3, what);
    case 254:
      return le(8, what);
    default:
      fail(at, std::string("invalid length-encoded ") + what + " (first byte " +
                   std::to_string(first) + ")");
      return 0;
  }
}

uint64_t ByteReader::packed_at_most(uint64_t limit, const char* what) {
  const std::size_t at = offset();
  const uint64_t value = packed(what);
  if (!failed_ && value > limit) {
    fail(at, std::string(what) + " " + std::to_string(value) + " exceeds " + std::to_string(limit));
    return 0;
  }
  return value;
}

std::string_view ByteReader::bytes(std::size_t count, const char* what) {
  if (failed_) return {};
  if (bytes_.size() - offset_ < count) {
    fail(offset(), std::string(what) + " truncated (needs " + std::to_string(count) + " bytes, " +
                       std::to_string(bytes_.size() - offset_) + " left)");
    return {};
  }
  std::string_view out = bytes_.substr(offset_, count);
  offset_ += count;
  return out;
}

void ByteReader::fail(std::size_t at, std::string what) {
  if (failed_) return;
  failed_ = true;
  failure_ = std::move(what) + " at offset " + std::to_string(at);
}

Error ByteReader::error(std::string_view event_name) const {
  return Error::corrupt("binlog " + std::string(event_name) + " event: " + failure_);
}

Error corrupt(std::string_view event_name, std::string_view what, std::size_t offset) {
  return Error::corrupt("binlog " + std::string(event_name) + " event: " + std::string(what) +
                        " at offset " + std::to_string(offset));
}

Error at_position(Error error, std::string_view file, uint64_t position) {
  error.message =
      std::string(file) + " position " + std::to_string(position) + ": " + error.message;
  return error;
}

}  // namespace tributary::source::mysql::binlog
