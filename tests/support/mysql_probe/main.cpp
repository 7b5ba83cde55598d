// tributary-mysql-probe: drives the MySQL source's pieces against a server for the integration
// tests (tests/integration/test_mysql_*.py). The password comes from MYSQL_PROBE_PASSWORD.
//   preflight HOST PORT USER SERVER_ID      one line per finding: "<level>: <text>"
//   stream HOST PORT USER SERVER_ID FILE POS  non-blocking dump from FILE:POS
//   stream-gtid HOST PORT USER SERVER_ID GTID non-blocking dump from a MariaDB GTID position
// stream prints one line per event: "<type> <size> <next_position> <crc:ok|bad|none>".
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "source/mysql/preflight.hpp"
#include "source/mysql/transport.hpp"

using namespace tributary::source::mysql;

namespace {

uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s preflight|stream|stream-gtid HOST PORT USER SERVER_ID ...\n",
                 argv[0]);
    return 2;
  }
  const std::string command = argv[1];
  tributary::config::SourceConfig source;
  source.type = tributary::config::SourceType::kMysql;
  source.host = argv[2];
  source.port = std::atoi(argv[3]);
  source.user = argv[4];
  source.server_id = std::atoll(argv[5]);
  if (const char* password = std::getenv("MYSQL_PROBE_PASSWORD")) source.password = password;
  if (command == "preflight") {
    for (const auto& finding : preflight(source, "probe")) {
      const char* level = finding.level == Finding::Level::kProblem   ? "problem"
                          : finding.level == Finding::Level::kWarning ? "warning"
                                                                      : "fact";
      std::printf("%s: %s\n", level, finding.text.c_str());
    }
    return 0;
  }
  BinlogStart start;
  if (command == "stream" && argc >= 8) {
    start.file = argv[6];
    start.position = static_cast<uint32_t>(std::atol(argv[7]));
  } else if (command == "stream-gtid" && argc >= 7) {
    start.gtid = argv[6];
  } else {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }
  TransportOptions options;
  options.connection = ConnectionOptions::from(source);
  options.server_id = static_cast<uint32_t>(source.server_id);
  options.non_blocking = true;
  auto transport = make_connector_transport(options);
  if (auto opened = transport->open(start); !opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  std::printf("checksum %s\n", transport->checksum().c_str());
  while (true) {
    auto event = transport->next();
    if (!event) {
      std::fprintf(stderr, "%s\n", event.error().message.c_str());
      return 1;
    }
    if (event->empty()) break;
    const auto* bytes = reinterpret_cast<const unsigned char*>(event->data());
    if (event->size() < 19) {
      std::fprintf(stderr, "short event of %zu bytes\n", event->size());
      return 1;
    }
    const char* crc = "none";
    if (transport->checksum() == "CRC32" && event->size() >= 23) {
      const uLong computed = crc32(0, bytes, static_cast<uInt>(event->size() - 4));
      crc = computed == le32(bytes + event->size() - 4) ? "ok" : "bad";
    }
    std::printf("%u %zu %u %s\n", bytes[4], event->size(), le32(bytes + 13), crc);
  }
  return 0;
}
