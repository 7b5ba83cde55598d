// tributary-mysql-probe: drives the MySQL source's pieces against a server for the integration
// tests (tests/integration/test_mysql_*.py). The password comes from MYSQL_PROBE_PASSWORD.
//   preflight HOST PORT USER SERVER_ID      one line per finding: "<level>: <text>"
//   stream HOST PORT USER SERVER_ID FILE POS  non-blocking dump from FILE:POS
//   stream-gtid HOST PORT USER SERVER_ID GTID non-blocking dump from a MariaDB GTID position
//   snapshot HOST PORT USER SERVER_ID INCLUDE PARALLELISM  consistent snapshot of the tables
//                                            matching INCLUDE, read with PARALLELISM connections
//   binlog-rows HOST PORT USER SERVER_ID FILE POS  the binlog's row events from FILE:POS, decoded
// stream prints one line per event: "<type> <size> <next_position> <crc:ok|bad|none>".
// snapshot prints "point <file> <pos> <gtid|->", then per table "column <db.t> <name> <kind>
// <source_name> <precision> <scale> <optional> <key> <omitted>" lines, then one "row <db.t> <v>..."
// line per row; binlog-rows prints the same column lines (from TABLE_MAP) and row lines (the after
// image of writes), and "xid" per committed transaction. Values (tab-separated): null, i:<int>,
// f:<%.17g>, bool:<0|1>, dec:<hex>:<scale>, b:<hex>, s:<hex of UTF-8>, date:<days>, time:<us>,
// ts:<us>, zts:<us>, other.
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "event/event_queue.hpp"
#include "source/mysql/binlog/events.hpp"
#include "source/mysql/binlog/row_image.hpp"
#include "source/mysql/binlog/table_schema.hpp"
#include "source/mysql/preflight.hpp"
#include "source/mysql/schema_query.hpp"
#include "source/mysql/snapshot.hpp"
#include "source/mysql/transport.hpp"

using namespace tributary::source::mysql;

namespace {

uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

std::string hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string value_text(const tributary::event::Value& value) {
  namespace ev = tributary::event;
  char buffer[64];
  if (std::holds_alternative<ev::Null>(value)) return "null";
  if (auto* i = std::get_if<int64_t>(&value)) return "i:" + std::to_string(*i);
  if (auto* d = std::get_if<double>(&value)) {
    std::snprintf(buffer, sizeof buffer, "f:%.17g", *d);
    return buffer;
  }
  if (auto* b = std::get_if<bool>(&value)) return *b ? "bool:1" : "bool:0";
  if (auto* d = std::get_if<ev::Decimal>(&value))
    return "dec:" + hex(d->unscaled) + ":" + std::to_string(d->scale);
  if (auto* b = std::get_if<ev::Bytes>(&value)) return "b:" + hex(b->data);
  if (auto* s = std::get_if<std::string>(&value)) return "s:" + hex(*s);
  if (auto* d = std::get_if<ev::Date>(&value)) return "date:" + std::to_string(d->days);
  if (auto* t = std::get_if<ev::Time>(&value)) return "time:" + std::to_string(t->micros);
  if (auto* t = std::get_if<ev::Timestamp>(&value)) return "ts:" + std::to_string(t->micros);
  if (auto* t = std::get_if<ev::ZonedTimestamp>(&value)) return "zts:" + std::to_string(t->micros);
  return "other";
}

void print_schema(const tributary::event::TableSchema& schema) {
  for (const auto& column : schema.columns) {
    std::printf("column %s %s %s %s %d %d %d %d %d\n", schema.id.qualified().c_str(),
                column.name.c_str(), std::string(kind_name(column.type.kind)).c_str(),
                hex(column.type.source_name).c_str(), column.type.precision, column.type.scale,
                column.optional, column.key, column.omitted);
  }
}

void print_row(const std::string& table, const tributary::event::Row& row) {
  std::string line = "row " + table;
  for (const auto& value : row) line += "\t" + value_text(value);
  std::printf("%s\n", line.c_str());
}

int snapshot(const tributary::config::SourceConfig& source, const std::string& include,
             int parallelism) {
  namespace ev = tributary::event;
  auto lister = Connection::connect(ConnectionOptions::from(source));
  if (!lister) {
    std::fprintf(stderr, "%s\n", lister.error().message.c_str());
    return 1;
  }
  auto ids = list_tables(**lister, TableFilter({include}, {}));
  if (!ids) {
    std::fprintf(stderr, "%s\n", ids.error().message.c_str());
    return 1;
  }
  SnapshotOptions options;
  options.pipeline = "probe";
  options.source = source;
  options.parallelism = parallelism;
  auto readers = SnapshotReaders::open(options, static_cast<std::size_t>(parallelism));
  if (!readers) {
    std::fprintf(stderr, "%s\n", readers.error().message.c_str());
    return 1;
  }
  const BinlogPoint& point = (*readers)->point();
  std::printf("point %s %llu %s\n", point.file.c_str(),
              static_cast<unsigned long long>(point.position),
              point.gtid_set.empty() ? "-" : point.gtid_set.c_str());
  std::printf("connections %zu\n", (*readers)->connections());
  std::vector<std::shared_ptr<const ev::TableSchema>> tables;
  for (const auto& id : *ids) {
    auto schema = load_table_schema((*readers)->connection(), id,
                                    tributary::config::UnsupportedColumns::kSkip, {});
    if (!schema) {
      std::fprintf(stderr, "%s\n", schema.error().message.c_str());
      return 1;
    }
    print_schema(**schema);
    tables.push_back(*schema);
  }
  std::fflush(stdout);
  ev::EventQueue queue(4096);  // small: the readers meet back-pressure
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::optional<tributary::Error> failure;
  std::thread reader([&] {
    auto read = (*readers)->read(tables, queue, {}, stop);
    if (!read) failure = read.error();
    finished = true;
    queue.wake_all();
  });
  std::vector<ev::QueueItem> items;
  bool bad = false;
  while (true) {
    items.clear();
    queue.pop(items, 1000, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    for (auto& item : items) {
      auto* change = std::get_if<ev::ChangeEvent>(&item);
      if (change == nullptr || !change->after) continue;
      const auto& info = std::get<ev::MysqlSourceInfo>(change->source.origin);
      if (info.file == nullptr || *info.file != point.file ||
          info.pos != static_cast<int64_t>(point.position) || change->op != ev::Op::kRead ||
          change->source.db != change->schema->id.schema) {
        bad = true;
      }
      print_row(change->schema->id.qualified(), *change->after);
    }
    if (items.empty() && finished.load() && queue.empty()) break;
  }
  reader.join();
  if (failure) {
    std::fprintf(stderr, "%s\n", failure->message.c_str());
    return 1;
  }
  if (bad) {
    std::fprintf(stderr, "a row without the snapshot's source fields\n");
    return 1;
  }
  return 0;
}

int binlog_rows(BinlogTransport& transport) {
  namespace bl = tributary::source::mysql::binlog;
  bl::EventDecoder decoder(transport.checksum() == "CRC32" ? bl::ChecksumAlg::kCrc32
                                                           : bl::ChecksumAlg::kOff);
  std::map<uint64_t, bl::TableMap> maps;
  std::map<std::string, bool> printed;
  while (true) {
    auto raw = transport.next();
    if (!raw) {
      std::fprintf(stderr, "%s\n", raw.error().message.c_str());
      return 1;
    }
    if (raw->empty()) return 0;
    auto event = decoder.decode(*raw);
    if (!event) {
      std::fprintf(stderr, "%s\n", event.error().message.c_str());
      return 1;
    }
    if (auto* map = std::get_if<bl::TableMap>(&event->body)) {
      maps[map->table_id] = *map;
    } else if (std::holds_alternative<bl::Xid>(event->body)) {
      std::printf("xid\n");
    } else if (auto* rows = std::get_if<bl::RowsEvent>(&event->body)) {
      auto found = maps.find(rows->table_id);
      if (found == maps.end() || rows->kind != bl::RowsEvent::Kind::kWrite) continue;
      auto schema = bl::table_schema(found->second);
      auto changes = bl::decode_row_images(*rows, found->second);
      if (!schema || !changes) {
        std::fprintf(stderr, "%s\n", (!schema ? schema.error() : changes.error()).message.c_str());
        return 1;
      }
      if (!printed[schema->id.qualified()]) {
        printed[schema->id.qualified()] = true;
        print_schema(*schema);
      }
      for (const auto& change : *changes) {
        if (change.after) print_row(schema->id.qualified(), *change.after);
      }
    }
  }
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
  if (command == "snapshot" && argc >= 8) return snapshot(source, argv[6], std::atoi(argv[7]));
  BinlogStart start;
  if ((command == "stream" || command == "binlog-rows") && argc >= 8) {
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
  if (command == "binlog-rows") return binlog_rows(*transport);
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
