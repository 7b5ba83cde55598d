// pipelines[].routes and topic_naming.delimiter in the envelope: ByLogicalTableRouter's topic,
// key field and schema names; the source block keeps the real table.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "envelope/serializer.hpp"
#include "envelope/topic_router.hpp"
#include "event_builders.hpp"

namespace tributary::envelope::testing {
namespace {

using event::Op;

std::shared_ptr<const event::TableSchema> orders(const std::string& schema,
                                                 const std::string& name) {
  return table(schema, name,
               {column("id", type(TypeKind::kInt32, "int4"), false),
                column("region", type(TypeKind::kString, "text"))},
               {0});
}

Options routed(bool schemas) {
  Options o;
  o.topic_prefix = "srv";
  o.schemas = schemas;
  o.version = "tributary-test";
  o.routes = {{"srv\\.public\\.orders_([0-9]+)", "srv.orders"}, {"srv\\.(.*)", "all.$1"}};
  return o;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

}  // namespace

TEST_CASE("topic router: first full match wins, $n groups, delimiter", "[envelope][routes]") {
  TopicRouter router("srv", ".",
                     {{"srv\\.shop_([0-9]+)\\.orders_\\1", "srv.orders"},
                      {"srv\\.shop_([0-9]+)\\.(.*)", "srv.$2.by_shard-$1"},
                      {"srv\\.public", "never"}});
  CHECK(router.route({"shop_1", "orders_1"}).topic == "srv.orders");
  CHECK(router.route({"shop_1", "orders_1"}).physical == "srv.shop_1.orders_1");
  CHECK(router.route({"shop_2", "items"}).topic == "srv.items.by_shard-2");
  // Full match only: "srv.public" is a prefix of the topic, not the topic.
  const TopicRoute plain = router.route({"public", "t"});
  CHECK(plain.topic == "srv.public.t");
  CHECK_FALSE(plain.routed());
  // Digits after $1 that name no group are literal (Java's Matcher): $10 with one group.
  CHECK(TopicRouter("p", ".", {{"p\\.s\\.(t)", "x$10"}}).route({"s", "t"}).topic == "xt0");
  // An empty result leaves the topic where it was, as ByLogicalTableRouter does.
  CHECK(TopicRouter("p", ".", {{"p\\.s\\.t()", "$1"}}).route({"s", "t"}).topic == "p.s.t");
  // topic.delimiter sits between prefix, schema and table, and the match sees it.
  TopicRouter underscore("p", "_", {{"p_s_(.*)", "merged"}});
  CHECK(underscore.route({"s", "t"}).topic == "merged");
  CHECK(underscore.route({"x", "t"}).topic == "p_x_t");
  CHECK_THROWS_AS(TopicRouter("p", ".", {{"(", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(TopicRouter("p", ".", {{"p", "$1"}}), std::invalid_argument);
}

TEST_CASE("adjust_schema_name is Debezium's SchemaNameAdjuster", "[envelope][routes]") {
  CHECK(adjust_schema_name("srv.orders") == "srv.orders");
  CHECK(adjust_schema_name("srv.orders-all.Key") == "srv.orders_all.Key");
  CHECK(adjust_schema_name("1srv.x") == "_srv.x");
}

TEST_CASE("routed records: topic, key field, schema names, source block", "[envelope][routes]") {
  Serializer serializer(routed(true));
  std::vector<sink::Message> out;
  REQUIRE(serialize_text(serializer,
                         change(Op::kCreate, orders("public", "orders_2"), std::nullopt,
                                row({text("7"), text("EU")})),
                         kNowUs, out)
              .ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "srv.orders");
  auto key = parse(*out[0].key);
  CHECK(key["payload"]["id"].GetInt() == 7);
  CHECK(std::string(key["payload"]["__dbz__physicalTableIdentifier"].GetString()) ==
        "srv.public.orders_2");
  const auto& key_schema = key["schema"];
  CHECK(std::string(key_schema["name"].GetString()) == "srv.orders.Key");
  const auto& last = key_schema["fields"][1];
  CHECK(std::string(last["field"].GetString()) == "__dbz__physicalTableIdentifier");
  CHECK(std::string(last["type"].GetString()) == "string");
  CHECK_FALSE(last["optional"].GetBool());
  auto value = parse(*out[0].value);
  CHECK(std::string(value["schema"]["name"].GetString()) == "srv.orders.Envelope");
  CHECK(std::string(value["schema"]["fields"][0]["name"].GetString()) == "srv.orders.Value");
  CHECK(std::string(value["payload"]["source"]["table"].GetString()) == "orders_2");
  CHECK(std::string(value["payload"]["source"]["schema"].GetString()) == "public");

  // Second route, $1; a delete's tombstone carries the routed key too.
  out.clear();
  Serializer plain(routed(false));
  REQUIRE(serialize_text(plain,
                         change(Op::kDelete, orders("inventory", "items"),
                                row({text("7"), text("EU")}), std::nullopt),
                         kNowUs, out)
              .ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].topic == "all.inventory.items");
  CHECK(out[1].topic == "all.inventory.items");
  CHECK(*out[0].key == R"({"id":7,"__dbz__physicalTableIdentifier":"srv.inventory.items"})");
  CHECK(out[1].key == out[0].key);
  CHECK_FALSE(out[1].value.has_value());
}

TEST_CASE("no route: keys and topics as without the feature", "[envelope][routes]") {
  Options o = routed(false);
  o.routes.clear();
  o.topic_delimiter = "_";
  Serializer serializer(o);
  std::vector<sink::Message> out;
  REQUIRE(serialize_text(serializer,
                         change(Op::kCreate, orders("public", "orders_2"), std::nullopt,
                                row({text("7"), text("EU")})),
                         kNowUs, out)
              .ok());
  CHECK(out.at(0).topic == "srv_public_orders_2");
  CHECK(*out.at(0).key == R"({"id":7})");
}

}  // namespace tributary::envelope::testing
