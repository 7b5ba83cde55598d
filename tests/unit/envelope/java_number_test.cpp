// float4 / float8 values as Debezium's JSON has them: Java 17's Float.toString / Double.toString
// (what Jackson writes for Kafka Connect's JsonConverter). Expected texts printed by
// OpenJDK 17.0.15.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>

#include "envelope/text_codec.hpp"

namespace {

std::string java_float(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  std::string out;
  tributary::envelope::codec::append_java_float(value, out);
  return out;
}

std::string java_double(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  std::string out;
  tributary::envelope::codec::append_java_double(value, out);
  return out;
}

}  // namespace

TEST_CASE("float4 is written as Java 17's Float.toString", "[envelope][float]") {
  CHECK(java_float(0x00000001) == "1.4E-45");  // Float.MIN_VALUE: two digits, not 1E-45
  CHECK(java_float(0x00000002) == "2.8E-45");
  CHECK(java_float(0x7f7fffff) == "3.4028235E38");  // Float.MAX_VALUE
  CHECK(java_float(0x33d6bf95) == "1.0E-7");
  CHECK(java_float(0x4b189680) == "1.0E7");  // plain below 10^7, scientific from it
  CHECK(java_float(0x4b18967f) == "9999999.0");
  CHECK(java_float(0x3a83126f) == "0.001");  // plain from 10^-3
  CHECK(java_float(0x3a830f14) == "9.999E-4");
  CHECK(java_float(0x3dcccccd) == "0.1");
  CHECK(java_float(0x3fc00000) == "1.5");
  CHECK(java_float(0xc0200000) == "-2.5");
  CHECK(java_float(0x80000000) == "-0.0");
  CHECK(java_float(0x00000000) == "0.0");
  CHECK(java_float(0x42c80000) == "100.0");
  CHECK(java_float(0x47f12065) == "123456.79");
  CHECK(java_float(0x4b800000) == "1.6777216E7");
  // Integral values from 2^25 to 2^63: JDK 17's exact-integer digits, longer than the shortest.
  CHECK(java_float(0x4c00055a) == "3.3559912E7");  // shortest: 3.355991E7
  CHECK(java_float(0x4e8005e5) == "1.07393498E9");
  CHECK(java_float(0x5e800147) == "4.6118658E18");
  CHECK(java_float(0x5f000000) == "9.223372E18");  // 2^63: past that path again
  CHECK(java_float(0x5f800000) == "1.8446744E19");
}

TEST_CASE("float8 is written as Java 17's Double.toString", "[envelope][float]") {
  CHECK(java_double(0x0000000000000001) == "4.9E-324");  // Double.MIN_VALUE
  CHECK(java_double(0x0010000000000000) == "2.2250738585072014E-308");
  CHECK(java_double(0x7fefffffffffffff) == "1.7976931348623157E308");
  CHECK(java_double(0x3e7ad7f29abcaf48) == "1.0E-7");
  CHECK(java_double(0x416312d000000000) == "1.0E7");
  CHECK(java_double(0x416312cfe0000000) == "9999999.0");
  CHECK(java_double(0x3f50624dd2f1a9fc) == "0.001");
  CHECK(java_double(0x3fb999999999999a) == "0.1");
  CHECK(java_double(0x3fd5555555555555) == "0.3333333333333333");
  CHECK(java_double(0x4341c37937e08000) == "1.0E16");
  CHECK(java_double(0x437b69b4ba630f35) == "1.2345678901234568E17");
  CHECK(java_double(0x43d137945fe90794) == "4.9624934480650117E18");  // exact-integer path
  CHECK(java_double(0x43dfffffffffffff) == "9.2233720368547748E18");
  CHECK(java_double(0xfe41eb2d66005835) == "-1.5E300");
}
