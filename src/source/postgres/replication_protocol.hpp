// Streaming replication CopyData framing (XLogData, keepalive, standby status update); no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "base/result.hpp"

namespace tributary::source::postgres {

/// µs from the Unix epoch to PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
inline constexpr int64_t kPgEpochOffsetUs = 946'684'800'000'000;

/// 'w': a chunk of the replication stream (for logical replication: one output plugin message).
struct XLogData {
  /// LSN the message was written at; pgoutput sends 0 for messages not tied to a WAL record
  /// (Relation, Type) and the transaction's end LSN for Commit.
  uint64_t wal_start = 0;
  uint64_t wal_end = 0;      ///< the server's current end of WAL
  int64_t send_time_us = 0;  ///< server clock at send, µs since the Unix epoch
  std::string_view payload;  ///< points into the bytes given to parse_copy_data
};

/// 'k': the server's heartbeat. When reply_requested, answer at once or the server disconnects
/// after wal_sender_timeout.
struct Keepalive {
  uint64_t wal_end = 0;
  int64_t send_time_us = 0;  ///< µs since the Unix epoch
  bool reply_requested = false;
};

using CopyMessage = std::variant<XLogData, Keepalive>;

/// Parses one CopyData payload as returned by PQgetCopyData on a START_REPLICATION stream.
/// Errors are ErrorKind::kCorrupt: "replication <msg>: <what> at offset N".
Result<CopyMessage> parse_copy_data(std::string_view bytes);

/// Builds the 'r' Standby Status Update the client sends back (34 bytes). `written`, `flushed`
/// and `applied` are the LSNs to report (for a slot, `flushed` is what the server may release).
std::string encode_standby_status(uint64_t written, uint64_t flushed, uint64_t applied,
                                  int64_t now_unix_us, bool reply_requested);

/// PostgreSQL timestamps (µs since 2000-01-01) <-> µs since the Unix epoch. Saturate instead of
/// overflowing; PostgreSQL's -infinity/infinity (INT64_MIN/INT64_MAX) map to themselves.
int64_t pg_time_to_unix_us(int64_t pg_time_us);
int64_t unix_us_to_pg_time(int64_t unix_us);

namespace wire {

/// Bounds-checked big-endian reader over untrusted bytes, shared by the replication framing and
/// the pgoutput decoder. The first failure sticks: later reads return zero or an empty view and
/// leave the offset alone, so a parser may check failed() once after a fixed group of reads
/// (but must check before a loop whose count it read).
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  uint8_t u8(const char* what) { return load<uint8_t>(what); }
  uint16_t u16(const char* what) { return load<uint16_t>(what); }
  int32_t i32(const char* what) { return load<int32_t>(what); }
  uint32_t u32(const char* what) { return load<uint32_t>(what); }
  int64_t i64(const char* what) { return load<int64_t>(what); }
  uint64_t u64(const char* what) { return load<uint64_t>(what); }

  /// The next `count` bytes, as a view into the input.
  std::string_view bytes(std::size_t count, const char* what) {
    if (failed_ || remaining() < count) {
      fail_truncated(what, count);
      return {};
    }
    std::string_view out = bytes_.substr(offset_, count);
    offset_ += count;
    return out;
  }

  /// A NUL-terminated string (PostgreSQL's "String"), without the NUL.
  std::string_view cstring(const char* what);

  /// Records a failure at `at` (the first one wins).
  void fail(std::size_t at, std::string what);
  /// Fails with "trailing N bytes" unless every byte was read.
  bool expect_end();

  bool failed() const { return failed_; }
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  /// ErrorKind::kCorrupt "<protocol> <message>: <what> at offset N"; only after a failure.
  Error error(std::string_view protocol, std::string_view message) const;

 private:
  template <class T>
  T load(const char* what) {
    if (failed_ || remaining() < sizeof(T)) {
      fail_truncated(what, sizeof(T));
      return T{};
    }
    std::make_unsigned_t<T> value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value = static_cast<std::make_unsigned_t<T>>((value << 8) |
                                                   static_cast<unsigned char>(bytes_[offset_ + i]));
    }
    offset_ += sizeof(T);
    return static_cast<T>(value);
  }
  void fail_truncated(const char* what, std::size_t needed);

  std::string_view bytes_;
  std::size_t offset_ = 0;  ///< never past bytes_.size()
  bool failed_ = false;
  std::size_t failed_at_ = 0;
  std::string failure_;
};

}  // namespace wire
}  // namespace tributary::source::postgres
