// Metrics / PipelineProbe: names, labels and values in the Prometheus text output.
#include "metrics/metrics.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using tributary::metrics::Metrics;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}
}  // namespace

TEST_CASE("probe is one per pipeline with a stable reference", "[metrics]") {
  Metrics metrics;
  auto& a = metrics.pipeline_probe("orders");
  auto& b = metrics.pipeline_probe("billing");
  CHECK(&a == &metrics.pipeline_probe("orders"));
  CHECK(&a != &b);
  CHECK(a.pipeline() == "orders");
}

TEST_CASE("events are counted by pipeline, table and op", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  probe.event_emitted("public.users", 'c');
  probe.event_emitted("public.users", 'c');
  probe.event_emitted("public.users", 'u');
  probe.event_emitted("public.orders", 'd');
  probe.event_emitted("public.orders", 'x');  // an op outside the known set still counts
  metrics.pipeline_probe("p2").event_emitted("public.users", 'r');

  const auto text = metrics.serialize();
  INFO(text);
  CHECK(text.find("# TYPE tributary_events_total counter") != std::string::npos);
  CHECK(has_line(text, R"(tributary_events_total{op="c",pipeline="p1",table="public.users"} 2)"));
  CHECK(has_line(text, R"(tributary_events_total{op="u",pipeline="p1",table="public.users"} 1)"));
  CHECK(has_line(text, R"(tributary_events_total{op="d",pipeline="p1",table="public.orders"} 1)"));
  CHECK(has_line(text, R"(tributary_events_total{op="x",pipeline="p1",table="public.orders"} 1)"));
  CHECK(has_line(text, R"(tributary_events_total{op="r",pipeline="p2",table="public.users"} 1)"));
}

TEST_CASE("snapshot rows and progress", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  probe.snapshot_rows("public.users", 100);
  probe.snapshot_rows("public.users", 50);
  probe.snapshot_table_progress("public.users", 150, 600);
  probe.snapshot_table_progress("public.empty", 0, 0);
  probe.snapshot_table_progress("public.small", 20, 10);  // estimate too low: capped at 1
  probe.snapshot_table_progress("public.done", 5, 0);
  probe.snapshot_table_done("public.done");

  const auto text = metrics.serialize();
  INFO(text);
  CHECK(has_line(text, R"(tributary_snapshot_rows_total{pipeline="p1",table="public.users"} 150)"));
  CHECK(has_line(text,
                 R"(tributary_snapshot_progress_ratio{pipeline="p1",table="public.users"} 0.25)"));
  CHECK(
      has_line(text, R"(tributary_snapshot_progress_ratio{pipeline="p1",table="public.empty"} 0)"));
  CHECK(
      has_line(text, R"(tributary_snapshot_progress_ratio{pipeline="p1",table="public.small"} 1)"));
  CHECK(
      has_line(text, R"(tributary_snapshot_progress_ratio{pipeline="p1",table="public.done"} 1)"));
}

TEST_CASE("kafka transactions, commit histogram and bytes", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  probe.transaction_committed(10, 2048, 0.003);
  probe.transaction_committed(5, 1024, 0.2);
  probe.transaction_aborted();

  const auto text = metrics.serialize();
  INFO(text);
  CHECK(
      has_line(text, R"(tributary_kafka_transactions_total{pipeline="p1",result="committed"} 2)"));
  CHECK(has_line(text, R"(tributary_kafka_transactions_total{pipeline="p1",result="aborted"} 1)"));
  CHECK(has_line(text, R"(tributary_kafka_bytes_total{pipeline="p1"} 3072)"));
  CHECK(has_line(text, R"(tributary_kafka_messages_total{pipeline="p1"} 15)"));
  CHECK(text.find("# TYPE tributary_kafka_commit_duration_seconds histogram") != std::string::npos);
  CHECK(has_line(text, R"(tributary_kafka_commit_duration_seconds_count{pipeline="p1"} 2)"));
  CHECK(has_line(text, R"(tributary_kafka_commit_duration_seconds_sum{pipeline="p1"} 0.203)"));
  CHECK(has_line(text,
                 R"(tributary_kafka_commit_duration_seconds_bucket{pipeline="p1",le="0.001"} 0)"));
  CHECK(has_line(text,
                 R"(tributary_kafka_commit_duration_seconds_bucket{pipeline="p1",le="0.005"} 1)"));
  CHECK(has_line(text,
                 R"(tributary_kafka_commit_duration_seconds_bucket{pipeline="p1",le="0.25"} 2)"));
  CHECK(
      has_line(text, R"(tributary_kafka_commit_duration_seconds_bucket{pipeline="p1",le="30"} 2)"));
  CHECK(has_line(text,
                 R"(tributary_kafka_commit_duration_seconds_bucket{pipeline="p1",le="+Inf"} 2)"));

  const auto& buckets = Metrics::commit_duration_buckets();
  CHECK(buckets.front() == Approx(0.001));
  CHECK(buckets.back() == Approx(30));
  CHECK(std::is_sorted(buckets.begin(), buckets.end()));
}

TEST_CASE("per-pipeline gauges and reconnects", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  probe.source_lag(1.5);
  probe.checkpoint_written(1700000000);
  probe.source_position(0x16B374D848ULL);
  probe.retained_wal(123456789);
  probe.reconnect("source");
  probe.reconnect("source");
  probe.reconnect("kafka");
  probe.reconnect("schema-registry");

  const auto text = metrics.serialize();
  INFO(text);
  CHECK(has_line(text, R"(tributary_source_lag_seconds{pipeline="p1"} 1.5)"));
  CHECK(has_line(text, R"(tributary_checkpoint_timestamp_seconds{pipeline="p1"} 1700000000)"));
  CHECK(has_line(text, R"(tributary_source_position{pipeline="p1"} 97500059720)"));
  CHECK(has_line(text, R"(tributary_slot_retained_wal_bytes{pipeline="p1"} 123456789)"));
  CHECK(has_line(text, R"(tributary_reconnects_total{pipeline="p1",target="source"} 2)"));
  CHECK(has_line(text, R"(tributary_reconnects_total{pipeline="p1",target="kafka"} 1)"));
  CHECK(has_line(text, R"(tributary_reconnects_total{pipeline="p1",target="schema-registry"} 1)"));
  CHECK(text.find("tributary_build_info{version=") != std::string::npos);
}

TEST_CASE("pipeline failures and up", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  CHECK(has_line(metrics.serialize(), R"(tributary_pipeline_up{pipeline="p1"} 0)"));
  probe.pipeline_up(true);
  probe.pipeline_failed();
  probe.pipeline_failed();
  probe.heartbeat_written();
  probe.pipeline_up(false);
  probe.source_lag(0.25);
  CHECK(probe.last_source_lag() == Approx(0.25));
  const auto text = metrics.serialize();
  INFO(text);
  CHECK(has_line(text, R"(tributary_pipeline_failures_total{pipeline="p1"} 2)"));
  CHECK(has_line(text, R"(tributary_heartbeats_total{pipeline="p1"} 1)"));
  CHECK(has_line(text, R"(tributary_pipeline_up{pipeline="p1"} 0)"));
}

TEST_CASE("series of a new pipeline exist before anything happens", "[metrics]") {
  Metrics metrics;
  metrics.pipeline_probe("idle");
  const auto text = metrics.serialize();
  INFO(text);
  CHECK(
      has_line(text, R"(tributary_kafka_transactions_total{pipeline="idle",result="aborted"} 0)"));
  CHECK(has_line(text, R"(tributary_reconnects_total{pipeline="idle",target="kafka"} 0)"));
}

TEST_CASE("probes are safe to use from many threads", "[metrics]") {
  Metrics metrics;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      auto& probe = metrics.pipeline_probe(t % 2 ? "odd" : "even");
      for (int i = 0; i < kPerThread; ++i) {
        probe.event_emitted("public.t" + std::to_string(i % 7), "cud"[i % 3]);
        probe.snapshot_rows("public.t0", 1);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  const auto text = metrics.serialize();
  INFO(text);
  for (const char* pipeline : {"even", "odd"}) {
    CHECK(has_line(text, std::string("tributary_snapshot_rows_total{pipeline=\"") + pipeline +
                             "\",table=\"public.t0\"} " +
                             std::to_string(kThreads / 2 * kPerThread)));
  }
  double total = 0;
  std::size_t pos = 0;
  while ((pos = text.find("\ntributary_events_total{", pos)) != std::string::npos) {
    const auto eol = text.find('\n', pos + 1);
    const auto space = text.rfind(' ', eol);
    total += std::stod(text.substr(space + 1, eol - space - 1));
    pos = eol;
  }
  CHECK(total == kThreads * kPerThread);
}

TEST_CASE("events of schema and table are labelled schema.table like snapshot rows", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  probe.snapshot_rows("public.users", 3);
  probe.event_emitted("public", "users", 'r');
  probe.event_emitted("public", "users", 'c');
  probe.event_emitted("shop", "orders", 'u');  // a MySQL database.table
  const std::string long_schema(200, 's');
  const std::string long_table(100, 't');  // past the 256-byte stack buffer
  probe.event_emitted(long_schema, long_table, 'd');

  const auto text = metrics.serialize();
  INFO(text);
  CHECK(has_line(text, R"(tributary_events_total{op="r",pipeline="p1",table="public.users"} 1)"));
  CHECK(has_line(text, R"(tributary_events_total{op="c",pipeline="p1",table="public.users"} 1)"));
  CHECK(has_line(text, R"(tributary_events_total{op="u",pipeline="p1",table="shop.orders"} 1)"));
  CHECK(has_line(text, R"(tributary_events_total{op="d",pipeline="p1",table=")" + long_schema +
                           "." + long_table + R"("} 1)"));
  CHECK(has_line(text, R"(tributary_snapshot_rows_total{pipeline="p1",table="public.users"} 3)"));
  CHECK(text.find(R"(table="users")") == std::string::npos);
}

TEST_CASE("batch events histogram counts every committed transaction", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  probe.transaction_committed(0, 120, 0.001);  // the offsets record alone
  probe.transaction_committed(7, 2048, 0.003);
  probe.transaction_committed(5000, 1 << 20, 0.2);

  const auto text = metrics.serialize();
  INFO(text);
  CHECK(has_line(text, "# TYPE tributary_kafka_batch_events histogram"));
  CHECK(has_line(text, R"(tributary_kafka_batch_events_count{pipeline="p1"} 3)"));
  CHECK(has_line(text, R"(tributary_kafka_batch_events_sum{pipeline="p1"} 5007)"));
  CHECK(has_line(text, R"(tributary_kafka_batch_events_bucket{pipeline="p1",le="0"} 1)"));
  CHECK(has_line(text, R"(tributary_kafka_batch_events_bucket{pipeline="p1",le="10"} 2)"));
  CHECK(has_line(text, R"(tributary_kafka_batch_events_bucket{pipeline="p1",le="5000"} 3)"));
  CHECK(
      has_line(text, R"(tributary_kafka_transactions_total{pipeline="p1",result="committed"} 3)"));
  CHECK(std::is_sorted(Metrics::batch_events_buckets().begin(),
                       Metrics::batch_events_buckets().end()));
}

TEST_CASE("in-flight bytes follow the open transaction", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  CHECK(has_line(metrics.serialize(), R"(tributary_inflight_bytes{pipeline="p1"} 0)"));
  probe.inflight_bytes(4096);
  CHECK(has_line(metrics.serialize(), R"(tributary_inflight_bytes{pipeline="p1"} 4096)"));
  probe.inflight_bytes(0);
  CHECK(has_line(metrics.serialize(), R"(tributary_inflight_bytes{pipeline="p1"} 0)"));
}

TEST_CASE("checkpoint age is computed at scrape time, absent before a checkpoint", "[metrics]") {
  Metrics metrics;
  auto& probe = metrics.pipeline_probe("p1");
  metrics.pipeline_probe("p2");
  CHECK_FALSE(probe.checkpoint_age(1700000000.0));
  CHECK(metrics.serialize().find("tributary_checkpoint_age_seconds{") == std::string::npos);

  probe.checkpoint_written(1700000000.25);
  CHECK(*probe.checkpoint_age(1700000010.25) == Approx(10.0));
  CHECK(*probe.checkpoint_age(1699999999.0) == 0.0);  // a clock step back is not a negative age
  // Written long ago: the age at scrape time is about now - then.
  const auto text = metrics.serialize();
  INFO(text);
  CHECK(text.find("# TYPE tributary_checkpoint_age_seconds gauge") != std::string::npos);
  const auto at = text.find(R"(tributary_checkpoint_age_seconds{pipeline="p1"} )");
  REQUIRE(at != std::string::npos);
  const double age = std::stod(text.substr(text.find("} ", at) + 2));
  CHECK(age > 1e7);  // 2023-11-14 is more than 100 days ago
  CHECK(text.find(R"(tributary_checkpoint_age_seconds{pipeline="p2"})") == std::string::npos);
}
