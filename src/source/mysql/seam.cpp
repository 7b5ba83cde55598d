// check and offsets reset for MySQL/MariaDB pipelines.
#include "source/mysql/seam.hpp"

#include "checkpoint/resume_check.hpp"
#include "source/mysql/preflight.hpp"
#include "source/mysql/schema_query.hpp"
#include "source/mysql/server_state.hpp"

namespace tributary::source::mysql {

PreflightReport preflight_report(const config::PipelineConfig& pipeline,
                                 const std::optional<checkpoint::PositionRecord>& resume) {
  PreflightReport report;
  const auto& name = pipeline.name;
  for (auto& finding : preflight(pipeline.source, name)) {
    report.findings.push_back({finding.problem(), name, std::move(finding.text)});
  }
  auto connected = Connection::connect(ConnectionOptions::from(pipeline.source));
  if (!connected) return report;  // preflight named the connection failure
  Connection& connection = **connected;
  TableFilter filter(pipeline.tables.include, pipeline.tables.exclude);
  auto tables = list_tables(connection, filter);
  if (!tables) {
    report.findings.push_back({true, name, tables.error().message});
  } else if (tables->empty()) {
    report.findings.push_back(
        {true, name,
         "no table on " + connection.where() +
             " matches tables.include (anchored regexes on database.table, e.g. \"shop\\\\..*\")"});
  } else {
    report.tables = *tables;
    for (const auto& id : *tables) {
      auto schema = load_table_schema(connection, id, pipeline.tables.unsupported_columns,
                                      pipeline.message_key_columns);
      if (!schema) report.findings.push_back({true, name, schema.error().message});
    }
  }
  if (!resume) return report;
  auto identity = read_identity(connection);
  if (!identity) {
    report.resume_findings.push_back({true, name, identity.error().message});
    return report;
  }
  checkpoint::ServerState server;
  server.identity = *identity;
  auto checked = checkpoint::check_resume(*resume, server);
  if (!checked) {
    report.resume_findings.push_back({true, name, checked.error().message});
    return report;
  }
  if (!checked->empty()) report.resume_findings.push_back({false, name, *checked});
  if (!resume->position.snapshot_completed || !resume->position.is_mysql()) return report;
  auto files = binary_logs(connection);
  if (!files) {
    report.resume_findings.push_back({true, name, files.error().message});
    return report;
  }
  const std::string missing = missing_from_server(resume->position.mysql(), *files);
  if (missing.empty()) {
    report.resume_findings.push_back(
        {false, name, "streaming resumes at " + event::describe(resume->position)});
  } else {
    const bool when_needed = pipeline.snapshot.mode == config::SnapshotMode::kWhenNeeded;
    report.resume_findings.push_back(
        {!when_needed, name,
         "cannot resume from " + event::describe(resume->position) + ": " + missing +
             (when_needed ? "; snapshot.mode when_needed takes a new snapshot"
                          : " (fix: snapshot.mode: when_needed, or tributary offsets reset "
                            "--config <file> --pipeline " +
                                name + " --snapshot)")});
  }
  return report;
}

Result<CurrentPosition> current_position(const config::PipelineConfig& pipeline, bool) {
  auto connected = Connection::connect(ConnectionOptions::from(pipeline.source));
  if (!connected) return connected.error();
  Connection& connection = **connected;
  auto identity = read_identity(connection);
  if (!identity) return identity.error();
  CurrentPosition current;
  current.identity = *identity;
  auto position = current_binlog_position(
      connection, identity->flavour == event::MysqlIdentity::Flavour::kMariadb);
  if (!position) return position.error();
  current.where = "the server's current binlog position " + event::describe(*position);
  current.position = std::move(*position);
  return current;
}

}  // namespace tributary::source::mysql
