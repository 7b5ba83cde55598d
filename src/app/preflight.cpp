// Read-only checks behind `tributary check`.
#include "app/preflight.hpp"

#include <algorithm>

#include "app/local_checks.hpp"
#include "app/offsets_command.hpp"
#include "app/topics.hpp"
#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/resume_check.hpp"
#include "sink/kafka/topic_admin.hpp"
#include "source/postgres/catalog.hpp"
#include "source/postgres/pg_connection.hpp"
#include "source/postgres/server_identity.hpp"
#include "source/postgres/slot_manager.hpp"

namespace tributary::app {
namespace {

using source::postgres::Catalog;
using source::postgres::PgConnection;

/// Appends to `topics` the data topic of every table the pipeline would capture.
void check_postgres(const config::PipelineConfig& pipeline, const config::Config& config,
                    std::vector<Finding>& out, std::vector<std::string>& topics) {
  auto problem = [&](std::string text) { out.push_back({true, pipeline.name, std::move(text)}); };
  auto fact = [&](std::string text) { out.push_back({false, pipeline.name, std::move(text)}); };
  const auto& source = pipeline.source;

  auto connection = PgConnection::connect(source, PgConnection::Mode::kNormal,
                                          "tributary-" + pipeline.name + "-check");
  if (!connection.ok()) return problem(connection.error().message);
  Catalog catalog(std::move(connection.value()));
  catalog.set_unsupported_columns(pipeline.tables.unsupported_columns);
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
    topics.push_back(data_topic(pipeline, table));
    // Every unsupported column is reported, not only the first.
    auto schema = catalog.load_table_schema(table);
    if (!schema.ok()) {
      problem(schema.error().message);
      continue;
    }
    for (const auto& column : (*schema)->columns) {
      if (!column.omitted) continue;
      fact("column " + table.qualified() + "." + column.name + " has type " +
           column.type.source_name +
           ", which tributary cannot encode: it will be left out of the events "
           "(tables.unsupported_columns: skip; set it to fail to stop instead)");
    }
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
  std::optional<checkpoint::ServerState> server;
  if (!replication.ok()) {
    problem("replication connection: " + replication.error().message);
  } else if (auto identified = source::postgres::identify_server(**replication, source.slot);
             !identified.ok()) {
    problem("replication connection: " + identified.error().message);
  } else {
    server = std::move(*identified);
    fact("server: " + checkpoint::describe(server->identity) + ", WAL up to " +
         event::format_lsn(server->wal_end));
  }

  // The position run would resume from, and whether this server can resume from it.
  const RecordedPositions recorded =
      read_recorded_positions(config, pipeline, std::chrono::seconds(10));
  checkpoint::CheckpointStore store(config.offsets.directory, pipeline.name);
  if (recorded.file_error) {
    problem(recorded.file_error->message +
            " (run resumes from the offsets record in Kafka if there is one)");
  } else if (!recorded.file) {
    fact("no checkpoint file " + store.path() + " yet");
  }
  if (recorded.kafka_error) {
    if (recorded.kafka_error->kind == ErrorKind::kCorrupt) {
      problem(recorded.kafka_error->message);
    } else {
      fact("the offsets record in Kafka was not read (" + recorded.kafka_error->message + ")");
    }
  }
  std::optional<checkpoint::PositionRecord> resume;
  std::string resume_from;
  if (recorded.file && recorded.kafka) {
    const auto& file = *recorded.file;
    const auto& kafka = *recorded.kafka;
    if (file.epoch == kafka.epoch && file.source && kafka.source &&
        !checkpoint::same_source(*file.source, *kafka.source)) {
      problem("checkpoint file " + store.path() +
              " and the offsets record in Kafka were recorded from different sources (file: " +
              checkpoint::describe(*file.source) +
              "; Kafka: " + checkpoint::describe(*kafka.source) +
              ") (fix: give each deployment its own pipeline name or offsets.topic, or " +
              checkpoint::reset_hint(pipeline.name) + ")");
    }
    const bool file_wins = &checkpoint::further(file, kafka) == &file;
    resume = file_wins ? file : kafka;
    resume_from = file_wins ? "the checkpoint file" : "the offsets record in Kafka";
  } else if (recorded.file) {
    resume = recorded.file;
    resume_from = "the checkpoint file";
  } else if (recorded.kafka) {
    resume = recorded.kafka;
    resume_from = "the offsets record in Kafka";
  }
  if (!resume) return;
  fact("run resumes from " + resume_from + ": " + checkpoint::record_to_json_as_read(*resume));
  if (resume->position.snapshot_completed && resume->tables) {
    for (const auto& table : *tables) {
      if (event::find_table(*resume->tables, table) != nullptr) continue;
      fact("table " + table.qualified() + " joins the capture set on the next start (it is not " +
           "in the recorded set): " +
           (pipeline.snapshot.mode == config::SnapshotMode::kNever
                ? "its existing rows are not emitted (snapshot.mode never), its changes are"
                : "its rows will be snapshotted (op r), then its changes") +
           " streamed");
    }
  }
  if (!server) return;
  auto checked = checkpoint::check_resume(*resume, *server);
  if (!checked.ok()) return problem(checked.error().message);
  if (!checked->empty()) fact(*checked);
  // As run decides: the slot is streamed from (not recreated by a snapshot) once one completed.
  const bool streams_from_slot = resume->position.snapshot_completed &&
                                 pipeline.snapshot.mode != config::SnapshotMode::kAlways;
  if (slot.ok() && slot->exists && streams_from_slot) {
    if (auto ok = checkpoint::check_slot(*resume, source.slot, slot->confirmed_flush_lsn);
        !ok.ok()) {
      problem(ok.error().message);
    }
  }
}

/// An integer broker setting, or -1 when absent or not a number.
int broker_setting(const std::map<std::string, std::string>& configs, const std::string& name) {
  auto found = configs.find(name);
  if (found == configs.end()) return -1;
  try {
    return std::stoi(found->second);
  } catch (const std::exception&) {
    return -1;
  }
}

/// Reachability, the topics run needs, the offsets topic's cleanup policy, and the brokers'
/// transaction state log settings against the number of brokers. Metadata and DescribeConfigs
/// only: nothing is created, and no transactional producer is made.
void check_kafka(const config::Config& config, std::vector<std::string> topics,
                 std::vector<Finding>& out) {
  auto problem = [&](std::string text) { out.push_back({true, "kafka", std::move(text)}); };
  auto fact = [&](std::string text) { out.push_back({false, "kafka", std::move(text)}); };
  const std::string& servers = config.kafka.bootstrap_servers;
  constexpr auto kTimeout = std::chrono::seconds(10);
  auto admin =
      sink::TopicAdmin::create(servers, config.kafka.properties, "tributary-check", /*quiet*/ "");
  if (!admin.ok()) return problem(admin.error().message);
  auto cluster = (*admin)->describe_cluster(kTimeout);
  if (!cluster.ok()) return problem(cluster.error().message);
  const int brokers = static_cast<int>(cluster->broker_ids.size());
  fact("reached Kafka at " + servers + " (" + std::to_string(brokers) + " broker(s))");

  const sink::TopicPolicy policy = topic_policy(config);
  const std::string& offsets_topic = config.offsets.topic;
  topics.push_back(offsets_topic);
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  for (const auto& topic : topics) {
    if (cluster->topics.count(topic) > 0) continue;
    const sink::TopicSettings settings = policy.settings_for(topic);
    if (!policy.create()) {
      problem("topic " + topic +
              " does not exist and kafka.topics.create is false (fix: create it: " +
              sink::create_topic_command(servers, topic, settings) +
              ", or set kafka.topics.create: true)");
    } else if (settings.replication_factor > brokers) {
      problem("topic " + topic +
              " does not exist, and run cannot create it with replication "
              "factor " +
              std::to_string(settings.replication_factor) + ": the cluster has " +
              std::to_string(brokers) +
              " broker(s) (fix: set kafka.topics.replication_factor, "
              "or the matching override's, to at most " +
              std::to_string(brokers) + ", or -1 for the broker's default)");
    } else {
      fact("topic " + topic + " does not exist yet: run creates it (" +
           sink::describe_settings(settings) + ")");
    }
  }

  if (cluster->topics.count(offsets_topic) > 0) {
    auto configs = (*admin)->topic_config(offsets_topic, kTimeout);
    if (!configs.ok()) {
      // Not knowing is no fault of the deployment (an ACL, or a cluster without DescribeConfigs).
      fact("cannot tell whether offsets topic " + offsets_topic +
           " is compacted: " + configs.error().message);
    } else {
      auto found = configs->find("cleanup.policy");
      const std::string cleanup = found == configs->end() ? "delete" : found->second;
      if (cleanup != "compact") {
        problem("offsets topic " + offsets_topic + " has cleanup.policy=" + cleanup +
                ", not compact: Kafka deletes offsets records once they are older than the "
                "topic's retention, and a pipeline whose checkpoint file is lost then starts over "
                "(fix: kafka-configs.sh --bootstrap-server " +
                servers + " --alter --entity-type topics --entity-name " + offsets_topic +
                " --add-config cleanup.policy=compact)");
      } else {
        fact("offsets topic " + offsets_topic + " is compacted");
      }
    }
  }

  if (cluster->broker_ids.empty()) return;
  const int32_t broker = cluster->broker_ids.front();
  auto configs = (*admin)->broker_config(broker, kTimeout);
  if (!configs.ok()) {
    return fact("cannot read the brokers' transaction.state.log settings: " +
                configs.error().message);
  }
  const std::string count = std::to_string(brokers) + " broker(s)";
  const int replication = broker_setting(*configs, "transaction.state.log.replication.factor");
  // Once the transaction state topic exists its replication is settled; the setting only
  // matters for creating it, on the first transaction.
  if (replication > brokers && cluster->topics.count("__transaction_state") == 0) {
    problem("broker " + std::to_string(broker) + " has transaction.state.log.replication.factor=" +
            std::to_string(replication) + " but the cluster has " + count +
            ": Kafka cannot create its transaction state topic, so every transaction would hang "
            "(fix: set transaction.state.log.replication.factor to at most " +
            std::to_string(brokers) +
            " in the brokers' configuration and restart them, or add brokers)");
  }
  const int min_isr = broker_setting(*configs, "transaction.state.log.min.isr");
  if (min_isr > brokers) {
    problem("broker " + std::to_string(broker) + " has transaction.state.log.min.isr=" +
            std::to_string(min_isr) + " but the cluster has " + count +
            ": writes to the transaction state log fail, so no transaction can commit (fix: set "
            "transaction.state.log.min.isr to at most " +
            std::to_string(brokers) +
            " in the brokers' configuration and restart them, or add brokers)");
  }
}

}  // namespace

std::vector<Finding> preflight(const config::Config& config) {
  std::vector<Finding> findings = local_checks(config);
  std::vector<std::string> topics;
  for (const auto& pipeline : config.pipelines) {
    if (pipeline.source.type != config::SourceType::kPostgres) {
      findings.push_back({true, pipeline.name, "source.type mysql is not implemented yet"});
      continue;
    }
    check_postgres(pipeline, config, findings, topics);
  }
  check_kafka(config, std::move(topics), findings);
  return findings;
}

}  // namespace tributary::app
