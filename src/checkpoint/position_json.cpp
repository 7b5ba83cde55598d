// JSON -> position records (RapidJSON), strict: every field checked, unknown ones refused.
#include "checkpoint/position_json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <set>
#include <vector>

namespace tributary::checkpoint {
namespace {

/// The fields of format 1; format 2 adds kFormat2Fields, format 3 "tables". Format 4 moves the
/// LSN fields into "position" (kFormat4Fields replace kLsnFields).
constexpr std::array<std::string_view, 5> kFormat1Fields = {
    "format", "pipeline", "snapshot_completed", "partial_events", "updated_at"};
constexpr std::array<std::string_view, 4> kLsnFields = {"lsn", "lsn_decimal", "partial_commit_lsn",
                                                        "partial_commit_lsn_decimal"};
constexpr std::array<std::string_view, 2> kFormat2Fields = {"epoch", "source"};
constexpr std::array<std::string_view, 5> kPostgresPositionFields = {
    "type", "lsn", "lsn_decimal", "partial_commit_lsn", "partial_commit_lsn_decimal"};
constexpr std::array<std::string_view, 5> kMysqlPositionFields = {"type", "file", "pos", "gtid_set",
                                                                  "server_id"};
constexpr std::array<std::string_view, 5> kMysqlFields = {"type", "flavour", "server_uuid",
                                                          "server_id", "gtid_domain_id"};
constexpr std::array<std::string_view, 2> kTableFields = {"schema", "table"};
constexpr std::array<std::string_view, 4> kJoinedTableFields = {"schema", "table", "join_lsn",
                                                                "join_lsn_decimal"};
constexpr std::array<std::string_view, 5> kPostgresFields = {"type", "system_identifier",
                                                             "timeline", "database", "slot"};

Error corrupt(const std::string& what) {
  return Error::corrupt("position record: " + what);
}

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name) {
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Reads "<name>" (text "X/Y") and "<name>_decimal" and checks that they agree.
Result<uint64_t> read_lsn_pair(const rapidjson::Value& object, const std::string& field,
                               const std::string& where) {
  const rapidjson::Value* text = member(object, field);
  const rapidjson::Value* decimal = member(object, field + "_decimal");
  const std::string name = where + field;
  if (!text->IsString()) return corrupt("\"" + name + "\" must be a string like \"16/B374D848\"");
  if (!decimal->IsUint64()) {
    return corrupt("\"" + name + "_decimal\" must be a non-negative integer");
  }
  uint64_t parsed = 0;
  std::string lsn_text(text->GetString(), text->GetStringLength());
  if (!event::parse_lsn(lsn_text, parsed)) {
    return corrupt("\"" + name + "\" is not an LSN (X/Y in hex): \"" + lsn_text + "\"");
  }
  if (parsed != decimal->GetUint64()) {
    return corrupt("\"" + name + "\" (" + lsn_text + ") and \"" + name + "_decimal\" (" +
                   std::to_string(decimal->GetUint64()) + ") disagree");
  }
  return parsed;
}

/// Every member of `object` is one of `fields`, once, and every one of `fields` is there.
Result<void> check_fields(const rapidjson::Value& object,
                          const std::vector<std::string_view>& fields, const std::string& where) {
  std::set<std::string_view> seen;
  for (const auto& field : object.GetObject()) {
    std::string_view name(field.name.GetString(), field.name.GetStringLength());
    bool known = false;
    for (auto k : fields) known = known || k == name;
    if (!known) return corrupt("unknown field \"" + where + std::string(name) + "\"");
    if (!seen.insert(name).second) {
      return corrupt("duplicate field \"" + where + std::string(name) + "\"");
    }
  }
  for (auto k : fields) {
    if (!seen.count(k)) return corrupt("missing field \"" + where + std::string(k) + "\"");
  }
  return {};
}

Result<std::string> read_text(const rapidjson::Value& object, const char* name,
                              const std::string& where) {
  const rapidjson::Value* value = member(object, name);
  if (!value->IsString() || value->GetStringLength() == 0) {
    return corrupt("\"" + where + name + "\" must be a non-empty string");
  }
  return std::string(value->GetString(), value->GetStringLength());
}

/// "<where>type" of `object`: "postgres", or also "mysql" when `mysql_known` (format 4).
Result<std::string> read_type(const rapidjson::Value& object, const std::string& where,
                              bool mysql_known) {
  const std::string known = mysql_known ? "postgres or mysql" : "postgres";
  const rapidjson::Value* type = member(object, "type");
  if (type == nullptr || !type->IsString()) {
    return corrupt("\"" + where + "type\" must be a string (" + known + ")");
  }
  std::string name(type->GetString(), type->GetStringLength());
  if (name != "postgres" && !(mysql_known && name == "mysql")) {
    return corrupt("unknown \"" + where + "type\" \"" + name + "\" (format " +
                   (mysql_known ? "4" : "2 and 3") + " records know " + known + ")");
  }
  return name;
}

/// A uint32 field; `positive`: 0 refused.
Result<uint32_t> read_uint32(const rapidjson::Value& object, const char* name,
                             const std::string& where, bool positive) {
  const rapidjson::Value* value = member(object, name);
  if (!value->IsUint() || (positive && value->GetUint() == 0)) {
    return corrupt("\"" + where + name + "\" must be a " +
                   (positive ? "positive" : "non-negative") + " integer below 2^32");
  }
  return value->GetUint();
}

bool is_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<event::SourceIdentity> read_mysql_source(const rapidjson::Value& source) {
  std::vector<std::string_view> fields(kMysqlFields.begin(), kMysqlFields.end());
  if (auto checked = check_fields(source, fields, "source."); !checked) return checked.error();
  event::MysqlIdentity identity;
  auto flavour = read_text(source, "flavour", "source.");
  if (!flavour) return flavour.error();
  if (*flavour == "mariadb") {
    identity.flavour = event::MysqlIdentity::Flavour::kMariadb;
  } else if (*flavour != "mysql") {
    return corrupt("\"source.flavour\" must be \"mysql\" or \"mariadb\", not \"" + *flavour + "\"");
  }
  const rapidjson::Value* uuid = member(source, "server_uuid");
  if (!uuid->IsString()) return corrupt("\"source.server_uuid\" must be a string");
  identity.server_uuid.assign(uuid->GetString(), uuid->GetStringLength());
  if (identity.flavour == event::MysqlIdentity::Flavour::kMysql && !is_uuid(identity.server_uuid)) {
    return corrupt(
        "\"source.server_uuid\" must be a MySQL server UUID "
        "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), not \"" +
        identity.server_uuid + "\"");
  }
  if (identity.flavour == event::MysqlIdentity::Flavour::kMariadb &&
      !identity.server_uuid.empty()) {
    return corrupt("\"source.server_uuid\" must be \"\" for mariadb (it has none)");
  }
  auto server_id = read_uint32(source, "server_id", "source.", true);
  if (!server_id) return server_id.error();
  identity.server_id = *server_id;
  auto domain = read_uint32(source, "gtid_domain_id", "source.", false);
  if (!domain) return domain.error();
  if (identity.flavour == event::MysqlIdentity::Flavour::kMysql && *domain != 0) {
    return corrupt("\"source.gtid_domain_id\" must be 0 for mysql (a MariaDB setting)");
  }
  identity.gtid_domain_id = *domain;
  return event::SourceIdentity(std::move(identity));
}

Result<event::SourceIdentity> read_source(const rapidjson::Value& source, int format) {
  if (!source.IsObject()) return corrupt("\"source\" must be an object or null");
  auto type = read_type(source, "source.", format >= 4);
  if (!type) return type.error();
  if (*type == "mysql") return read_mysql_source(source);
  std::vector<std::string_view> fields(kPostgresFields.begin(), kPostgresFields.end());
  if (auto checked = check_fields(source, fields, "source."); !checked) return checked.error();
  event::PostgresIdentity identity;
  auto system_identifier = read_text(source, "system_identifier", "source.");
  if (!system_identifier) return system_identifier.error();
  for (char c : *system_identifier) {
    if (c < '0' || c > '9') {
      return corrupt("\"source.system_identifier\" must be decimal digits, not \"" +
                     *system_identifier + "\"");
    }
  }
  identity.system_identifier = *system_identifier;
  const rapidjson::Value* timeline = member(source, "timeline");
  if (!timeline->IsUint() || timeline->GetUint() == 0) {
    return corrupt("\"source.timeline\" must be a positive integer");
  }
  identity.timeline = timeline->GetUint();
  auto database = read_text(source, "database", "source.");
  if (!database) return database.error();
  identity.database = *database;
  auto slot = read_text(source, "slot", "source.");
  if (!slot) return slot.error();
  identity.slot = *slot;
  return event::SourceIdentity(std::move(identity));
}

Result<event::CaptureSet> read_tables(const rapidjson::Value& tables) {
  if (!tables.IsArray()) return corrupt("\"tables\" must be an array or null");
  event::CaptureSet set;
  for (rapidjson::SizeType i = 0; i < tables.Size(); ++i) {
    const rapidjson::Value& entry = tables[i];
    const std::string where = "tables[" + std::to_string(i) + "].";
    if (!entry.IsObject())
      return corrupt("\"tables[" + std::to_string(i) + "]\" must be an object");
    const bool joined = member(entry, "join_lsn") != nullptr;
    std::vector<std::string_view> fields;
    if (joined) {
      fields.assign(kJoinedTableFields.begin(), kJoinedTableFields.end());
    } else {
      fields.assign(kTableFields.begin(), kTableFields.end());
    }
    if (auto checked = check_fields(entry, fields, where); !checked) return checked.error();
    event::CapturedTable table;
    auto schema = read_text(entry, "schema", where);
    if (!schema) return schema.error();
    auto name = read_text(entry, "table", where);
    if (!name) return name.error();
    table.id = {*schema, *name};
    if (joined) {
      auto lsn = read_lsn_pair(entry, "join_lsn", where);
      if (!lsn) return lsn.error();
      if (*lsn == 0) return corrupt("\"" + where + "join_lsn\" must not be 0/0");
      table.join_lsn = *lsn;
    }
    if (event::find_table(set, table.id) != nullptr) {
      return corrupt("table " + table.id.qualified() + " is listed twice in \"tables\"");
    }
    set.push_back(std::move(table));
  }
  return set;
}

/// A binlog file name as the server writes it: a plain name ("mysql-bin.000003"), no path.
bool is_binlog_file_name(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// A GTID set as servers print it: MariaDB "0-1-100,1-2-7", MySQL "uuid:1-100:200,uuid2:1-5"
/// (MySQL 8.3 tags "uuid:tag:1-5" too); the separators' whitespace removed.
bool is_gtid_set_text(const std::string& text) {
  if (text.size() > 65536) return false;
  for (char c : text) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == ',' || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// "snapshot_progress": {"chunks": N, "tables": [{"table": "s.t", "after": ["key text", ...],
/// "done": bool}, ...]}.
Result<std::shared_ptr<const event::SnapshotProgress>> read_snapshot_progress(
    const rapidjson::Value& value) {
  if (!value.IsObject()) return corrupt("\"snapshot_progress\" must be an object");
  if (auto checked = check_fields(value, {"chunks", "tables"}, "snapshot_progress."); !checked) {
    return checked.error();
  }
  auto progress = std::make_shared<event::SnapshotProgress>();
  const rapidjson::Value* chunks = member(value, "chunks");
  if (!chunks->IsUint64()) return corrupt("\"snapshot_progress.chunks\" must be an integer");
  progress->chunks = chunks->GetUint64();
  const rapidjson::Value* tables = member(value, "tables");
  if (!tables->IsArray()) return corrupt("\"snapshot_progress.tables\" must be an array");
  for (const auto& entry : tables->GetArray()) {
    const std::string where = "snapshot_progress.tables[].";
    if (!entry.IsObject()) return corrupt("\"" + where + "\" entries must be objects");
    if (auto checked = check_fields(entry, {"table", "after", "done"}, where); !checked) {
      return checked.error();
    }
    const rapidjson::Value* name = member(entry, "table");
    const rapidjson::Value* after = member(entry, "after");
    const rapidjson::Value* done = member(entry, "done");
    if (!name->IsString()) return corrupt("\"" + where + "table\" must be a string");
    if (!after->IsArray()) return corrupt("\"" + where + "after\" must be an array");
    if (!done->IsBool()) return corrupt("\"" + where + "done\" must be true or false");
    event::SnapshotProgress::Table table;
    table.done = done->GetBool();
    for (const auto& key : after->GetArray()) {
      if (!key.IsString()) return corrupt("\"" + where + "after\" must hold strings");
      table.after.emplace_back(key.GetString(), key.GetStringLength());
    }
    progress->tables[std::string(name->GetString(), name->GetStringLength())] = std::move(table);
  }
  return std::shared_ptr<const event::SnapshotProgress>(std::move(progress));
}

/// Format 4's "position" object, into `position` (partial_events and snapshot_completed aside).
Result<void> read_position(const rapidjson::Value& value, event::SourcePosition& position) {
  if (!value.IsObject()) return corrupt("\"position\" must be an object");
  auto type = read_type(value, "position.", true);
  if (!type) return type.error();
  if (*type == "postgres") {
    std::vector<std::string_view> fields(kPostgresPositionFields.begin(),
                                         kPostgresPositionFields.end());
    if (auto checked = check_fields(value, fields, "position."); !checked) return checked.error();
    auto lsn = read_lsn_pair(value, "lsn", "position.");
    if (!lsn) return lsn.error();
    auto partial = read_lsn_pair(value, "partial_commit_lsn", "position.");
    if (!partial) return partial.error();
    position.postgres() = {*lsn, *partial};
    return {};
  }
  std::vector<std::string_view> fields(kMysqlPositionFields.begin(), kMysqlPositionFields.end());
  if (auto checked = check_fields(value, fields, "position."); !checked) return checked.error();
  event::MysqlPosition& my = position.mysql();
  const rapidjson::Value* file = member(value, "file");
  if (!file->IsString()) return corrupt("\"position.file\" must be a string");
  my.file.assign(file->GetString(), file->GetStringLength());
  if (!my.file.empty() && !is_binlog_file_name(my.file)) {
    return corrupt(
        "\"position.file\" must be a binlog file name like \"mysql-bin.000003\" "
        "(letters, digits, '.', '-', '_'), not \"" +
        my.file + "\"");
  }
  const rapidjson::Value* pos = member(value, "pos");
  if (!pos->IsUint64()) return corrupt("\"position.pos\" must be a non-negative integer");
  my.pos = pos->GetUint64();
  if (my.file.empty() && my.pos != 0) {
    return corrupt("\"position.pos\" is " + std::to_string(my.pos) +
                   " but \"position.file\" is empty (a position in which file?)");
  }
  const rapidjson::Value* gtid = member(value, "gtid_set");
  if (!gtid->IsString()) return corrupt("\"position.gtid_set\" must be a string");
  my.gtid_set.assign(gtid->GetString(), gtid->GetStringLength());
  if (!is_gtid_set_text(my.gtid_set)) {
    return corrupt(
        "\"position.gtid_set\" is not a GTID set (\"0-1-100,1-2-7\" or "
        "\"uuid:1-100\", no spaces): \"" +
        my.gtid_set + "\"");
  }
  auto server_id = read_uint32(value, "server_id", "position.", false);
  if (!server_id) return server_id.error();
  my.server_id = *server_id;
  return {};
}

bool looks_like_iso8601_utc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff...]Z
  if (text.size() < 20 || text.back() != 'Z') return false;
  for (std::size_t i = 0; i < 19; ++i) {
    char c = text[i];
    bool separator = i == 4 || i == 7 || i == 10 || i == 13 || i == 16;
    if (separator) {
      char expected = i == 10 ? 'T' : (i < 10 ? '-' : ':');
      if (c != expected) return false;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  std::string_view rest = text.substr(19, text.size() - 20);
  if (rest.empty()) return true;
  if (rest.front() != '.' || rest.size() < 2) return false;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Result<PositionRecord> position_record_from_json(std::string_view text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError()) {
    return corrupt(std::string("invalid JSON at offset ") +
                   std::to_string(document.GetErrorOffset()) + ": " +
                   rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) return corrupt("expected a JSON object");
  // RapidJSON 1.1.0 reads a lone low surrogate escape ("\udc00") as bytes that are not UTF-8;
  // written back, such a record could not be read again (found by the checkpoint fuzz target).
  rapidjson::StringBuffer scratch;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
      validator(scratch);
  if (!document.Accept(validator)) {
    return corrupt("a string holds an escape that is not valid UTF-8 (a lone surrogate)");
  }

  // The format decides which fields belong.
  const rapidjson::Value* format = member(document, "format");
  if (format == nullptr) return corrupt("missing field \"format\"");
  if (!format->IsInt() || format->GetInt() < 1 || format->GetInt() > kPositionFormatVersion) {
    return corrupt("unsupported \"format\" (this build reads formats 1 to " +
                   std::to_string(kPositionFormatVersion) + ")");
  }
  PositionRecord record;
  record.format = format->GetInt();
  std::vector<std::string_view> fields(kFormat1Fields.begin(), kFormat1Fields.end());
  if (record.format >= 2) fields.insert(fields.end(), kFormat2Fields.begin(), kFormat2Fields.end());
  if (record.format >= 3) fields.push_back("tables");
  if (record.format >= 4) {
    fields.push_back("position");
  } else {
    fields.insert(fields.end(), kLsnFields.begin(), kLsnFields.end());
  }
  // Optional in format 4: written only while a chunked snapshot is unfinished.
  if (record.format >= 4 && member(document, "snapshot_progress") != nullptr) {
    fields.push_back("snapshot_progress");
  }
  if (auto checked = check_fields(document, fields, ""); !checked) return checked.error();

  const auto& pipeline = *member(document, "pipeline");
  if (!pipeline.IsString() || pipeline.GetStringLength() == 0) {
    return corrupt("\"pipeline\" must be a non-empty string");
  }
  record.pipeline.assign(pipeline.GetString(), pipeline.GetStringLength());

  if (record.format >= 2) {
    const auto& epoch = *member(document, "epoch");
    if (!epoch.IsUint64()) return corrupt("\"epoch\" must be a non-negative integer");
    record.epoch = epoch.GetUint64();
    const auto& source = *member(document, "source");
    if (!source.IsNull()) {
      auto identity = read_source(source, record.format);
      if (!identity) return identity.error();
      record.source = std::move(*identity);
    }
  }
  if (record.format >= 3) {
    const auto& tables = *member(document, "tables");
    if (!tables.IsNull()) {
      auto set = read_tables(tables);
      if (!set) return set.error();
      record.tables = std::move(*set);
    }
  }

  const auto& snapshot_completed = *member(document, "snapshot_completed");
  if (!snapshot_completed.IsBool()) return corrupt("\"snapshot_completed\" must be true or false");
  record.position.snapshot_completed = snapshot_completed.GetBool();

  if (record.format >= 4) {
    if (auto read = read_position(*member(document, "position"), record.position); !read) {
      return read.error();
    }
  } else {  // formats 1 to 3: PostgreSQL, the LSNs at the top level
    auto lsn = read_lsn_pair(document, "lsn", "");
    if (!lsn) return lsn.error();
    auto partial_commit_lsn = read_lsn_pair(document, "partial_commit_lsn", "");
    if (!partial_commit_lsn) return partial_commit_lsn.error();
    record.position.postgres() = {*lsn, *partial_commit_lsn};
  }
  if (record.source &&
      record.position.type_name() != std::string_view(event::type_name(*record.source))) {
    return corrupt(std::string("\"position.type\" is ") + record.position.type_name() +
                   " but \"source.type\" is " + event::type_name(*record.source) +
                   " (a position of one source type recorded with another's identity)");
  }

  if (const rapidjson::Value* progress = member(document, "snapshot_progress")) {
    auto read = read_snapshot_progress(*progress);
    if (!read) return read.error();
    record.position.snapshot_progress = std::move(*read);
  }

  const auto& partial_events = *member(document, "partial_events");
  if (!partial_events.IsUint64())
    return corrupt("\"partial_events\" must be a non-negative integer");
  record.position.partial_events = partial_events.GetUint64();
  if (record.position.partial_events != 0 && record.position.is_postgres() &&
      record.position.partial_commit_lsn() == 0) {
    return corrupt("\"partial_events\" is " + std::to_string(record.position.partial_events) +
                   " but \"partial_commit_lsn\" is 0/0 (events of which transaction?)");
  }
  if (record.position.partial_events != 0 && record.position.is_mysql() &&
      record.position.mysql().file.empty()) {
    return corrupt("\"partial_events\" is " + std::to_string(record.position.partial_events) +
                   " but \"position.file\" is empty (events of which transaction?)");
  }

  const auto& updated_at = *member(document, "updated_at");
  if (!updated_at.IsString()) return corrupt("\"updated_at\" must be a string");
  record.updated_at.assign(updated_at.GetString(), updated_at.GetStringLength());
  if (!looks_like_iso8601_utc(record.updated_at)) {
    return corrupt("\"updated_at\" is not an ISO 8601 UTC time: \"" + record.updated_at + "\"");
  }
  return record;
}

Result<event::SourcePosition> position_from_json(std::string_view text) {
  auto record = position_record_from_json(text);
  if (!record) return record.error();
  return record->position;
}

}  // namespace tributary::checkpoint
