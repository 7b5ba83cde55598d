// Test helpers: the captured binlog file split into events, values rendered as the envelope
// writes them.
#pragma once

#include <string>
#include <vector>

#include "event/change_event.hpp"

namespace tributary::test {

/// The events of tests/data/mysql/<name> (after the 4-byte magic), each as its bytes.
std::vector<std::string> load_binlog_events(const std::string& name);
/// tests/data/mysql/<name> as text.
std::string read_data_file(const std::string& name);

/// `value` of a column of `type` as JSON text the way the envelope writes it (DEBEZIUM_FORMAT):
/// Decimal and Bytes base64, Date days, Time µs, Timestamp ms (precision 0-3) or µs,
/// ZonedTimestamp ISO-8601 UTC.
std::string envelope_json(const event::Value& value, const event::ColumnType& type);

/// A copy of `event` cut to `size` bytes with its header's size fixed and its CRC32 (the last 4
/// bytes) recomputed, so the body decoders, not the framing, meet the truncation.
std::string reframe(const std::string& event, std::size_t body_size);

}  // namespace tributary::test
