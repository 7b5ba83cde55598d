// Streaming replication CopyData framing: parsing XLogData/keepalive, encoding status updates.
#include "source/postgres/replication_protocol.hpp"

#include <cstring>
#include <limits>

namespace tributary::source::postgres {
namespace {

constexpr std::string_view kProtocol = "replication";
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t saturating_add(int64_t value, int64_t delta) {
  if (value == kMin || value == kMax) return value;  // PostgreSQL's -infinity / infinity
  int64_t out = 0;
  if (__builtin_add_overflow(value, delta, &out)) return delta > 0 ? kMax : kMin;
  return out;
}

void put_u64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::string hex_byte(uint8_t byte) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[byte >> 4], kDigits[byte & 0xf]};
}

// XLogData
//   Byte1('w')
//   Int64   walStart: WAL position of the start of the data
//   Int64   walEnd: current end of WAL on the server
//   Int64   sendTime: server clock at send, µs since 2000-01-01
//   Byte[n] data: the rest of the message (one output plugin message for logical replication)
Result<CopyMessage> parse_xlog_data(wire::Reader& reader) {
  XLogData out;
  out.wal_start = reader.u64("walStart");
  out.wal_end = reader.u64("walEnd");
  const int64_t send_time = reader.i64("sendTime");
  if (reader.failed()) return reader.error(kProtocol, "XLogData");
  out.send_time_us = pg_time_to_unix_us(send_time);
  out.payload = reader.bytes(reader.remaining(), "data");
  return CopyMessage{out};
}

// Primary keepalive message
//   Byte1('k')
//   Int64 walEnd: current end of WAL on the server
//   Int64 sendTime: server clock at send, µs since 2000-01-01
//   Byte1 replyRequested: 1 if the client must reply at once, else 0
Result<CopyMessage> parse_keepalive(wire::Reader& reader) {
  Keepalive out;
  out.wal_end = reader.u64("walEnd");
  const int64_t send_time = reader.i64("sendTime");
  const std::size_t reply_at = reader.offset();
  const uint8_t reply = reader.u8("replyRequested");
  if (!reader.failed() && reply > 1) {
    reader.fail(reply_at, "replyRequested " + hex_byte(reply) + " is neither 0 nor 1");
  }
  if (reader.failed() || !reader.expect_end()) return reader.error(kProtocol, "Keepalive");
  out.send_time_us = pg_time_to_unix_us(send_time);
  out.reply_requested = reply == 1;
  return CopyMessage{out};
}

}  // namespace

Result<CopyMessage> parse_copy_data(std::string_view bytes) {
  wire::Reader reader(bytes);
  const uint8_t tag = reader.u8("message tag");
  if (reader.failed()) return reader.error(kProtocol, "CopyData");
  switch (tag) {
    case 'w':
      return parse_xlog_data(reader);
    case 'k':
      return parse_keepalive(reader);
    default:
      reader.fail(0, "unknown message tag " + hex_byte(tag));
      return reader.error(kProtocol, "CopyData");
  }
}

// Standby status update
//   Byte1('r')
//   Int64 written: last WAL byte + 1 received and written by the client
//   Int64 flushed: last WAL byte + 1 durably stored by the client (what the slot may release)
//   Int64 applied: last WAL byte + 1 applied by the client
//   Int64 clock: client clock, µs since 2000-01-01
//   Byte1 replyRequested: 1 to ask the server for a keepalive at once
std::string encode_standby_status(uint64_t written, uint64_t flushed, uint64_t applied,
                                  int64_t now_unix_us, bool reply_requested) {
  std::string out;
  out.reserve(34);
  out.push_back('r');
  put_u64(out, written);
  put_u64(out, flushed);
  put_u64(out, applied);
  put_u64(out, static_cast<uint64_t>(unix_us_to_pg_time(now_unix_us)));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

int64_t pg_time_to_unix_us(int64_t pg_time_us) {
  return saturating_add(pg_time_us, kPgEpochOffsetUs);
}

int64_t unix_us_to_pg_time(int64_t unix_us) {
  return saturating_add(unix_us, -kPgEpochOffsetUs);
}

namespace wire {

std::string_view Reader::cstring(const char* what) {
  if (failed_) return {};
  const void* nul =
      remaining() == 0 ? nullptr : std::memchr(bytes_.data() + offset_, '\0', remaining());
  if (nul == nullptr) {
    fail(offset_, std::string("unterminated ") + what);
    return {};
  }
  const auto length =
      static_cast<std::size_t>(static_cast<const char*>(nul) - bytes_.data()) - offset_;
  std::string_view out = bytes_.substr(offset_, length);
  offset_ += length + 1;
  return out;
}

void Reader::fail(std::size_t at, std::string what) {
  if (failed_) return;
  failed_ = true;
  failed_at_ = at;
  failure_ = std::move(what);
}

bool Reader::expect_end() {
  if (!failed_ && remaining() != 0) {
    fail(offset_, "trailing " + std::to_string(remaining()) + " bytes");
  }
  return !failed_;
}

Error Reader::error(std::string_view protocol, std::string_view message) const {
  std::string text;
  text.reserve(protocol.size() + message.size() + failure_.size() + 32);
  text.append(protocol).append(" ").append(message).append(": ").append(failure_);
  text.append(" at offset ").append(std::to_string(failed_at_));
  return Error::corrupt(std::move(text));
}

void Reader::fail_truncated(const char* what, std::size_t needed) {
  if (failed_) return;
  fail(offset_, "truncated " + std::string(what) + " (needs " + std::to_string(needed) +
                    " bytes, " + std::to_string(remaining()) + " left)");
}

}  // namespace wire
}  // namespace tributary::source::postgres
