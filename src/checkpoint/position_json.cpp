// SourcePosition <-> JSON (RapidJSON), strict on the way in.
#include "checkpoint/position_json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <set>

namespace tributary::checkpoint {
namespace {

constexpr std::array<std::string_view, 9> kFields = {
    "format",      "pipeline",           "snapshot_completed",         "lsn",
    "lsn_decimal", "partial_commit_lsn", "partial_commit_lsn_decimal", "partial_events",
    "updated_at"};

Error corrupt(const std::string& what) {
  return Error::corrupt("position record: " + what);
}

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name) {
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Reads "<name>" (text "X/Y") and "<name>_decimal" and checks that they agree.
Result<uint64_t> read_lsn_pair(const rapidjson::Value& object, const std::string& name) {
  const rapidjson::Value* text = member(object, name);
  const rapidjson::Value* decimal = member(object, name + "_decimal");
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

std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position) {
  return position_to_json(pipeline, position, std::chrono::system_clock::now());
}

std::string position_to_json(const std::string& pipeline, const event::SourcePosition& position,
                             std::chrono::system_clock::time_point updated_at) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("format");
  writer.Int(kPositionFormatVersion);
  writer.Key("pipeline");
  writer.String(pipeline.data(), static_cast<rapidjson::SizeType>(pipeline.size()));
  writer.Key("snapshot_completed");
  writer.Bool(position.snapshot_completed);
  writer.Key("lsn");
  writer.String(event::format_lsn(position.lsn));
  writer.Key("lsn_decimal");
  writer.Uint64(position.lsn);
  writer.Key("partial_commit_lsn");
  writer.String(event::format_lsn(position.partial_commit_lsn));
  writer.Key("partial_commit_lsn_decimal");
  writer.Uint64(position.partial_commit_lsn);
  writer.Key("partial_events");
  writer.Uint64(position.partial_events);
  writer.Key("updated_at");
  writer.String(format_iso8601_utc(updated_at));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<PositionRecord> position_record_from_json(std::string_view text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError()) {
    return corrupt(std::string("invalid JSON at offset ") +
                   std::to_string(document.GetErrorOffset()) + ": " +
                   rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) return corrupt("expected a JSON object");

  std::set<std::string_view> seen;
  for (const auto& field : document.GetObject()) {
    std::string_view name(field.name.GetString(), field.name.GetStringLength());
    bool known = false;
    for (auto k : kFields) known = known || k == name;
    if (!known) return corrupt("unknown field \"" + std::string(name) + "\"");
    if (!seen.insert(name).second) return corrupt("duplicate field \"" + std::string(name) + "\"");
  }
  for (auto k : kFields) {
    if (!seen.count(k)) return corrupt("missing field \"" + std::string(k) + "\"");
  }

  const auto& format = *member(document, "format");
  if (!format.IsInt() || format.GetInt() != kPositionFormatVersion) {
    return corrupt("unsupported \"format\" (this build reads format " +
                   std::to_string(kPositionFormatVersion) + ")");
  }

  PositionRecord record;
  const auto& pipeline = *member(document, "pipeline");
  if (!pipeline.IsString() || pipeline.GetStringLength() == 0) {
    return corrupt("\"pipeline\" must be a non-empty string");
  }
  record.pipeline.assign(pipeline.GetString(), pipeline.GetStringLength());

  const auto& snapshot_completed = *member(document, "snapshot_completed");
  if (!snapshot_completed.IsBool()) return corrupt("\"snapshot_completed\" must be true or false");
  record.position.snapshot_completed = snapshot_completed.GetBool();

  auto lsn = read_lsn_pair(document, "lsn");
  if (!lsn) return lsn.error();
  record.position.lsn = *lsn;
  auto partial_commit_lsn = read_lsn_pair(document, "partial_commit_lsn");
  if (!partial_commit_lsn) return partial_commit_lsn.error();
  record.position.partial_commit_lsn = *partial_commit_lsn;

  const auto& partial_events = *member(document, "partial_events");
  if (!partial_events.IsUint64())
    return corrupt("\"partial_events\" must be a non-negative integer");
  record.position.partial_events = partial_events.GetUint64();
  if (record.position.partial_events != 0 && record.position.partial_commit_lsn == 0) {
    return corrupt("\"partial_events\" is " + std::to_string(record.position.partial_events) +
                   " but \"partial_commit_lsn\" is 0/0 (events of which transaction?)");
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
