// Bounds-checked little-endian reader over untrusted binlog bytes; every read is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tributary::source::mysql::binlog {

/// Reads a byte range front to back. The first failed read is kept (with what was being read
/// and the offset it started at); every later read returns zero / empty, so a decoder checks
/// `failed()` once after a group of reads instead of after each.
class ByteReader {
 public:
  /// `base` is the offset of `bytes[0]` inside the event, so errors name event offsets.
  explicit ByteReader(std::string_view bytes, std::size_t base = 0) : bytes_(bytes), base_(base) {}

  uint8_t u8(const char* what) { return static_cast<uint8_t>(le(1, what)); }
  uint16_t u16(const char* what) { return static_cast<uint16_t>(le(2, what)); }
  uint32_t u24(const char* what) { return static_cast<uint32_t>(le(3, what)); }
  uint32_t u32(const char* what) { return static_cast<uint32_t>(le(4, what)); }
  uint64_t u48(const char* what) { return le(6, what); }
  uint64_t u64(const char* what) { return le(8, what); }
  /// An unsigned little-endian integer of `width` bytes (1-8).
  uint64_t le(std::size_t width, const char* what);
  /// An unsigned big-endian integer of `width` bytes (1-8).
  uint64_t be(std::size_t width, const char* what);

  /// MySQL's length-encoded integer: < 251 itself; 252 + 2 bytes; 253 + 3 bytes; 254 + 8 bytes.
  /// 251 (SQL NULL in the client protocol) and 255 fail: binlog metadata never holds them.
  uint64_t packed(const char* what);
  /// A packed integer that must be <= `limit` (counts and lengths: bounds a forged value).
  uint64_t packed_at_most(uint64_t limit, const char* what);

  /// The next `count` bytes, as a view into the input.
  std::string_view bytes(std::size_t count, const char* what);
  /// Everything not read yet.
  std::string_view rest() { return bytes(remaining(), "rest"); }
  void skip(std::size_t count, const char* what) { (void)bytes(count, what); }

  /// Records a failure at event offset `at` (the first one wins).
  void fail(std::size_t at, std::string what);
  /// Fails at the current offset with `what`.
  void fail(std::string what) { fail(offset(), std::move(what)); }

  bool failed() const { return failed_; }
  bool at_end() const { return offset_ == bytes_.size(); }
  /// Event offset of the next byte.
  std::size_t offset() const { return base_ + offset_; }
  std::size_t remaining() const { return failed_ ? 0 : bytes_.size() - offset_; }
  /// The recorded failure: "<what> at offset N"; only after a failure.
  const std::string& failure() const { return failure_; }
  /// kCorrupt "binlog <event> event: <failure>"; only after a failure.
  Error error(std::string_view event_name) const;

 private:
  std::string_view bytes_;
  std::size_t base_ = 0;
  std::size_t offset_ = 0;  ///< never past bytes_.size()
  bool failed_ = false;
  std::string failure_;
};

/// "binlog <event> event: <what> at offset N" as a kCorrupt Error.
Error corrupt(std::string_view event_name, std::string_view what, std::size_t offset);

/// The caller's context added to a decoder error: "<file> position <pos>: <message>".
Error at_position(Error error, std::string_view file, uint64_t position);

}  // namespace tributary::source::mysql::binlog
