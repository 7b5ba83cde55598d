// Position records -> JSON (RapidJSON): the checkpoint file's and the offsets record's writer.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <ctime>

#include "checkpoint/position_json.hpp"

namespace tributary::checkpoint {
namespace {

template <class Writer>
void write_string(Writer& writer, const std::string& text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

template <class Writer>
void write_lsn_pair(Writer& writer, const char* name, uint64_t lsn) {
  writer.Key(name);
  writer.String(event::format_lsn(lsn));
  writer.Key((std::string(name) + "_decimal").c_str());
  writer.Uint64(lsn);
}

template <class Writer>
void write_position(Writer& writer, const event::SourcePosition& position) {
  writer.StartObject();
  writer.Key("type");
  writer.String(position.type_name());
  if (position.is_postgres()) {
    write_lsn_pair(writer, "lsn", position.lsn());
    write_lsn_pair(writer, "partial_commit_lsn", position.partial_commit_lsn());
  } else {
    const auto& my = position.mysql();
    writer.Key("file");
    write_string(writer, my.file);
    writer.Key("pos");
    writer.Uint64(my.pos);
    writer.Key("gtid_set");
    write_string(writer, my.gtid_set);
    writer.Key("server_id");
    writer.Uint(my.server_id);
  }
  writer.EndObject();
}

template <class Writer>
void write_source(Writer& writer, const event::SourceIdentity& source) {
  std::visit(
      [&]<class Identity>(const Identity& identity) {
        writer.StartObject();
        if constexpr (std::is_same_v<Identity, event::MysqlIdentity>) {
          writer.Key("type");
          writer.String("mysql");
          writer.Key("flavour");
          writer.String(event::to_string(identity.flavour));
          writer.Key("server_uuid");
          write_string(writer, identity.server_uuid);
          writer.Key("server_id");
          writer.Uint(identity.server_id);
          writer.Key("gtid_domain_id");
          writer.Uint(identity.gtid_domain_id);
        } else {
          writer.Key("type");
          writer.String("postgres");
          writer.Key("system_identifier");
          write_string(writer, identity.system_identifier);
          writer.Key("timeline");
          writer.Uint(identity.timeline);
          writer.Key("database");
          write_string(writer, identity.database);
          writer.Key("slot");
          write_string(writer, identity.slot);
        }
        writer.EndObject();
      },
      source);
}

}  // namespace

std::string format_iso8601_utc(std::chrono::system_clock::time_point time) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(millis / 1000);
  int fraction = static_cast<int>(millis % 1000);
  if (fraction < 0) {  // before 1970: floor, not truncate
    fraction += 1000;
    seconds -= 1;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
  return buffer;
}

std::string describe(const event::SourceIdentity& identity) {
  if (const auto* my = std::get_if<event::MysqlIdentity>(&identity)) {
    std::string text = event::to_string(my->flavour);
    if (!my->server_uuid.empty()) text += " server_uuid " + my->server_uuid + ",";
    text += " server_id " + std::to_string(my->server_id);
    if (my->flavour == event::MysqlIdentity::Flavour::kMariadb) {
      text += ", gtid domain " + std::to_string(my->gtid_domain_id);
    }
    return text;
  }
  const auto& pg = std::get<event::PostgresIdentity>(identity);
  return "postgres system identifier " + pg.system_identifier + ", timeline " +
         std::to_string(pg.timeline) + ", database " + pg.database + ", slot " + pg.slot;
}

std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position) {
  return position_to_json(pipeline, position, std::chrono::system_clock::now());
}

std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position,
                             std::chrono::system_clock::time_point updated_at) {
  PositionRecord record;
  record.pipeline = pipeline;
  record.position = position;
  return record_to_json(record, updated_at);
}

namespace {

std::string write_record(const PositionRecord& record, const std::string& updated_at) {
  const event::SourcePosition& position = record.position;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("format");
  writer.Int(kPositionFormatVersion);
  writer.Key("pipeline");
  write_string(writer, record.pipeline);
  writer.Key("epoch");
  writer.Uint64(record.epoch);
  writer.Key("source");
  if (record.source) {
    write_source(writer, *record.source);
  } else {
    writer.Null();
  }
  writer.Key("tables");
  if (record.tables) {
    writer.StartArray();
    for (const auto& table : *record.tables) {
      writer.StartObject();
      writer.Key("schema");
      write_string(writer, table.id.schema);
      writer.Key("table");
      write_string(writer, table.id.table);
      if (table.join_lsn != 0) {
        writer.Key("join_lsn");
        writer.String(event::format_lsn(table.join_lsn));
        writer.Key("join_lsn_decimal");
        writer.Uint64(table.join_lsn);
      }
      writer.EndObject();
    }
    writer.EndArray();
  } else {
    writer.Null();
  }
  writer.Key("snapshot_completed");
  writer.Bool(position.snapshot_completed);
  writer.Key("position");
  write_position(writer, position);
  if (position.snapshot_progress && !position.snapshot_completed) {
    writer.Key("snapshot_progress");
    writer.StartObject();
    writer.Key("chunks");
    writer.Uint64(position.snapshot_progress->chunks);
    writer.Key("tables");
    writer.StartArray();
    for (const auto& [name, table] : position.snapshot_progress->tables) {
      writer.StartObject();
      writer.Key("table");
      write_string(writer, name);
      writer.Key("after");
      writer.StartArray();
      for (const auto& key : table.after) write_string(writer, key);
      writer.EndArray();
      writer.Key("done");
      writer.Bool(table.done);
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
  }
  writer.Key("partial_events");
  writer.Uint64(position.partial_events);
  writer.Key("updated_at");
  write_string(writer, updated_at);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string record_to_json(const PositionRecord& record) {
  return record_to_json(record, std::chrono::system_clock::now());
}

std::string record_to_json(const PositionRecord& record,
                           std::chrono::system_clock::time_point updated_at) {
  return write_record(record, format_iso8601_utc(updated_at));
}

std::string record_to_json_as_read(const PositionRecord& record) {
  if (record.updated_at.empty()) return record_to_json(record);
  return write_record(record, record.updated_at);
}

}  // namespace tributary::checkpoint
