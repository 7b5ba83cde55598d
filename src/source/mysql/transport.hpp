// How raw binlog events reach the source: a small interface (a MySQL 8 COM_BINLOG_DUMP_GTID
// transport can be added beside this one) and its Connector/C implementation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "source/mysql/connection.hpp"

namespace tributary::source::mysql {

struct BinlogStart {
  std::string file;       ///< file/position start; "" with `gtid` set: start by GTID
  uint32_t position = 4;  ///< 4: the first event after the magic bytes
  std::string gtid;       ///< MariaDB GTID position ("0-1-42,1-2-7"): @slave_connect_state
};

/// Hands raw events (header + body + checksum, as the server sent them) to the caller. Blocking:
/// the caller runs it on a worker thread. Decoding belongs to binlog/.
class BinlogTransport {
 public:
  virtual ~BinlogTransport() = default;
  virtual Result<void> open(const BinlogStart& start) = 0;
  /// The next event's bytes, valid until the next call; empty at the end of a non-blocking dump.
  virtual Result<std::string_view> next() = 0;
  virtual void close() = 0;
  /// The server's binlog_checksum as announced ("CRC32" or "NONE"): events end in 4 CRC32 bytes
  /// when "CRC32".
  virtual const std::string& checksum() const = 0;
};

struct TransportOptions {
  ConnectionOptions connection;
  uint32_t server_id = 0;      ///< source.server_id
  int heartbeat_seconds = 10;  ///< @master_heartbeat_period; the read timeout is 3x
  bool non_blocking = false;   ///< BINLOG_DUMP_NON_BLOCK: end at the end of the binlog
};

/// COM_BINLOG_DUMP sent over a Connector/C connection (its db_command), packets read with
/// mysql_net_read_packet: no event is parsed by the library (mariadb_rpl_fetch decodes events
/// itself, and mis-decodes some), so every byte reaches binlog/ as sent.
std::unique_ptr<BinlogTransport> make_connector_transport(TransportOptions options);

}  // namespace tributary::source::mysql
