// Read-only checks behind `tributary check`.
#include "app/preflight.hpp"

#include "checkpoint/checkpoint_store.hpp"
#include "sink/kafka/cluster_probe.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/pg_connection.hpp"
#include "source/postgres/slot_manager.hpp"

namespace tributary::app {
namespace {

using source::postgres::Catalog;
using source::postgres::PgConnection;

void check_postgres(const config::PipelineConfig& pipeline, const config::Config& config,
                    std::vector<Finding>& out) {
  auto problem = [&](std::string text) { out.push_back({true, pipeline.name, std::move(text)}); };
  auto fact = [&](std::string text) { out.push_back({false, pipeline.name, std::move(text)}); };
  const auto& source = pipeline.source;

  auto connection = PgConnection::connect(source, PgConnection::Mode::kNormal,
                                          "tributary-" + pipeline.name + "-check");
  if (!connection.ok()) return problem(connection.error().message);
  Catalog catalog(std::move(connection.value()));
  fact("connected to PostgreSQL " + source.host + ":" + std::to_string(source.port) + "/" +
       source.database + " as " + source.user);
  if (auto ok = source::postgres::check_prerequisites(catalog.connection(), source.user);
      !ok.ok()) {
    problem(ok.error().message);
  }

  source::postgres::TableFilter filter(pipeline.tables.include, pipeline.tables.exclude);
  auto tables = catalog.list_tables(filter);
  if (!tables.ok()) return problem(tables.error().message);
  if (tables->empty()) {
    problem("no table matches tables.include (anchored regexes on schema.table)");
  } else {
    fact(std::to_string(tables->size()) + " table(s) to capture");
  }
  for (const auto& table : *tables) {
    // Every unsupported column is reported, not only the first.
    auto schema = catalog.load_table_schema(table);
    if (!schema.ok()) problem(schema.error().message);
  }

  auto publication = catalog.connection().exec_params(
      "SELECT 1 FROM pg_publication WHERE pubname = $1", {source.publication});
  if (publication.ok() && PQntuples(publication->get()) == 0) {
    fact("publication " + source.publication +
         " does not exist yet: run creates it (needs "
         "ownership of the tables)");
  }
  auto slot = source::postgres::read_slot(catalog.connection(), source.slot);
  if (!slot.ok()) {
    problem(slot.error().message);
  } else if (!slot->exists) {
    fact("replication slot " + source.slot + " does not exist yet: run creates it");
  } else if (slot->plugin != "pgoutput") {
    problem("replication slot " + source.slot + " uses plugin " + slot->plugin +
            ", tributary needs pgoutput (fix: choose another source.slot, or drop this slot)");
  } else if (slot->active) {
    problem("replication slot " + source.slot +
            " is in use by another connection (another tributary instance?)");
  } else {
    fact("replication slot " + source.slot + " exists, confirmed up to " +
         event::format_lsn(slot->confirmed_flush_lsn));
  }

  auto replication = PgConnection::connect(source, PgConnection::Mode::kReplication,
                                           "tributary-" + pipeline.name + "-check");
  if (!replication.ok()) {
    problem("replication connection: " + replication.error().message);
  } else if (auto identified = (*replication)->exec("IDENTIFY_SYSTEM"); !identified.ok()) {
    problem("replication connection: " + identified.error().message);
  }

  checkpoint::CheckpointStore store(config.offsets.directory, pipeline.name);
  auto position = store.load();
  if (!position.ok()) {
    problem(position.error().message +
            " (run resumes from the offsets record in Kafka if there is one)");
  } else if (!*position) {
    fact("no checkpoint file " + store.path() + " yet");
  }
}

}  // namespace

std::vector<Finding> preflight(const config::Config& config) {
  std::vector<Finding> findings;
  for (const auto& pipeline : config.pipelines) {
    if (pipeline.source.type != config::SourceType::kPostgres) {
      findings.push_back({true, pipeline.name, "source.type mysql is not implemented yet"});
      continue;
    }
    check_postgres(pipeline, config, findings);
  }
  auto brokers = sink::probe_cluster(config.kafka.bootstrap_servers, config.kafka.properties,
                                     std::chrono::seconds(10));
  if (!brokers.ok()) {
    findings.push_back({true, "kafka", brokers.error().message});
  } else {
    findings.push_back({false, "kafka",
                        "reached Kafka at " + config.kafka.bootstrap_servers + " (" +
                            std::to_string(*brokers) + " broker(s))"});
  }
  return findings;
}

}  // namespace tributary::app
