// Debezium's JSON encodings the envelope writes typed values with (base64, ISO-8601 UTC).
#include <catch2/catch.hpp>

#include "envelope/text_codec.hpp"

namespace tributary::envelope::codec {
namespace {

std::string base64(std::string_view bytes) {
  std::string out;
  append_base64(bytes, out);
  return out;
}

std::string iso(int64_t micros, int digits) {
  std::string out;
  append_iso_utc(micros, digits, out);
  return out;
}

}  // namespace

TEST_CASE("base64 follows RFC 4648 with padding", "[envelope][codec]") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foob") == "Zm9vYg==");
  CHECK(base64("fooba") == "Zm9vYmE=");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64(std::string("\xde\xad\xbe\xef", 4)) == "3q2+7w==");
  CHECK(base64(std::string("\xff\xff\xfe", 3)) == "///+");
}

TEST_CASE("ISO-8601 UTC with the column's fraction digits", "[envelope][codec]") {
  CHECK(iso(1601213844058468, 6) == "2020-09-27T13:37:24.058468Z");
  CHECK(iso(1601213844500000, 6) == "2020-09-27T13:37:24.500000Z");
  CHECK(iso(1601213844058000, 3) == "2020-09-27T13:37:24.058Z");
  CHECK(iso(1601213844000000, 0) == "2020-09-27T13:37:24Z");
  CHECK(iso(-62135596800000000 - 1800000000, 0) == "0000-12-31T23:30:00Z");
  CHECK(iso(253402318800000000, 0) == "+10000-01-01T05:00:00Z");
  CHECK(iso(INT64_MIN, 6).front() == '-');  // any instant formats (a typed value is not checked)
  CHECK(iso(INT64_MAX, 6).front() == '+');
}

TEST_CASE("ISO formatting without fixed width trims the fraction", "[envelope][codec]") {
  std::string out;
  append_iso_utc(1500, 0, out);
  CHECK(out == "1970-01-01T00:00:00.0015Z");
  out.clear();
  append_iso_utc(-1, 6, out);
  CHECK(out == "1969-12-31T23:59:59.999999Z");
}

}  // namespace tributary::envelope::codec
