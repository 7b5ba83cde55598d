// PostgreSQL timetz and hstore text -> what Debezium 3.6.1 writes: ZonedTime in UTC, and the JSON
// object of a Java HashMap of the pairs (its iteration order). The expected orders were read from
// Debezium's own output (tests/golden/envelope/more_types.* is compared with it by the
// conformance test); the rest follows java.util.HashMap's rules.
#include <catch2/catch.hpp>
#include <string>

#include "source/postgres/values/text_parsers.hpp"

namespace tributary::source::postgres::text {
namespace {

std::string timetz(std::string_view text) {
  auto result = timetz_from_text(text);
  return result.ok() ? *result : "error: " + result.error().message;
}

std::string hstore(std::string_view text) {
  std::string out;
  auto result = hstore_json(text, out);
  return result.ok() ? out : "error: " + result.error().message;
}

TEST_CASE("timetz text becomes the UTC time of day, ISO form", "[pg][values][timetz]") {
  CHECK(timetz("10:34:56.789+02") == "08:34:56.789Z");
  CHECK(timetz("23:59:59.123-05:30") == "05:29:59.123Z");  // past midnight: wraps
  CHECK(timetz("00:00:00+14") == "10:00:00Z");             // before midnight: wraps back
  CHECK(timetz("24:00:00-01") == "01:00:00Z");
  CHECK(timetz("12:00:00.5-00:30") == "12:30:00.5Z");  // fraction digits as needed
  CHECK(timetz("12:00:00.000001+00") == "12:00:00.000001Z");
  CHECK(timetz("01:02:03+05:30:15") == "19:31:48Z");
  CHECK(timetz("12:00:00").rfind("error: not a time with time zone", 0) == 0);
  CHECK(timetz("25:00:00+00").rfind("error:", 0) == 0);
  CHECK(timetz("12:00:00+0").rfind("error:", 0) == 0);
}

TEST_CASE("hstore text becomes a JSON object in Java HashMap order", "[pg][values][hstore]") {
  CHECK(hstore("") == "{}");
  // Read from Debezium: hstore_out writes a, k, z (by length, then bytes); the map gives a, z, k.
  CHECK(hstore(R"("a"=>"b", "k"=>"v", "z"=>"y")") == R"({"a":"b","z":"y","k":"v"})");
  CHECK(hstore(R"("a"=>"1", "b"=>NULL, "c d"=>"x")") == R"({"a":"1","b":null,"c d":"x"})");
  // Escapes: hstore's \" and \\ undone; Jackson's JSON escapes.
  CHECK(hstore(R"("q\"uote"=>"back\\slash", "tab)"
               "\t"
               R"(in"=>"line)"
               "\n"
               R"(break")") == R"({"q\"uote":"back\\slash","tab\tin":"line\nbreak"})");
  CHECK(hstore("\"c\x01\"=>\"\"") == R"({"c\u0001":""})");
  // 13 keys: the table grows from 16 to 32 buckets, which reorders them.
  std::string thirteen;
  for (int i = 1; i <= 13; ++i) {
    if (i > 1) thirteen += ", ";
    thirteen += "\"k" + std::to_string(i) + "\"=>\"" + std::to_string(i) + "\"";
  }
  // String.hashCode spread and masked by 31: k1..k9 in buckets 6-14, k11 with k5 in 10, k10 with
  // k6 in 11, k13 with k7 in 12, k12 with k8 in 13 (each after the earlier key).
  CHECK(hstore(thirteen) ==
        R"({"k1":"1","k2":"2","k3":"3","k4":"4","k5":"5","k11":"11","k6":"6","k10":"10",)"
        R"("k7":"7","k13":"13","k8":"8","k12":"12","k9":"9"})");
  CHECK(hstore(R"("a"=>)").rfind("error: not an hstore", 0) == 0);
  CHECK(hstore(R"("a"=>"1","b"=>"2")").rfind("error:", 0) == 0);  // hstore_out writes ", "
  CHECK(hstore("\"\xff\"=>\"1\"").rfind("error: hstore key is not valid UTF-8", 0) == 0);
}

}  // namespace
}  // namespace tributary::source::postgres::text
