// The Connector/C binlog transport: session variables, COM_BINLOG_DUMP, raw packets.
#include "source/mysql/transport.hpp"

namespace tributary::source::mysql {
namespace {

constexpr uint16_t kBinlogDumpNonBlock = 1;

class ConnectorTransport final : public BinlogTransport {
 public:
  explicit ConnectorTransport(TransportOptions options) : options_(std::move(options)) {}

  Result<void> open(const BinlogStart& start) override {
    close();
    ConnectionOptions connection = options_.connection;
    connection.read_timeout_seconds = std::max(30, options_.heartbeat_seconds * 3);
    auto connected = Connection::connect(connection);
    if (!connected) return connected.error();
    connection_ = std::move(*connected);
    auto checksum = connection_->query("SELECT @@GLOBAL.binlog_checksum");
    if (!checksum) return checksum.error();
    checksum_ = checksum->empty() || !(*checksum)[0][0] ? "NONE" : *(*checksum)[0][0];
    // Announce that we understand checksums and MariaDB's events (GTID, annotate, ...), and ask
    // for heartbeats (nanoseconds) so that a quiet server is told from a dead connection.
    const std::string heartbeat =
        std::to_string(static_cast<int64_t>(options_.heartbeat_seconds) * 1000000000LL);
    for (const std::string& sql :
         {std::string("SET @master_binlog_checksum = @@global.binlog_checksum"),
          std::string("SET @mariadb_slave_capability = 4"),
          "SET @master_heartbeat_period = " + heartbeat}) {
      if (auto done = connection_->execute(sql); !done) return done.error();
    }
    std::string file = start.file;
    uint32_t position = start.position;
    if (!start.gtid.empty()) {
      auto done = connection_->execute("SET @slave_connect_state = " +
                                       connection_->quote_literal(start.gtid));
      if (!done) return done.error();
      if (auto strict = connection_->execute("SET @slave_gtid_strict_mode = 1"); !strict) {
        return strict.error();
      }
      file.clear();
      position = 4;
    }
    // COM_BINLOG_DUMP: position (4, LE), flags (2), server_id (4), file name (rest).
    std::string packet;
    auto put = [&](uint64_t value, int bytes) {
      for (int i = 0; i < bytes; ++i)
        packet.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    };
    put(position, 4);
    put(options_.non_blocking ? kBinlogDumpNonBlock : 0, 2);
    put(options_.server_id, 4);
    packet += file;
    MYSQL* mysql = connection_->raw();
    if (mysql->methods->db_command(mysql, COM_BINLOG_DUMP, packet.data(), packet.size(), 1,
                                   nullptr) != 0) {
      return connection_->last_error("COM_BINLOG_DUMP failed");
    }
    where_ = start.gtid.empty() ? file + ":" + std::to_string(position) : "GTID " + start.gtid;
    return {};
  }

  Result<std::string_view> next() override {
    if (!connection_) return Error::fatal("binlog transport: next() before open()");
    MYSQL* mysql = connection_->raw();
    const unsigned long length = mysql_net_read_packet(mysql);
    // packet_error is ((unsigned int) -1), not an unsigned long's -1: compared as the library
    // defines it, or a lost connection reads as a 4 GiB packet of stale bytes.
    if (length == packet_error || length == 0) {
      auto error = connection_->last_error("reading the binlog from " + where_ + " failed");
      // A read that failed without a server error number is a lost connection (server restart,
      // network): reconnecting from the committed position is the way on.
      if (mysql_errno(mysql) == 0) return Error::retriable(error.message);
      return error;
    }
    const auto* data = reinterpret_cast<const char*>(mysql->net.read_pos);
    if (static_cast<unsigned char>(data[0]) == 0xfe && length < 8) return std::string_view();
    if (static_cast<unsigned char>(data[0]) != 0x00) {
      return connection_->last_error("the server ended the binlog dump from " + where_);
    }
    return std::string_view(data + 1, length - 1);
  }

  void close() override { connection_.reset(); }

  const std::string& checksum() const override { return checksum_; }

 private:
  TransportOptions options_;
  std::unique_ptr<Connection> connection_;
  std::string checksum_ = "NONE";
  std::string where_;
};

}  // namespace

std::unique_ptr<BinlogTransport> make_connector_transport(TransportOptions options) {
  return std::make_unique<ConnectorTransport>(std::move(options));
}

}  // namespace tributary::source::mysql
