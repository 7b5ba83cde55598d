// Every kind of configuration error: its key path, its exact message, and that all are collected.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::load;
using testing::message_at;
using testing::ScopedEnvironment;

/// A valid configuration plus extra lines: under `source:` (indent 6), under the pipeline
/// (indent 4), under `kafka:` (indent 2) and at the top level.
std::string config_with(const std::string& source_lines, const std::string& pipeline_lines = "",
                        const std::string& kafka_lines = "", const std::string& root_lines = "") {
  return "pipelines:\n"
         "  - name: shop\n"
         "    source:\n"
         "      type: postgres\n"
         "      database: shop\n"
         "      user: cdc\n" +
         source_lines + pipeline_lines +
         "kafka:\n"
         "  bootstrap_servers: 127.0.0.1:9092\n" +
         kafka_lines + root_lines;
}

TEST_CASE("scalar values of the wrong type", "[config][errors]") {
  SECTION("integer") {
    const LoadResult result = load(config_with("      port: abc\n"));
    CHECK_FALSE(result.config.has_value());
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].path == "pipelines[0].source.port");
    CHECK(result.errors[0].message == "must be an integer between 1 and 65535, got 'abc'");
    CHECK(result.errors[0].line == 7);
    CHECK(result.errors[0].column == 13);
    CHECK(result.errors[0].to_string() ==
          "pipelines[0].source.port: must be an integer between 1 and 65535, got 'abc' "
          "(line 7, column 13)");
  }
  SECTION("integer out of range, and not a decimal") {
    CHECK(message_at(load(config_with("      port: 70000\n")), "pipelines[0].source.port") ==
          "must be an integer between 1 and 65535, got '70000'");
    CHECK(message_at(load(config_with("      port: 5432.0\n")), "pipelines[0].source.port") ==
          "must be an integer between 1 and 65535, got '5432.0'");
    CHECK(message_at(load(config_with("", "    snapshot: {parallelism: 0}\n")),
                     "pipelines[0].snapshot.parallelism") ==
          "must be an integer between 1 and 64, got '0'");
  }
  SECTION("batch bounds") {
    const LoadResult result =
        load(config_with("", "", "  batch: {max_events: 0, max_bytes: 1023, max_ms: -5}\n"));
    CHECK(message_at(result, "kafka.batch.max_events") ==
          "must be an integer between 1 and 10000000, got '0'");
    CHECK(message_at(result, "kafka.batch.max_bytes") ==
          "must be an integer between 1024 and 2147483647, got '1023'");
    CHECK(message_at(result, "kafka.batch.max_ms") ==
          "must be an integer between 1 and 3600000, got '-5'");
    CHECK(result.errors.size() == 3);
  }
  SECTION("boolean") {
    CHECK(message_at(load(config_with("", "    envelope: {schemas: maybe}\n")),
                     "pipelines[0].envelope.schemas") == "must be true or false, got 'maybe'");
  }
  SECTION("enum, with a suggestion") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: shop\n"
        "    source: {type: postgress, database: shop, user: cdc}\n"
        "    snapshot: {mode: sometimes}\n"
        "kafka: {bootstrap_servers: k}\n"
        "log: {level: INFO}\n");
    CHECK(message_at(result, "pipelines[0].source.type") ==
          "must be one of 'postgres' or 'mysql', got 'postgress'; did you mean 'postgres'?");
    CHECK(message_at(result, "pipelines[0].snapshot.mode") ==
          "must be one of 'initial', 'never', 'always', 'initial_only' or 'when_needed', got "
          "'sometimes'");
    CHECK(message_at(result, "log.level") ==
          "must be one of 'trace', 'debug', 'info', 'warn' or 'error', got 'INFO'; did you mean "
          "'info'?");
  }
  SECTION("a key with no value") {
    const LoadResult result = load(config_with("      port:\n      host: ~\n"));
    CHECK(message_at(result, "pipelines[0].source.port") ==
          "has no value; set one, or remove the key to use the default");
    CHECK(message_at(result, "pipelines[0].source.host") ==
          "has no value; set one (write '' for an empty string), or remove the key to use the "
          "default");
  }
  SECTION("empty required strings") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: shop\n"
        "    source: {type: postgres, database: '', user: \"\"}\n"
        "kafka: {bootstrap_servers: ''}\n");
    CHECK(message_at(result, "pipelines[0].source.database") == "must not be empty, got ''");
    CHECK(message_at(result, "pipelines[0].source.user") == "must not be empty, got ''");
    CHECK(message_at(result, "kafka.bootstrap_servers") ==
          "must be a comma-separated list of host:port, e.g. 'kafka1:9092,kafka2:9092', got ''");
  }
}

TEST_CASE("values that break a rule of their key", "[config][errors]") {
  SECTION("slot and publication names") {
    const LoadResult result =
        load(config_with("      slot: Tributary-Shop\n      publication: \"pub lication\"\n"));
    CHECK(message_at(result, "pipelines[0].source.slot") ==
          "must be 1 to 63 lowercase letters, digits or '_' (PostgreSQL's rule for replication "
          "slot names), got 'Tributary-Shop'");
    CHECK(message_at(result, "pipelines[0].source.publication") ==
          "must be 1 to 63 lowercase letters, digits or '_' (an unquoted PostgreSQL "
          "identifier), got 'pub lication'");
  }
  SECTION("pipeline name") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: shop/eu\n"
        "    source: {type: postgres, database: shop, user: cdc}\n"
        "kafka: {bootstrap_servers: k}\n");
    CHECK(message_at(result, "pipelines[0].name") ==
          "must be 1 to 100 letters, digits, '_', '.' or '-' (it names the checkpoint file and "
          "the Kafka transactional.id), got 'shop/eu'");
    // The derived slot, publication and topic prefix are not reported on top of it.
    CHECK(result.errors.size() == 1);
  }
  SECTION("topic prefix and offsets topic") {
    const LoadResult result =
        load(config_with("", "    topic_prefix: shop/eu\n", "", "offsets: {topic: ..}\n"));
    CHECK(message_at(result, "pipelines[0].topic_prefix") ==
          "must be 1 to 200 letters, digits, '.', '_' or '-' (the characters Kafka allows in "
          "topic names; topics are '<topic_prefix>.<schema>.<table>'), got 'shop/eu'");
    CHECK(message_at(result, "offsets.topic") ==
          "must be a legal Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-', and not "
          "'.' or '..', got '..'");
  }
  SECTION("a derived default that does not work") {
    const std::string long_name(60, 'a');
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: " +
        long_name +
        "\n"
        "    source: {type: postgres, database: shop, user: cdc, publication: pub}\n"
        "kafka: {bootstrap_servers: k}\n");
    CHECK(message_at(result, "pipelines[0].source.slot") ==
          "the default 'tributary_" + long_name +
              "' derived from 'name' does not work: it must be 1 to 63 lowercase letters, digits "
              "or '_' (PostgreSQL's rule for replication slot names); set 'slot' explicitly");
    CHECK(result.errors.size() == 1);
  }
  SECTION("table patterns") {
    const LoadResult result =
        load(config_with("",
                         "    tables:\n      include: [\"public\\\\.(orders\"]\n"
                         "      exclude: [ok, \"[a-\"]\n"));
    const std::string include = message_at(result, "pipelines[0].tables.include[0]");
    CHECK(include ==
          "must be a valid ECMAScript regular expression: it has a '(' without its ')' at offset "
          "8; close the group, or write '\\(' for a literal '(', got 'public\\.(orders'");
    CHECK(message_at(result, "pipelines[0].tables.exclude[1]") ==
          "must be a valid ECMAScript regular expression: it has a '[' without its ']' at offset "
          "0; close the set, or write '\\[' for a literal '[', got '[a-'");
  }
  SECTION("include needs at least one pattern") {
    CHECK(message_at(load(config_with("", "    tables: {include: []}\n")),
                     "pipelines[0].tables.include") ==
          "must list at least 1 pattern, e.g. [\"public\\\\..*\"]");
  }
  SECTION("listen address") {
    CHECK(message_at(load(config_with("", "", "", "http: {listen: localhost}\n")), "http.listen") ==
          "must be host:port with a port from 0 to 65535 (0 picks a free port; IPv6 as "
          "'[::1]:9187'), or '' to disable the endpoint, got 'localhost'");
    CHECK(message_at(load(config_with("", "", "", "http: {listen: 'h:65536'}\n")), "http.listen")
              .find("got 'h:65536'") != std::string::npos);
    CHECK(load(config_with("", "", "", "http: {listen: '0.0.0.0:0'}\n")).errors.empty());
  }
}

TEST_CASE("unknown keys", "[config][errors]") {
  SECTION("close to a known key") {
    const LoadResult result =
        load(config_with("      prot: 5432\n", "", "  bootstrap_server: x\n"));
    CHECK(message_at(result, "pipelines[0].source.prot") ==
          "unknown key 'prot'; did you mean 'port'?");
    CHECK(message_at(result, "kafka.bootstrap_server") ==
          "unknown key 'bootstrap_server'; did you mean 'bootstrap_servers'?");
    CHECK(result.errors.size() == 2);
  }
  SECTION("at the wrong depth") {
    CHECK(message_at(load(config_with("", "    port: 5432\n")), "pipelines[0].port") ==
          "unknown key 'port'; did you mean 'source.port'? ('port' belongs under 'source')");
  }
  SECTION("dotted instead of nested") {
    CHECK(message_at(load(config_with("", "", "", "kafka.batch.max_ms: 5\n")),
                     "kafka.batch.max_ms") ==
          "unknown key 'kafka.batch.max_ms'; dotted keys are not expanded, nest the keys instead "
          "(write 'kafka.batch:' and below it 'max_ms:')");
  }
  SECTION("nothing close") {
    CHECK(message_at(load(config_with("", "", "", "metrics: {}\n")), "metrics") ==
          "unknown key 'metrics'; valid keys here are: pipelines, kafka, offsets, http, shutdown, "
          "log");
  }
  SECTION("YAML merge keys") {
    CHECK(message_at(load(config_with("      <<: {port: 1}\n")), "pipelines[0].source.<<") ==
          "unknown key '<<'; YAML merge keys are not supported, write the keys out");
  }
  SECTION("a key given twice") {
    CHECK(message_at(load(config_with("      user: other\n")), "pipelines[0].source.user") ==
          "is given more than once in the same map; keep one");
  }
}

TEST_CASE("missing required keys", "[config][errors]") {
  SECTION("empty document") {
    const LoadResult result = load("");
    CHECK(message_at(result, "pipelines") ==
          "is required but missing; add 'pipelines: [{name: shop, source: {type: postgres, "
          "database: shop, user: cdc}}]'");
    CHECK(message_at(result, "kafka.bootstrap_servers") ==
          "is required but missing; add 'bootstrap_servers: 127.0.0.1:9092' under 'kafka'");
    CHECK(result.errors.size() == 2);
  }
  SECTION("inside a pipeline") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - snapshot: {mode: never}\n"
        "  - name: b\n"
        "    source: {}\n"
        "kafka: {}\n");
    CHECK(message_at(result, "pipelines[0].name") ==
          "is required but missing; add 'name: shop' under 'pipelines[0]'");
    CHECK(message_at(result, "pipelines[0].source.type") ==
          "is required but missing; add 'type: postgres' under 'pipelines[0].source'");
    CHECK(message_at(result, "pipelines[0].source.database") ==
          "is required for type postgres but missing; add 'database: shop' under "
          "'pipelines[0].source'");
    CHECK(message_at(result, "pipelines[0].source.user") ==
          "is required but missing; add 'user: cdc' under 'pipelines[0].source'");
    CHECK(message_at(result, "pipelines[1].source.type") ==
          "is required but missing; add 'type: postgres' under 'pipelines[1].source'");
    CHECK(message_at(result, "kafka.bootstrap_servers") ==
          "is required but missing; add 'bootstrap_servers: 127.0.0.1:9092' under 'kafka'");
    CHECK(result.errors.size() == 8);
    // Missing keys point at the map they belong in.
    for (const auto& error : result.errors) {
      if (error.path == "pipelines[1].source.user") CHECK(error.line == 4);
    }
  }
  SECTION("an empty pipeline list") {
    CHECK(message_at(load("pipelines: []\nkafka: {bootstrap_servers: k}\n"), "pipelines") ==
          "must list at least one pipeline, e.g. 'pipelines: [{name: shop, source: {type: "
          "postgres, database: shop, user: cdc}}]'");
  }
}

TEST_CASE("YAML node of the wrong kind", "[config][errors]") {
  SECTION("sections and lists") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: shop\n"
        "    source: [postgres]\n"
        "    tables: {include: public.orders}\n"
        "  - just a string\n"
        "kafka: {bootstrap_servers: [a, b], properties: [acks]}\n"
        "log: debug\n");
    CHECK(message_at(result, "pipelines[0].source") ==
          "must be a map of keys ('key: value' lines indented below it), got a list");
    CHECK(message_at(result, "pipelines[0].tables.include") ==
          "must be a list of strings, e.g. [\"a\", \"b\"], got a single value");
    CHECK(message_at(result, "pipelines[1]") ==
          "each pipeline must be a map of keys (name, source, tables, ...), got a single value");
    CHECK(message_at(result, "kafka.bootstrap_servers") == "must be a single value, got a list");
    CHECK(message_at(result, "kafka.properties") ==
          "must be a map of 'key: value' pairs, got a list");
    CHECK(message_at(result, "log") ==
          "must be a map of keys ('key: value' lines indented below it), got a single value");
    // Keys below a section of the wrong kind are not also reported missing.
    CHECK(result.errors.size() == 6);
  }
  SECTION("pipelines is not a list") {
    CHECK(message_at(load("pipelines: {name: shop}\nkafka: {bootstrap_servers: k}\n"),
                     "pipelines") == "must be a list ('- ' entries indented below it), got a map");
  }
  SECTION("the document is not a map") {
    const LoadResult result = load("- pipelines\n");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message ==
          "the top level of test.yaml must be a map of keys (pipelines, kafka, ...), got a list");
  }
  SECTION("a list element that is not a string") {
    CHECK(message_at(load(config_with("", "    tables: {exclude: [{a: b}]}\n")),
                     "pipelines[0].tables.exclude[0]") == "must be a string, got a map");
  }
}

TEST_CASE("YAML syntax errors give line and column", "[config][errors]") {
  const LoadResult result = load(
      "pipelines:\n"
      "  - name: shop\n"
      "    source: {type: postgres\n"
      "kafka: {}\n");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].path.empty());
  CHECK(result.errors[0].line == 4);
  CHECK(result.errors[0].message ==
        "invalid YAML in test.yaml at line 4, column 6: end of map flow not found; fix the "
        "syntax (check indentation, quoting and ':' after keys)");
}

TEST_CASE("more than one YAML document", "[config][errors]") {
  const LoadResult result = load(std::string(testing::kMinimal) + "---\nlog: {level: debug}\n");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].message ==
        "test.yaml holds 2 YAML documents (separated by '---'); keep only one");
}

TEST_CASE("environment variable errors name the key and the variable", "[config][env]") {
  ScopedEnvironment unset("TRIBUTARY_TEST_UNSET", nullptr);
  SECTION("unset") {
    CHECK(message_at(load(config_with("      host: db-${TRIBUTARY_TEST_UNSET}.local\n")),
                     "pipelines[0].source.host") ==
          "uses environment variable 'TRIBUTARY_TEST_UNSET', which is not set; set it in "
          "tributary's environment (e.g. systemd Environment= or EnvironmentFile=), or write "
          "'$${' for a literal '${'");
  }
  SECTION("unterminated") {
    CHECK(message_at(load(config_with("      host: db-${HOST\n")), "pipelines[0].source.host") ==
          "has a '${' without a closing '}'; close it, or write '$${' for a literal '${'");
  }
  SECTION("not a name; the text is not echoed because it may be a secret") {
    const LoadResult result = load(config_with("      password: \"x${my secret}y\"\n"));
    CHECK(message_at(result, "pipelines[0].source.password") ==
          "has a '${...}' that is not a variable name (letters, digits and '_', not starting "
          "with a digit); fix the name, or write '$${' for a literal '${'");
    CHECK(all_errors(result).find("secret") == std::string::npos);
  }
  SECTION("in a list element and in a property") {
    const LoadResult result =
        load(config_with("", "    tables: {include: [\"${TRIBUTARY_TEST_UNSET}\"]}\n",
                         "  properties: {sasl.password: \"${TRIBUTARY_TEST_UNSET}\"}\n"));
    CHECK_THAT(message_at(result, "pipelines[0].tables.include[0]"),
               Catch::StartsWith("uses environment variable 'TRIBUTARY_TEST_UNSET'"));
    CHECK_THAT(message_at(result, "kafka.properties.sasl.password"),
               Catch::StartsWith("uses environment variable 'TRIBUTARY_TEST_UNSET'"));
  }
}

TEST_CASE("secrets never appear in messages", "[config][secret]") {
  ScopedEnvironment password("TRIBUTARY_TEST_SECRET", "correct-horse-battery");
  const LoadResult result =
      load(config_with("      password: ${TRIBUTARY_TEST_SECRET}\n      port: nope\n", "",
                       "  properties:\n"
                       "    sasl.password: hunter2-battery\n"
                       "    ssl.key.password: [hunter3]\n"
                       "    sasl.username:\n"));
  CHECK(message_at(result, "kafka.properties.ssl.key.password") ==
        "must be a string, number or boolean (librdkafka takes text), got a list");
  CHECK(message_at(result, "kafka.properties.sasl.username") ==
        "has no value; set one, or remove the key");
  const std::string text = all_errors(result);
  CHECK(text.find("correct-horse") == std::string::npos);
  CHECK(text.find("hunter") == std::string::npos);
}

TEST_CASE("checks across keys", "[config][errors]") {
  SECTION("duplicate pipeline names") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - {name: shop, source: {type: postgres, database: a, user: u}}\n"
        "  - {name: other, source: {type: postgres, database: b, user: u}}\n"
        "  - {name: shop, source: {type: postgres, database: c, user: u}}\n"
        "kafka: {bootstrap_servers: k}\n");
    CHECK(message_at(result, "pipelines[2].name") ==
          "duplicate pipeline name 'shop' (also pipelines[0].name); names must be unique because "
          "they key the checkpoint file and the Kafka transactional.id");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 4);
  }
  SECTION("duplicate slots on the same database") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - {name: a, source: {type: postgres, database: shop, user: u, slot: s}}\n"
        "  - {name: b, source: {type: postgres, database: shop, user: u, slot: s}}\n"
        "  - {name: c, source: {type: postgres, database: other, user: u, slot: s}}\n"
        "  - {name: d, source: {type: postgres, host: h2, database: shop, user: u, slot: s}}\n"
        "  - {name: e-f, source: {type: postgres, database: shop, user: u}}\n"
        "  - {name: e.f, source: {type: postgres, database: shop, user: u}}\n"
        "kafka: {bootstrap_servers: k}\n");
    CHECK(message_at(result, "pipelines[1].source.slot") ==
          "replication slot 's' is also used by pipelines[0] on the same database "
          "(127.0.0.1:5432/shop); two pipelines cannot share a slot, set a different 'slot' on "
          "one of them");
    CHECK(message_at(result, "pipelines[5].source.slot") ==
          "replication slot 'tributary_e_f' is also used by pipelines[4] on the same database "
          "(127.0.0.1:5432/shop); two pipelines cannot share a slot, set a different 'slot' on "
          "one of them");
    CHECK(result.errors.size() == 2);
  }
  SECTION("batch time within the transaction timeout") {
    CHECK(
        message_at(load(config_with("", "", "  batch: {max_ms: 60000}\n")), "kafka.batch.max_ms") ==
        "must be less than kafka.transaction_timeout_ms (60000), got '60000'; lower it or "
        "raise the transaction timeout");
  }
  SECTION("properties tributary sets itself") {
    const LoadResult result = load(config_with(
        "", "", "  properties: {transactional.id: x, bootstrap.servers: y, acks: all}\n"));
    CHECK(message_at(result, "kafka.properties.transactional.id") ==
          "is set by tributary; tributary sets it per pipeline; set "
          "kafka.transactional_id_prefix instead");
    CHECK(message_at(result, "kafka.properties.bootstrap.servers") ==
          "is set by tributary; set kafka.bootstrap_servers instead");
    CHECK(result.errors.size() == 2);
  }
}

TEST_CASE("every error is collected in one pass", "[config][errors]") {
  const LoadResult result = load(
      "pipelines:\n"
      "  - name: shop\n"
      "    source: {type: oracle, database: shop, user: cdc, port: x}\n"
      "    snapshot: {parallelism: 100, mode: never, fetchsize: 3}\n"
      "  - name: shop\n"
      "    source: {type: postgres, user: cdc}\n"
      "kafka: {batch: {max_events: 0}}\n"
      "log: {level: loud}\n");
  CHECK_FALSE(result.config.has_value());
  INFO(all_errors(result));
  CHECK(result.errors.size() == 9);
  for (const char* path :
       {"pipelines[0].source.type", "pipelines[0].source.port", "pipelines[0].snapshot.parallelism",
        "pipelines[0].snapshot.fetchsize", "pipelines[1].source.database", "pipelines[1].name",
        "kafka.bootstrap_servers", "kafka.batch.max_events", "log.level"}) {
    CHECK_THAT(message_at(result, path), !Catch::StartsWith("<"));
  }
}

}  // namespace
}  // namespace tributary::config
