// HealthState: readiness rules and status JSON.
#include "metrics/health.hpp"

#include <catch2/catch.hpp>
#include <string>

using tributary::metrics::HealthState;

TEST_CASE("not ready without pipelines", "[health]") {
  HealthState health;
  std::string why;
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "no pipeline started");
  CHECK_FALSE(health.ready());
}

TEST_CASE("ready needs source, kafka and snapshotting or streaming", "[health]") {
  HealthState health;
  std::string why;
  health.set_source_connected("p1", true);
  CHECK_FALSE(health.ready(&why));
  CHECK(why.find("pipeline 'p1': kafka not connected") != std::string::npos);
  CHECK(why.find("not snapshotting or streaming") != std::string::npos);

  health.set_kafka_connected("p1", true);
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'p1': not snapshotting or streaming yet");

  health.set_snapshotting("p1", true);
  CHECK(health.ready(&why));
  CHECK(why.empty());

  health.set_streaming("p1", true);
  CHECK(health.ready());
  CHECK(health.status_json().find(R"("state":"streaming")") != std::string::npos);

  health.set_source_connected("p1", false);
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'p1': source not connected");
  health.set_source_connected("p1", true);
  CHECK(health.ready());

  health.set_streaming("p1", false);
  CHECK_FALSE(health.ready());
}

TEST_CASE("every pipeline must be ready, failure and shutdown are reported", "[health]") {
  HealthState health;
  for (const char* p : {"a", "b"}) {
    health.set_source_connected(p, true);
    health.set_kafka_connected(p, true);
    health.set_streaming(p, true);
  }
  CHECK(health.ready());

  health.set_failed("b", "slot \"tributary_b\" was dropped");
  std::string why;
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'b': failed: slot \"tributary_b\" was dropped");

  const auto json = health.status_json();
  INFO(json);
  CHECK(json.rfind(R"({"ready":false,"shutting_down":false,"pipelines":{"a":{"state":"streaming")",
                   0) == 0);
  CHECK(json.find(R"("b":{"state":"failed","source_connected":true,"kafka_connected":true,)"
                  R"("error":"slot \"tributary_b\" was dropped",)") != std::string::npos);

  health.set_shutting_down();
  CHECK_FALSE(health.ready(&why));
  CHECK(why.rfind("shutting down; ", 0) == 0);
}

TEST_CASE("a registered pipeline is reported with what it waits for", "[health]") {
  HealthState health;
  health.register_pipeline("shop");
  std::string why;
  CHECK_FALSE(health.ready(&why));
  CHECK(why ==
        "pipeline 'shop': source not connected; pipeline 'shop': kafka not connected; "
        "pipeline 'shop': not snapshotting or streaming yet");
  health.set_waiting_for("shop", "kafka not reachable at k1:9092: Connection refused");
  CHECK_FALSE(health.ready(&why));
  CHECK(why == "pipeline 'shop': kafka not reachable at k1:9092: Connection refused");
  CHECK(health.status_json().find(
            R"("shop":{"state":"starting","source_connected":false,"kafka_connected":false,)"
            R"("waiting_for":"kafka not reachable at k1:9092: Connection refused",)") !=
        std::string::npos);
  health.set_waiting_for("shop", "");
  health.set_source_connected("shop", true);
  health.set_kafka_connected("shop", true);
  health.set_streaming("shop", true);
  CHECK(health.ready());
}

TEST_CASE("a retried pipeline is not ready and names its error and next retry", "[health]") {
  HealthState health;
  for (const char* p : {"a", "b"}) {
    health.set_source_connected(p, true);
    health.set_kafka_connected(p, true);
    health.set_streaming(p, true);
  }
  const auto next = std::chrono::system_clock::now() + std::chrono::seconds(30);
  health.set_retrying("b", "role lacks REPLICATION", 2, next);
  std::string why;
  CHECK_FALSE(health.ready(&why));
  INFO(why);
  CHECK(why.rfind("pipeline 'b': retrying after 2 failure(s) (next retry in ", 0) == 0);
  CHECK(why.find(tributary::metrics::format_utc(next) + "): role lacks REPLICATION") !=
        std::string::npos);
  const auto json = health.status_json();
  INFO(json);
  CHECK(json.find(R"("b":{"state":"retrying","source_connected":true,"kafka_connected":true,)"
                  R"("error":"role lacks REPLICATION","attempts":2,"next_retry_at":")" +
                  tributary::metrics::format_utc(next) + R"(",)") != std::string::npos);

  health.clear_retrying("b");
  CHECK(health.ready());
  CHECK(health.status_json().find(R"("b":{"state":"streaming")") != std::string::npos);
}

TEST_CASE("format_utc", "[health]") {
  CHECK(tributary::metrics::format_utc(std::chrono::system_clock::from_time_t(0)) ==
        "1970-01-01T00:00:00Z");
}

TEST_CASE("status: phase, position, last commit, last error and snapshot tables", "[health]") {
  HealthState health;
  health.register_pipeline("p");
  auto json = health.status_json();
  INFO(json);
  CHECK(json.find(R"("phase":"starting","lag_seconds":null,"position":null,"last_commit":null,)"
                  R"("last_error":null,"snapshot":{"tables":{}})") != std::string::npos);

  health.set_phase("p", "snapshotting");
  health.snapshot_progress("p", "public.items", 500, 2000);
  health.snapshot_progress("p", "public.empty", 0, 0);
  health.snapshot_table_done("p", "public.empty", 0);
  json = health.status_json();
  CHECK(json.find(R"("phase":"snapshotting")") != std::string::npos);
  CHECK(json.find(R"("public.items":{"rows_done":500,"rows_estimated":2000,"done":false})") !=
        std::string::npos);
  CHECK(json.find(R"("public.empty":{"rows_done":0,"rows_estimated":0,"done":true})") !=
        std::string::npos);
  health.snapshot_table_done("p", "public.items", 2100);
  CHECK(health.status_json().find(
            R"("public.items":{"rows_done":2100,"rows_estimated":2000,"done":true})") !=
        std::string::npos);
  // Taken again (a retry): not done until read to the end again.
  health.snapshot_progress("p", "public.items", 10, 2000);
  CHECK(health.status_json().find(R"("public.items":{"rows_done":10,"rows_estimated":2000,)"
                                  R"("done":false})") != std::string::npos);

  tributary::metrics::StatusPosition pg;
  pg.text = "LSN 0/16B3748 + 3 events of the transaction committed at 0/16B3800";
  pg.snapshot_completed = true;
  pg.lsn = "0/16B3748";
  pg.partial_events = 3;
  pg.partial_commit_lsn = "0/16B3800";
  health.set_position("p", pg);
  const auto at = std::chrono::system_clock::from_time_t(1700000000) + std::chrono::milliseconds(7);
  health.transaction_committed("p", at, 42, 0.5);
  health.transaction_committed("p", at, 17, 0.25);
  json = health.status_json();
  CHECK(json.find(R"("lag_seconds":0.25,"position":{"text":"LSN 0/16B3748 + 3 events of the )"
                  R"(transaction committed at 0/16B3800","snapshot_completed":true,)"
                  R"("type":"postgres","lsn":"0/16B3748","partial_events":3,)"
                  R"("partial_commit_lsn":"0/16B3800"},)"
                  R"("last_commit":{"time":"2023-11-14T22:13:20.007Z","events":17,)"
                  R"("transactions":2})") != std::string::npos);

  tributary::metrics::StatusPosition my;
  my.text = "binlog mysql-bin.000003:1234";
  my.snapshot_completed = true;
  my.mysql = true;
  my.binlog_file = "mysql-bin.000003";
  my.binlog_pos = 1234;
  my.gtid_set = "0-1-42";
  health.set_position("p", my);
  health.set_last_error("p", "connection lost \"x\"", at);
  json = health.status_json();
  CHECK(json.find(R"("position":{"text":"binlog mysql-bin.000003:1234","snapshot_completed":true,)"
                  R"("type":"mysql","binlog_file":"mysql-bin.000003","binlog_pos":1234,)"
                  R"("gtid_set":"0-1-42"})") != std::string::npos);
  CHECK(json.find(R"("last_error":{"message":"connection lost \"x\"",)"
                  R"("time":"2023-11-14T22:13:20.007Z"})") != std::string::npos);
}

TEST_CASE("format_utc_ms", "[health]") {
  CHECK(tributary::metrics::format_utc_ms(std::chrono::system_clock::from_time_t(0) +
                                          std::chrono::milliseconds(1999)) ==
        "1970-01-01T00:00:01.999Z");
}
