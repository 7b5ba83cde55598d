// TransactionalProducer on librdkafka's mock cluster: commit, offsets record, records' shape,
// config errors, error classification under injected broker errors, Java murmur2 placement.
//
// librdkafka 2.0.2's mock does not filter aborted records for read_committed consumers, does
// not fence a second producer and keeps little data per partition: no test depends on those.
#include <librdkafka/rdkafka.h>
// after rdkafka.h
#include <librdkafka/rdkafka_mock.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "sink/kafka/transactional_producer.hpp"

using namespace std::chrono_literals;
using tributary::ErrorKind;
using tributary::sink::Message;
using tributary::sink::ProducerOptions;
using tributary::sink::TransactionalProducer;

namespace {

// Kafka protocol API keys (librdkafka keeps its table private).
constexpr int16_t kApiProduce = 0;
constexpr int16_t kApiInitProducerId = 22;
constexpr int16_t kApiAddPartitionsToTxn = 24;
constexpr int16_t kApiEndTxn = 26;

constexpr auto kTimeout = 20s;  // generous: the mock is fast, CI machines may not be

/// Java's org.apache.kafka.common.utils.Utils.murmur2, written from its definition.
int32_t java_murmur2(const std::string& data) {
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const auto length = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28c ^ length;
  auto byte = [&](std::size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  for (std::size_t i = 0; i + 4 <= data.size(); i += 4) {
    uint32_t k = byte(i) | (byte(i + 1) << 8) | (byte(i + 2) << 16) | (byte(i + 3) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = data.size() & ~std::size_t{3};
  switch (data.size() % 4) {
    case 3:
      h ^= byte(tail + 2) << 16;
      [[fallthrough]];
    case 2:
      h ^= byte(tail + 1) << 8;
      [[fallthrough]];
    case 1:
      h ^= byte(tail);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t java_partition(const std::string& key, int partitions) {
  return static_cast<int32_t>((static_cast<uint32_t>(java_murmur2(key)) & 0x7fffffffu) %
                              static_cast<uint32_t>(partitions));
}

/// Polls `condition` (calling `tick` between checks) until it holds or the deadline passes.
bool wait_until(
    const std::function<bool()>& condition, std::chrono::milliseconds limit,
    const std::function<void()>& tick = [] { std::this_thread::sleep_for(10ms); }) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    tick();
  }
  return true;
}

/// An in-process mock cluster.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 3) {
    char reason[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", reason, sizeof reason);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    REQUIRE(handle_);
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    REQUIRE(cluster_);
    brokers_ = brokers;
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  rd_kafka_mock_cluster_t* get() const { return cluster_; }
  void create_topic(const std::string& name, int partitions) {
    REQUIRE(rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, std::min(3, brokers_)) ==
            RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void all_brokers(bool up) {
    for (int id = 1; id <= brokers_; ++id) {
      REQUIRE((up ? rd_kafka_mock_broker_set_up(cluster_, id)
                  : rd_kafka_mock_broker_set_down(cluster_, id)) == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int brokers_ = 0;
};

ProducerOptions options_for(const MockCluster& cluster, const std::string& pipeline = "orders") {
  ProducerOptions options;
  options.pipeline = pipeline;
  options.bootstrap_servers = cluster.bootstrap();
  options.transactional_id = "tributary-" + pipeline;
  options.transaction_timeout_ms = 10000;
  options.offsets_topic = "tributary.offsets";
  options.properties["log_level"] = "3";
  if (const char* debug = std::getenv("TRIBUTARY_KAFKA_DEBUG")) {  // e.g. "eos,msg,protocol"
    options.properties["debug"] = debug;
    options.properties["log_level"] = "7";
    tributary::log::set_level(tributary::log::Level::kDebug);
  }  // injected errors are expected; keep logs short
  return options;
}

std::unique_ptr<TransactionalProducer> ready_producer(const ProducerOptions& options) {
  auto created = TransactionalProducer::create(options);
  INFO((created.ok() ? std::string() : created.error().message));
  REQUIRE(created.ok());
  auto producer = std::move(created.value());
  auto init = producer->init_transactions(kTimeout);
  INFO((init.ok() ? std::string() : init.error().message));
  REQUIRE(init.ok());
  return producer;
}

void require_ok(const tributary::Result<void>& result) {
  INFO((result.ok() ? std::string() : result.error().message));
  REQUIRE(result.ok());
}

struct Record {
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Reads every partition of `topic` from the start with isolation.level=read_committed until at
/// least `count` records arrived and every partition is at its end, so that extra records
/// (duplicates) show up too; at the deadline returns what it has.
std::vector<Record> consume(const MockCluster& cluster, const std::string& topic, int partitions,
                            std::size_t count) {
  char reason[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::map<std::string, std::string> settings = {
      {"bootstrap.servers", cluster.bootstrap()},
      {"isolation.level", "read_committed"},
      {"enable.auto.commit", "false"},
      {"enable.partition.eof", "true"},
      {"group.id", "test-reader"},  // rd_kafka_assign needs one; nothing is joined
      {"log_level", "3"},
  };
  for (const auto& [name, value] : settings) {
    REQUIRE(rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) ==
            RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
  REQUIRE(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  REQUIRE(rd_kafka_assign(rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);

  std::vector<Record> records;
  std::set<int32_t> at_end;
  auto done = [&] {
    return records.size() >= count && at_end.size() == static_cast<std::size_t>(partitions);
  };
  auto receive = [&] {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) return;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) at_end.insert(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      at_end.erase(m->partition);
      Record r;
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i) {
          r.headers.emplace_back(name, std::string(static_cast<const char*>(value), size));
        }
      }
      records.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  };
  wait_until(done, kTimeout, receive);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return records;
}

/// begin + records + commit; fails the test on any error.
void commit_transaction(TransactionalProducer& producer, const std::vector<Message>& messages,
                        const std::string& offsets_value) {
  require_ok(producer.begin());
  for (const auto& m : messages) require_ok(producer.produce(m));
  require_ok(producer.commit(offsets_value, kTimeout));
}

Message keyed(const std::string& topic, const std::string& key, const std::string& value) {
  return Message{topic, key, value, {}};
}

}  // namespace

TEST_CASE("reference murmur2 matches Java's test vectors", "[kafka][murmur2]") {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  CHECK(java_murmur2("21") == -973932308);
  CHECK(java_murmur2("foobar") == -790332482);
  CHECK(java_murmur2("a-little-bit-long-string") == -985981536);
  CHECK(java_murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(java_murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(java_murmur2("abc") == 479470107);
}

TEST_CASE("a transaction of N records and the offsets record commits", "[kafka][commit]") {
  MockCluster cluster;
  cluster.create_topic("db.public.items", 3);
  cluster.create_topic("tributary.offsets", 1);
  auto producer = ready_producer(options_for(cluster));
  CHECK(producer->transport_ok());

  constexpr int kRecords = 250;
  std::vector<Message> messages;
  for (int i = 0; i < kRecords; ++i) {
    messages.push_back(keyed("db.public.items", "{\"id\":" + std::to_string(i) + "}",
                             "{\"op\":\"c\",\"n\":" + std::to_string(i) + "}"));
  }
  commit_transaction(*producer, messages, R"({"position":1})");

  auto records = consume(cluster, "db.public.items", 3, kRecords);
  REQUIRE(records.size() == kRecords);
  std::map<std::string, std::string> by_key;
  for (const auto& r : records) by_key[*r.key] = *r.value;
  for (int i = 0; i < kRecords; ++i) {
    CHECK(by_key["{\"id\":" + std::to_string(i) + "}"] ==
          "{\"op\":\"c\",\"n\":" + std::to_string(i) + "}");
  }

  auto offsets = consume(cluster, "tributary.offsets", 1, 1);
  REQUIRE(offsets.size() == 1);
  CHECK(offsets[0].key == "orders");
  CHECK(offsets[0].value == R"({"position":1})");

  SECTION("the next transaction appends the next offsets record") {
    require_ok(producer->begin());
    require_ok(producer->produce(keyed("db.public.items", "k", "v")));
    require_ok(producer->commit("second", kTimeout));
    auto again = consume(cluster, "tributary.offsets", 1, 2);
    REQUIRE(again.size() == 2);
    CHECK(again[1].value == "second");
  }
}

TEST_CASE("read_last_offsets_record returns the last committed value", "[kafka][offsets]") {
  MockCluster cluster;
  cluster.create_topic("db.public.items", 2);

  SECTION("missing topic: nullopt and not an error") {
    auto producer = ready_producer(options_for(cluster));
    auto last = producer->read_last_offsets_record(kTimeout);
    INFO((last.ok() ? std::string() : last.error().message));
    REQUIRE(last.ok());
    CHECK_FALSE(last->has_value());
  }

  SECTION("empty topic: nullopt") {
    cluster.create_topic("tributary.offsets", 3);
    auto producer = ready_producer(options_for(cluster));
    auto last = producer->read_last_offsets_record(kTimeout);
    REQUIRE(last.ok());
    CHECK_FALSE(last->has_value());
  }

  SECTION("several transactions of several pipelines sharing the topic") {
    cluster.create_topic("tributary.offsets", 3);
    auto orders = ready_producer(options_for(cluster, "orders"));
    auto payments = ready_producer(options_for(cluster, "payments"));
    for (int i = 1; i <= 3; ++i) {
      commit_transaction(*orders, {keyed("db.public.items", "o" + std::to_string(i), "x")},
                         "orders-" + std::to_string(i));
      commit_transaction(*payments, {keyed("db.public.items", "p" + std::to_string(i), "y")},
                         "payments-" + std::to_string(i));
    }
    auto last_orders = orders->read_last_offsets_record(kTimeout);
    REQUIRE(last_orders.ok());
    CHECK(last_orders->value_or("<none>") == "orders-3");
    auto last_payments = payments->read_last_offsets_record(kTimeout);
    REQUIRE(last_payments.ok());
    CHECK(last_payments->value_or("<none>") == "payments-3");

    // A fresh producer (a restart) sees the same.
    auto restarted = ready_producer(options_for(cluster, "orders"));
    auto after_restart = restarted->read_last_offsets_record(kTimeout);
    REQUIRE(after_restart.ok());
    CHECK(after_restart->value_or("<none>") == "orders-3");
  }

  SECTION("the record is found far behind other pipelines' records") {
    cluster.create_topic("tributary.offsets", 1);  // everyone shares one partition
    auto orders = ready_producer(options_for(cluster, "orders"));
    auto busy = ready_producer(options_for(cluster, "busy"));
    commit_transaction(*orders, {}, "orders-only");
    for (int i = 0; i < 300; ++i) commit_transaction(*busy, {}, "busy-" + std::to_string(i));
    auto last = orders->read_last_offsets_record(kTimeout);
    REQUIRE(last.ok());
    CHECK(last->value_or("<none>") == "orders-only");
    auto last_busy = busy->read_last_offsets_record(kTimeout);
    REQUIRE(last_busy.ok());
    CHECK(last_busy->value_or("<none>") == "busy-299");
  }

  SECTION("the offsets record lands in murmur2(pipeline) whatever the user's partitioner") {
    cluster.create_topic("tributary.offsets", 5);
    auto options = options_for(cluster, "orders");
    options.properties["partitioner"] = "random";
    auto producer = ready_producer(options);
    for (int i = 0; i < 5; ++i) commit_transaction(*producer, {}, "v" + std::to_string(i));
    auto records = consume(cluster, "tributary.offsets", 5, 5);
    REQUIRE(records.size() == 5);
    for (const auto& r : records) CHECK(r.partition == java_partition("orders", 5));
    auto last = producer->read_last_offsets_record(kTimeout);
    REQUIRE(last.ok());
    CHECK(last->value_or("<none>") == "v4");
  }

  SECTION("a tombstone for the pipeline's key reads as no record") {
    cluster.create_topic("tributary.offsets", 2);
    auto producer = ready_producer(options_for(cluster, "orders"));
    commit_transaction(*producer, {}, "v1");
    auto writer = ready_producer(options_for(cluster, "admin"));
    // An admin's reset: null value under the pipeline's key, in the pipeline's partition.
    commit_transaction(*writer, {Message{"tributary.offsets", "orders", std::nullopt, {}}},
                       "admin-1");
    auto last = producer->read_last_offsets_record(kTimeout);
    REQUIRE(last.ok());
    CHECK_FALSE(last->has_value());
  }
}

TEST_CASE("records keep null keys and tombstones and headers", "[kafka][produce]") {
  MockCluster cluster;
  cluster.create_topic("db.public.items", 1);
  auto producer = ready_producer(options_for(cluster));
  std::string binary("a\0b", 3);
  commit_transaction(
      *producer,
      {
          Message{"db.public.items", std::nullopt, "truncate", {}},
          Message{"db.public.items", "{\"id\":7}", std::nullopt, {}},
          Message{"db.public.items",
                  "{\"id\":8}",
                  "{}",
                  {{"tributary.pipeline", "orders"}, {"bin", binary}, {"empty", ""}}},
      },
      "pos");
  auto records = consume(cluster, "db.public.items", 1, 3);
  REQUIRE(records.size() == 3);
  CHECK_FALSE(records[0].key.has_value());
  CHECK(records[0].value == "truncate");
  CHECK(records[1].key == "{\"id\":7}");
  CHECK_FALSE(records[1].value.has_value());
  CHECK(records[2].value == "{}");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  CHECK(records[2].headers ==
        Headers{{"tributary.pipeline", "orders"}, {"bin", binary}, {"empty", ""}});
}

TEST_CASE("keyed records are placed like Java's default partitioner", "[kafka][murmur2]") {
  MockCluster cluster;
  constexpr int kPartitions = 7;
  cluster.create_topic("db.public.items", kPartitions);
  auto producer = ready_producer(options_for(cluster));
  std::vector<Message> messages;
  for (const char* key : {"21", "foobar", "abc", "{\"id\":1}", "{\"id\":2}", "{\"id\":3}",
                          "{\"id\":42}", "{\"id\":\"x\"}", "a-little-bit-long-string", "k"}) {
    messages.push_back(keyed("db.public.items", key, "v"));
  }
  commit_transaction(*producer, messages, "pos");
  auto records = consume(cluster, "db.public.items", kPartitions, messages.size());
  REQUIRE(records.size() == messages.size());
  std::set<int32_t> used;
  for (const auto& r : records) {
    INFO("key " << *r.key);
    CHECK(r.partition == java_partition(*r.key, kPartitions));
    used.insert(r.partition);
  }
  CHECK(used.size() > 1);  // the keys really spread
}

TEST_CASE("configuration errors name the property", "[kafka][config]") {
  MockCluster cluster;
  auto check = [&](std::map<std::string, std::string> properties, const std::string& name) {
    auto options = options_for(cluster);
    options.properties = std::move(properties);
    auto created = TransactionalProducer::create(options);
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().kind == ErrorKind::kConfig);
    CHECK_THAT(created.error().message, Catch::Contains(name));
  };
  check({{"no.such.property", "1"}}, "kafka.properties.no.such.property");
  check({{"acks", "banana"}}, "kafka.properties.acks");
  check({{"transactional.id", "mine"}}, "kafka.properties.transactional.id");
  check({{"enable.idempotence", "false"}}, "kafka.properties.enable.idempotence");
  // librdkafka's own cross-check, surfaced as is.
  check({{"message.timeout.ms", "600000"}}, "message.timeout.ms");

  auto options = options_for(cluster);
  options.bootstrap_servers.clear();
  auto created = TransactionalProducer::create(options);
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().kind == ErrorKind::kConfig);
}

TEST_CASE("retriable errors: the same call succeeds when repeated", "[kafka][errors]") {
  MockCluster cluster;
  cluster.create_topic("db.public.items", 1);
  cluster.create_topic("tributary.offsets", 1);
  const auto options = options_for(cluster);
  REQUIRE(rd_kafka_mock_coordinator_set(cluster.get(), "transaction",
                                        options.transactional_id.c_str(),
                                        1) == RD_KAFKA_RESP_ERR_NO_ERROR);

  SECTION("init_transactions while the brokers are down") {
    auto created = TransactionalProducer::create(options);
    REQUIRE(created.ok());
    auto& producer = *created.value();
    cluster.all_brokers(false);
    auto init = producer.init_transactions(300ms);
    REQUIRE_FALSE(init.ok());
    INFO(init.error().message);
    CHECK(init.error().kind == ErrorKind::kRetriable);
    CHECK_THAT(init.error().message, Catch::Contains("init_transactions"));
    cluster.all_brokers(true);
    tributary::Result<void> retried = tributary::Error::fatal("not tried");
    REQUIRE(wait_until(
        [&] {
          retried = producer.init_transactions(1s);
          return retried.ok() || retried.error().kind != ErrorKind::kRetriable;
        },
        kTimeout));
    require_ok(retried);
  }

  SECTION("commit times out on a slow EndTxn and its retry writes the offsets record once") {
    auto producer = ready_producer(options);
    require_ok(producer->begin());
    require_ok(producer->produce(keyed("db.public.items", "k", "v")));
    REQUIRE(rd_kafka_mock_broker_push_request_error_rtts(cluster.get(), 1, kApiEndTxn, 1,
                                                         RD_KAFKA_RESP_ERR_NO_ERROR,
                                                         3000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    auto commit = producer->commit("pos-1", 500ms);
    REQUIRE_FALSE(commit.ok());
    INFO(commit.error().message);
    CHECK(commit.error().kind == ErrorKind::kRetriable);
    // The offsets record is in: nothing may follow it.
    CHECK(producer->produce(keyed("db.public.items", "late", "v")).error().kind ==
          ErrorKind::kFatal);
    // Retrying with another value would put a wrong position in this transaction.
    CHECK(producer->commit("pos-2", kTimeout).error().kind == ErrorKind::kAbortTransaction);
    require_ok(producer->commit("pos-1", kTimeout));

    commit_transaction(*producer, {keyed("db.public.items", "k2", "v2")}, "pos-3");
    auto offsets = consume(cluster, "tributary.offsets", 1, 2);
    REQUIRE(offsets.size() == 2);
    CHECK(offsets[0].value == "pos-1");
    CHECK(offsets[1].value == "pos-3");
  }
}

TEST_CASE("abortable errors: abort then resend the batch and commit", "[kafka][errors]") {
  MockCluster cluster;
  cluster.create_topic("db.public.items", 1);
  cluster.create_topic("tributary.offsets", 1);
  auto producer = ready_producer(options_for(cluster));
  const std::vector<Message> batch = {keyed("db.public.items", "k1", "v1"),
                                      keyed("db.public.items", "k2", "v2")};

  // What the sink does on kAbortTransaction: abort, resend the same batch, commit; repeated
  // while the failure is again kAbortTransaction (after a rejected batch librdkafka 2.0.2 may
  // need one more round, OUT_OF_ORDER_SEQUENCE_NUMBER, before its epoch bump heals it).
  auto expect_abort_then_recover = [&](tributary::Result<void> failed) {
    REQUIRE_FALSE(failed.ok());
    int rounds = 0;
    while (!failed.ok()) {
      INFO("round " << rounds << ": " << failed.error().message);
      REQUIRE(failed.error().kind == ErrorKind::kAbortTransaction);
      REQUIRE(++rounds <= 3);
      require_ok(producer->abort(kTimeout));
      require_ok(producer->begin());
      failed = {};
      for (const auto& m : batch) {
        failed = producer->produce(m);
        if (!failed.ok()) break;
      }
      if (failed.ok()) failed = producer->commit("pos-after-abort", kTimeout);
    }
    auto last = producer->read_last_offsets_record(kTimeout);
    REQUIRE(last.ok());
    CHECK(last->value_or("<none>") == "pos-after-abort");
  };

  SECTION("a record's delivery fails (Produce: UNKNOWN_PRODUCER_ID)") {
    require_ok(producer->begin());
    rd_kafka_mock_push_request_errors(cluster.get(), kApiProduce, 1,
                                      RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
    for (const auto& m : batch) require_ok(producer->produce(m));
    expect_abort_then_recover(producer->commit("pos", kTimeout));
  }

  SECTION("the broker rejects a record batch for good (Produce: INVALID_RECORD)") {
    require_ok(producer->begin());
    rd_kafka_mock_push_request_errors(cluster.get(), kApiProduce, 1,
                                      RD_KAFKA_RESP_ERR_INVALID_RECORD);
    for (const auto& m : batch) require_ok(producer->produce(m));
    auto commit = producer->commit("pos", kTimeout);
    if (!commit.ok()) CHECK_THAT(commit.error().message, Catch::Contains("INVALID_RECORD"));
    expect_abort_then_recover(commit);
  }

  SECTION("a failed delivery is reported by the next produce") {
    require_ok(producer->begin());
    rd_kafka_mock_push_request_errors(cluster.get(), kApiProduce, 1,
                                      RD_KAFKA_RESP_ERR_INVALID_RECORD);
    require_ok(producer->produce(batch[0]));
    tributary::Result<void> produced;
    REQUIRE(wait_until(
        [&] {
          produced = producer->produce(batch[1]);
          return !produced.ok();
        },
        kTimeout,
        [&] {
          producer->poll();
          std::this_thread::sleep_for(10ms);
        }));
    // librdkafka refuses further records (_STATE); the message carries the delivery failure.
    CHECK_THAT(produced.error().message, Catch::Contains("INVALID_RECORD"));
    expect_abort_then_recover(produced);
  }

  SECTION("the partition cannot join the transaction (AddPartitionsToTxn)") {
    require_ok(producer->begin());
    rd_kafka_mock_push_request_errors(cluster.get(), kApiAddPartitionsToTxn, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    for (const auto& m : batch) require_ok(producer->produce(m));
    expect_abort_then_recover(producer->commit("pos", kTimeout));
  }

  SECTION("EndTxn: UNKNOWN_PRODUCER_ID") {
    require_ok(producer->begin());
    for (const auto& m : batch) require_ok(producer->produce(m));
    rd_kafka_mock_push_request_errors(cluster.get(), kApiEndTxn, 1,
                                      RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
    expect_abort_then_recover(producer->commit("pos", kTimeout));
  }
}

TEST_CASE("fatal errors: the producer is rebuilt", "[kafka][errors]") {
  MockCluster cluster;
  cluster.create_topic("db.public.items", 1);
  cluster.create_topic("tributary.offsets", 1);
  const auto options = options_for(cluster);

  SECTION("fenced at commit (EndTxn: PRODUCER_FENCED)") {
    auto producer = ready_producer(options);
    require_ok(producer->begin());
    require_ok(producer->produce(keyed("db.public.items", "k", "v")));
    rd_kafka_mock_push_request_errors(cluster.get(), kApiEndTxn, 1,
                                      RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
    auto commit = producer->commit("pos", kTimeout);
    REQUIRE_FALSE(commit.ok());
    INFO(commit.error().message);
    CHECK(commit.error().kind == ErrorKind::kFatal);
    CHECK_THAT(commit.error().message, Catch::Contains("FENCED"));
    // librdkafka's _FENCED: the committer tells a timeout rollback from a second instance by the
    // transaction's age and the offsets record it last committed.
    CHECK(producer->fenced());
    // Sticky: nothing works on this instance any more.
    CHECK(producer->abort(kTimeout).error().kind == ErrorKind::kFatal);
    CHECK(producer->begin().error().kind == ErrorKind::kFatal);

    producer.reset();
    auto rebuilt = ready_producer(options);
    CHECK_FALSE(rebuilt->fenced());
    commit_transaction(*rebuilt, {keyed("db.public.items", "k", "v")}, "pos-rebuilt");
    CHECK(rebuilt->last_offsets_record() == std::optional<std::string>("pos-rebuilt"));
    auto last = rebuilt->read_last_offsets_record(kTimeout);
    REQUIRE(last.ok());
    CHECK(last->value_or("<none>") == "pos-rebuilt");
    auto reader = ready_producer(options);
    REQUIRE(reader->read_last_offsets_record(kTimeout).ok());
    CHECK(reader->last_offsets_record() == std::optional<std::string>("pos-rebuilt"));
  }

  SECTION("not authorized for the transactional.id (InitProducerId)") {
    auto created = TransactionalProducer::create(options);
    REQUIRE(created.ok());
    rd_kafka_mock_push_request_errors(cluster.get(), kApiInitProducerId, 1,
                                      RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    auto init = created.value()->init_transactions(kTimeout);
    REQUIRE_FALSE(init.ok());
    INFO(init.error().message);
    CHECK(init.error().kind == ErrorKind::kFatal);
    CHECK_FALSE(created.value()->fenced());
  }
}

TEST_CASE("transport_ok follows broker reachability", "[kafka][transport]") {
  MockCluster cluster(1);
  cluster.create_topic("tributary.offsets", 1);
  auto options = options_for(cluster);
  options.properties["statistics.interval.ms"] = "100";
  options.properties["reconnect.backoff.max.ms"] = "200";
  auto producer = ready_producer(options);
  auto poll = [&] {
    producer->poll();
    std::this_thread::sleep_for(20ms);
  };
  REQUIRE(producer->transport_ok());
  cluster.all_brokers(false);
  CHECK(wait_until([&] { return !producer->transport_ok(); }, kTimeout, poll));
  cluster.all_brokers(true);
  CHECK(wait_until([&] { return producer->transport_ok(); }, kTimeout, poll));
  commit_transaction(*producer, {}, "after-outage");
}
