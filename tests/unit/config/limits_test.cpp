// Hostile input: bounded reads of the config and password files, a bounded number and length of
// errors, control bytes escaped in every message.
#include <catch2/catch.hpp>
#include <string>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config {
namespace {

using testing::all_errors;
using testing::kMinimal;
using testing::load;
using testing::message_at;
using testing::TemporaryFile;

bool has_control_byte(const std::string& text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

std::string with_password_file(const std::string& path) {
  return "pipelines:\n"
         "  - name: shop\n"
         "    source: {type: postgres, database: shop, user: cdc, password_file: \"" +
         path +
         "\"}\n"
         "kafka: {bootstrap_servers: \"k:9092\"}\n";
}

TEST_CASE("the configuration file is read up to its cap", "[config][limits]") {
  SECTION("/dev/zero, which never ends") {
    const LoadResult result = load_from_file("/dev/zero");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message ==
          "configuration file '/dev/zero' is larger than 4 MiB, the most tributary reads; check "
          "the path (a configuration is a few KiB; config/tributary.yaml is a commented "
          "example)");
  }
  SECTION("a regular file one byte over the cap") {
    TemporaryFile big(std::string(kMaxConfigFileBytes + 1, '#'));
    const LoadResult result = load_from_file(big.path());
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0].message, Catch::Contains("is larger than 4 MiB"));
    CHECK_THAT(result.errors[0].message, Catch::Contains(big.path()));
  }
  SECTION("a file of exactly the cap is read") {
    std::string text = kMinimal;
    text += "#" + std::string(kMaxConfigFileBytes - text.size() - 2, 'x') + "\n";
    TemporaryFile file(text);
    const LoadResult result = load_from_file(file.path());
    INFO(all_errors(result));
    CHECK(result.config.has_value());
  }
}

TEST_CASE("a password file is read up to its cap", "[config][limits][secret]") {
  const std::string key = "pipelines[0].source.password_file";
  SECTION("/dev/zero") {
    CHECK(message_at(load(with_password_file("/dev/zero")), key) ==
          "password file '/dev/zero' holds more than 64 KiB, the most tributary reads; it must "
          "hold only the password (check the path)");
  }
  SECTION("one byte over the cap, and exactly the cap") {
    TemporaryFile over(std::string(kMaxPasswordFileBytes + 1, 'p'));
    CHECK_THAT(message_at(load(with_password_file(over.path())), key),
               Catch::Contains("holds more than 64 KiB"));
    TemporaryFile at_cap(std::string(kMaxPasswordFileBytes, 'p'));
    const LoadResult result = load(with_password_file(at_cap.path()));
    INFO(all_errors(result));
    REQUIRE(result.config.has_value());
    CHECK(result.config->pipelines[0].source.password.size() == kMaxPasswordFileBytes);
  }
}

TEST_CASE("errors past the cap are counted, not kept", "[config][limits]") {
  std::string text = kMinimal;
  for (int i = 0; i < 10000; ++i) text += "unknown_" + std::to_string(i) + ": 1\n";
  const LoadResult result = load(text);
  CHECK_FALSE(result.config.has_value());
  CHECK(result.errors.size() == kMaxErrors);
  CHECK(result.omitted_errors == 10000 - kMaxErrors);
  CHECK(result.errors[0].path == "unknown_0");
  CHECK(result.errors.back().path == "unknown_" + std::to_string(kMaxErrors - 1));
}

TEST_CASE("a huge key or value gives a message of bounded length", "[config][limits]") {
  const std::string huge(1 << 20, 'k');
  SECTION("unknown key") {
    // An explicit key ("? "): YAML limits implicit keys to 1024 characters.
    const LoadResult result = load(std::string(kMinimal) + "? " + huge + "\n: 1\n");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].path.size() < 300);
    CHECK(result.errors[0].message.size() < 300);
    CHECK_THAT(result.errors[0].message, Catch::StartsWith("unknown key 'kkkk"));
  }
  SECTION("wrong value") {
    const LoadResult result = load(std::string(kMinimal) + "log: {level: " + huge + "}\n");
    CHECK(message_at(result, "log.level").size() < 300);
  }
}

TEST_CASE("control bytes in messages are escaped", "[config][limits]") {
  SECTION("a NUL byte in the file") {
    const LoadResult result = load(std::string("pipelines:\n  - name: a\0b\n", 25));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].message ==
          "test.yaml holds a NUL byte at line 2, column 12: a configuration is YAML text; check "
          "that it is the right file");
    CHECK(result.errors[0].line == 2);
    CHECK(result.errors[0].column == 12);
  }
  SECTION("a control byte after a backslash in a YAML string") {
    const LoadResult result = load("a: \"\\\x01\"\n");
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0].message, Catch::Contains("unknown escape character: \\x01"));
    CHECK_FALSE(has_control_byte(result.errors[0].to_string()));
  }
  SECTION("in values and keys") {
    const LoadResult result = load(
        "pipelines:\n"
        "  - name: \"a\\0b\"\n"
        "    \"x\\x01y\": 1\n"
        "    source: {type: \"p\\e[31m\", database: shop, user: cdc}\n"
        "kafka: {bootstrap_servers: k}\n");
    CHECK_THAT(message_at(result, "pipelines[0].name"), Catch::EndsWith("got 'a\\x00b'"));
    // The list of valid keys grows with the option table; its start and the escaped name matter.
    CHECK_THAT(
        message_at(result, "pipelines[0].x\\x01y"),
        Catch::StartsWith("unknown key 'x\\x01y'; valid keys here are: name, source, tables, "));
    CHECK_THAT(message_at(result, "pipelines[0].source.type"), Catch::Contains("got 'p\\x1b[31m'"));
    for (const auto& error : result.errors) CHECK_FALSE(has_control_byte(error.to_string()));
  }
}

}  // namespace
}  // namespace tributary::config
