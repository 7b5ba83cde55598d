// Valid configurations: defaults, derived defaults, every key, ${ENV}, password_file, example.
#include <catch2/catch.hpp>
#include <filesystem>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::kMinimal;
using testing::load;
using testing::message_at;
using testing::ScopedEnvironment;
using testing::TemporaryFile;

Config load_valid(const std::string& yaml) {
  LoadResult result = load(yaml);
  INFO(all_errors(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return *result.config;
}

TEST_CASE("minimal configuration gets the documented defaults", "[config]") {
  const Config config = load_valid(kMinimal);
  REQUIRE(config.pipelines.size() == 1);
  const PipelineConfig& pipeline = config.pipelines[0];
  const PipelineConfig expected;  // the defaults written in config.hpp must match the table

  CHECK(pipeline.name == "shop");
  CHECK(pipeline.source.type == SourceType::kPostgres);
  CHECK(pipeline.source.host == expected.source.host);
  CHECK(pipeline.source.port == 5432);
  CHECK(pipeline.source.database == "shop");
  CHECK(pipeline.source.user == "cdc");
  CHECK(pipeline.source.password.empty());
  CHECK(pipeline.source.password_file.empty());
  CHECK(pipeline.source.slot == "tributary_shop");
  CHECK(pipeline.source.publication == "tributary_shop");
  CHECK(pipeline.source.sslmode == expected.source.sslmode);
  CHECK(pipeline.source.connect_timeout_seconds == expected.source.connect_timeout_seconds);
  CHECK(pipeline.tables.include == expected.tables.include);
  CHECK(pipeline.tables.include == std::vector<std::string>{"public\\..*"});
  CHECK(pipeline.tables.exclude.empty());
  CHECK(pipeline.snapshot.mode == expected.snapshot.mode);
  CHECK(pipeline.snapshot.parallelism == expected.snapshot.parallelism);
  CHECK(pipeline.snapshot.fetch_size == expected.snapshot.fetch_size);
  CHECK(pipeline.topic_prefix == "shop");
  CHECK(pipeline.envelope.schemas == expected.envelope.schemas);
  CHECK(pipeline.envelope.tombstones_on_delete == expected.envelope.tombstones_on_delete);
  CHECK(pipeline.envelope.unavailable_value_placeholder ==
        expected.envelope.unavailable_value_placeholder);

  const Config defaults;
  CHECK(config.kafka.bootstrap_servers == "127.0.0.1:9092");
  CHECK(config.kafka.properties.empty());
  CHECK(config.kafka.batch.max_events == defaults.kafka.batch.max_events);
  CHECK(config.kafka.batch.max_bytes == defaults.kafka.batch.max_bytes);
  CHECK(config.kafka.batch.max_ms == defaults.kafka.batch.max_ms);
  CHECK(config.kafka.transactional_id_prefix == defaults.kafka.transactional_id_prefix);
  CHECK(config.kafka.transaction_timeout_ms == defaults.kafka.transaction_timeout_ms);
  CHECK(config.offsets.directory == defaults.offsets.directory);
  CHECK(config.offsets.topic == defaults.offsets.topic);
  CHECK(config.http.listen == defaults.http.listen);
  CHECK(config.log.level == defaults.log.level);
}

TEST_CASE("defaults derived from the pipeline name and source type", "[config]") {
  const Config config = load_valid(R"(
pipelines:
  - name: Shop-EU.v2
    source: {type: postgres, database: shop, user: cdc}
  - name: orders
    source: {type: mysql, database: orders, user: cdc, server_id: 5401}
kafka: {bootstrap_servers: "k:9092"}
)");
  CHECK(config.pipelines[0].source.slot == "tributary_shop_eu_v2");
  CHECK(config.pipelines[0].source.publication == "tributary_shop_eu_v2");
  CHECK(config.pipelines[0].topic_prefix == "Shop-EU.v2");
  CHECK(config.pipelines[0].source.port == 5432);
  CHECK(config.pipelines[1].source.type == SourceType::kMysql);
  CHECK(config.pipelines[1].source.port == 3306);
}

TEST_CASE("every key set explicitly", "[config]") {
  const Config config = load_valid(R"(
pipelines:
  - name: shop
    source:
      type: postgres
      host: db.internal
      port: 3307
      database: shop_db
      user: reader
      password: "s3cret"
      slot: custom_slot
      publication: custom_pub
      sslmode: verify-full
      connect_timeout_seconds: 30
    tables:
      include: ["public\\.orders", 'inventory\..*']
      exclude: [public\.tmp_.*]
    snapshot:
      mode: when_needed
      parallelism: 64
      fetch_size: 500
    topic_prefix: prod.shop
    envelope:
      schemas: false
      tombstones_on_delete: no
      unavailable_value_placeholder: "?"
kafka:
  bootstrap_servers: a:9092,b:9092
  properties:
    compression.type: zstd
    linger.ms: 5
    enable.ssl.certificate.verification: false
    socket.keepalive.enable: yes
    client.id: "yes"
  batch: {max_events: 1, max_bytes: 1024, max_ms: 1}
  transactional_id_prefix: ""
  transaction_timeout_ms: 900000
offsets:
  directory: /tmp/offsets
  topic: _offsets-1
http:
  listen: "[::1]:0"
log:
  level: trace
)");
  const PipelineConfig& p = config.pipelines.at(0);
  CHECK(p.source.type == SourceType::kPostgres);
  CHECK(p.source.host == "db.internal");
  CHECK(p.source.port == 3307);
  CHECK(p.source.database == "shop_db");
  CHECK(p.source.user == "reader");
  CHECK(p.source.password == "s3cret");
  CHECK(p.source.slot == "custom_slot");
  CHECK(p.source.publication == "custom_pub");
  CHECK(p.source.sslmode == "verify-full");
  CHECK(p.source.connect_timeout_seconds == 30);
  CHECK(p.tables.include == std::vector<std::string>{"public\\.orders", "inventory\\..*"});
  CHECK(p.tables.exclude == std::vector<std::string>{"public\\.tmp_.*"});
  CHECK(p.snapshot.mode == SnapshotMode::kWhenNeeded);
  CHECK(p.snapshot.parallelism == 64);
  CHECK(p.snapshot.fetch_size == 500);
  CHECK(p.topic_prefix == "prod.shop");
  CHECK_FALSE(p.envelope.schemas);
  CHECK_FALSE(p.envelope.tombstones_on_delete);
  CHECK(p.envelope.unavailable_value_placeholder == "?");
  CHECK(config.kafka.bootstrap_servers == "a:9092,b:9092");
  CHECK(config.kafka.properties == std::map<std::string, std::string>{
                                       {"client.id", "yes"},
                                       {"compression.type", "zstd"},
                                       {"enable.ssl.certificate.verification", "false"},
                                       {"linger.ms", "5"},
                                       {"socket.keepalive.enable", "true"},
                                   });
  CHECK(config.kafka.batch.max_events == 1);
  CHECK(config.kafka.batch.max_bytes == 1024);
  CHECK(config.kafka.batch.max_ms == 1);
  CHECK(config.kafka.transactional_id_prefix.empty());
  CHECK(config.kafka.transaction_timeout_ms == 900000);
  CHECK(config.offsets.directory == "/tmp/offsets");
  CHECK(config.offsets.topic == "_offsets-1");
  CHECK(config.http.listen == "[::1]:0");
  CHECK(config.log.level == "trace");
}

TEST_CASE("empty sections and an empty listen address", "[config]") {
  const Config config = load_valid(std::string(kMinimal) + R"(
offsets:
http:
  listen: ""
log: {}
)");
  CHECK(config.http.listen.empty());
  CHECK(config.offsets.directory == "/var/lib/tributary");
}

TEST_CASE("enum names come from the option table", "[config]") {
  CHECK(to_string(SourceType::kPostgres) == "postgres");
  CHECK(to_string(SourceType::kMysql) == "mysql");
  CHECK(to_string(SnapshotMode::kInitial) == "initial");
  CHECK(to_string(SnapshotMode::kNever) == "never");
  CHECK(to_string(SnapshotMode::kAlways) == "always");
  CHECK(to_string(SnapshotMode::kInitialOnly) == "initial_only");
  CHECK(to_string(SnapshotMode::kWhenNeeded) == "when_needed");
}

TEST_CASE("${NAME} expands from the environment in any scalar", "[config][env]") {
  ScopedEnvironment password("TRIBUTARY_TEST_PASSWORD", "pa$$ word");
  ScopedEnvironment region("TRIBUTARY_TEST_REGION", "eu-1");
  ScopedEnvironment port("TRIBUTARY_TEST_PORT", "6543");
  ScopedEnvironment empty("TRIBUTARY_TEST_EMPTY", "");
  const Config config = load_valid(R"(
pipelines:
  - name: shop
    source:
      type: postgres
      host: pg-${TRIBUTARY_TEST_REGION}.internal
      port: ${TRIBUTARY_TEST_PORT}
      database: shop${TRIBUTARY_TEST_EMPTY}
      user: cdc
      password: ${TRIBUTARY_TEST_PASSWORD}
    tables:
      include: ["${TRIBUTARY_TEST_REGION}\\..*"]
    envelope:
      unavailable_value_placeholder: "$${NOT_EXPANDED} and $$ and $"
kafka:
  bootstrap_servers: kafka-${TRIBUTARY_TEST_REGION}:9092
  properties:
    sasl.password: ${TRIBUTARY_TEST_PASSWORD}
)");
  const PipelineConfig& p = config.pipelines.at(0);
  CHECK(p.source.host == "pg-eu-1.internal");
  CHECK(p.source.port == 6543);
  CHECK(p.source.database == "shop");
  CHECK(p.source.password == "pa$$ word");  // values are not expanded again
  CHECK(p.tables.include == std::vector<std::string>{"eu-1\\..*"});
  CHECK(p.envelope.unavailable_value_placeholder == "${NOT_EXPANDED} and $$ and $");
  CHECK(config.kafka.bootstrap_servers == "kafka-eu-1:9092");
  CHECK(config.kafka.properties.at("sasl.password") == "pa$$ word");
}

TEST_CASE("password_file supplies the password, trailing newline removed", "[config][secret]") {
  TemporaryFile secret("hunter2\n");
  const Config config = load_valid(R"(
pipelines:
  - name: shop
    source:
      type: postgres
      database: shop
      user: cdc
      password_file: )" + secret.path() +
                                   R"(
kafka: {bootstrap_servers: "k:9092"}
)");
  CHECK(config.pipelines.at(0).source.password == "hunter2");
  CHECK(config.pipelines.at(0).source.password_file == secret.path());
}

TEST_CASE("password_file problems name the file, never its contents", "[config][secret]") {
  auto with_password_file = [](const std::string& path, const std::string& extra = "") {
    return R"(
pipelines:
  - name: shop
    source:
      type: postgres
      database: shop
      user: cdc
      password_file: ")" +
           path + "\"\n" + extra + R"(
kafka: {bootstrap_servers: "k:9092"}
)";
  };
  const std::string key = "pipelines[0].source.password_file";

  SECTION("missing file") {
    const LoadResult result = load(with_password_file("/nonexistent/tributary/pg"));
    CHECK_FALSE(result.config.has_value());
    CHECK(message_at(result, key) ==
          "cannot read password file '/nonexistent/tributary/pg': No such file or directory; "
          "check the path and that tributary's user may read it");
  }
  SECTION("a directory") {
    const std::string directory = std::filesystem::temp_directory_path().string();
    const LoadResult result = load(with_password_file(directory));
    CHECK(message_at(result, key) == "cannot read password file '" + directory +
                                         "': Is a directory; check the path and that "
                                         "tributary's user may read it");
  }
  SECTION("empty file") {
    TemporaryFile secret("\n");
    const LoadResult result = load(with_password_file(secret.path()));
    CHECK(message_at(result, key) ==
          "password file '" + secret.path() + "' is empty; write the password into it");
  }
  SECTION("both password and password_file") {
    TemporaryFile secret("hunter2\n");
    const LoadResult result = load(with_password_file(secret.path(), "      password: topsecret"));
    CHECK(message_at(result, key) == "is set together with 'password'; set only one of them");
    CHECK(all_errors(result).find("topsecret") == std::string::npos);
    CHECK(all_errors(result).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("the example config/tributary.yaml loads", "[config][example]") {
  ScopedEnvironment password("SHOP_PG_PASSWORD", "example-password");
  const LoadResult result = load_from_file(TRIBUTARY_SOURCE_DIR "/config/tributary.yaml");
  INFO(all_errors(result));
  REQUIRE(result.errors.empty());
  const Config& config = *result.config;
  REQUIRE(config.pipelines.size() == 1);
  CHECK(config.pipelines[0].name == "shop");
  CHECK(config.pipelines[0].source.password == "example-password");
  CHECK(config.pipelines[0].tables.include == std::vector<std::string>{"public\\..*"});
  CHECK(config.kafka.properties.at("linger.ms") == "5");
  REQUIRE(config.kafka.topics.overrides.size() == 1);
  CHECK(config.kafka.topics.overrides[0].match == "shop\\.public\\.orders");
  CHECK(config.kafka.topics.overrides[0].partitions == 12);
}

TEST_CASE("the example needs its environment variable", "[config][example]") {
  ScopedEnvironment password("SHOP_PG_PASSWORD", nullptr);
  const LoadResult result = load_from_file(TRIBUTARY_SOURCE_DIR "/config/tributary.yaml");
  CHECK(message_at(result, "pipelines[0].source.password") ==
        "uses environment variable 'SHOP_PG_PASSWORD', which is not set; set it in tributary's "
        "environment (e.g. systemd Environment= or EnvironmentFile=), or write '$${' for a "
        "literal '${'");
}

TEST_CASE("load_from_file names a file it cannot read", "[config]") {
  const LoadResult result = load_from_file("/nonexistent/tributary.yaml");
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].path.empty());
  CHECK(result.errors[0].message ==
        "cannot read configuration file '/nonexistent/tributary.yaml': No such file or "
        "directory; check the path (config/tributary.yaml is a commented example)");
}

}  // namespace
}  // namespace tributary::config
