// The log line formats (text, json), JSON escaping of hostile bytes, and switching log files.
#include "base/log.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/log_json.hpp"

using tributary::log::append_json_string;
using tributary::log::Format;
using tributary::log::format_line;
using tributary::log::Level;

namespace {
std::string json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}
}  // namespace

TEST_CASE("json escaping: quotes, backslashes, control characters", "[log]") {
  CHECK(json("plain") == "\"plain\"");
  CHECK(json("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json("l1\nl2\r\t\b\f") == "\"l1\\nl2\\r\\t\\b\\f\"");
  CHECK(json(std::string_view("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\\u007f\"");
}

TEST_CASE("json escaping: valid UTF-8 kept, invalid bytes become U+FFFD", "[log]") {
  CHECK(json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  const std::string r = "\xEF\xBF\xBD";
  CHECK(json("\xFF") == "\"" + r + "\"");
  CHECK(json("a\xC3") == "\"a" + r + "\"");                        // truncated at the end
  CHECK(json("\xC3(") == "\"" + r + "(\"");                        // bad continuation byte
  CHECK(json("\xC0\xAF") == "\"" + r + r + "\"");                  // overlong '/'
  CHECK(json("\xE0\x80\xAF") == "\"" + r + r + r + "\"");          // overlong, 3 bytes
  CHECK(json("\xED\xA0\x80") == "\"" + r + r + r + "\"");          // UTF-16 surrogate
  CHECK(json("\xF4\x90\x80\x80") == "\"" + r + r + r + r + "\"");  // past U+10FFFF
  CHECK(json("\xF4\x8F\xBF\xBF") == "\"\xF4\x8F\xBF\xBF\"");       // U+10FFFF itself
}

TEST_CASE("format_line: text and json carry the same fields", "[log]") {
  const std::string stamp = "2026-01-02T03:04:05.000006Z";
  CHECK(format_line(Format::kText, stamp, Level::kWarn, "shop", "public.items", "a\nb") ==
        stamp + " WARN pipeline=shop table=public.items a\\nb\n");
  CHECK(format_line(Format::kText, stamp, Level::kInfo, "", "", "up") == stamp + " INFO up\n");
  CHECK(format_line(Format::kJson, stamp, Level::kWarn, "shop", "public.items", "say \"hi\"\n") ==
        "{\"ts\":\"" + stamp +
            "\",\"level\":\"warn\",\"pipeline\":\"shop\",\"table\":\"public.items\","
            "\"message\":\"say \\\"hi\\\"\\n\"}\n");
  CHECK(format_line(Format::kJson, stamp, Level::kError, "", "", "x") ==
        "{\"ts\":\"" + stamp + "\",\"level\":\"error\",\"message\":\"x\"}\n");
}

TEST_CASE("set_file appends, reopens a moved file, and keeps the old one on failure", "[log]") {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("tributary-log-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path path = dir / "t.log";
  tributary::log::set_format(Format::kText);
  REQUIRE_FALSE(tributary::log::set_file(path.string()).has_value());
  CHECK(tributary::log::file() == path.string());
  tributary::log::info("p", "first");
  fs::rename(path, dir / "t.log.1");    // what logrotate does
  tributary::log::info("p", "second");  // still the moved file
  REQUIRE_FALSE(tributary::log::set_file(path.string()).has_value());
  tributary::log::info("p", "third");
  const auto failed = tributary::log::set_file((dir / "missing" / "x.log").string());
  REQUIRE(failed.has_value());
  CHECK(failed->find("cannot open " + (dir / "missing" / "x.log").string() +
                     " for appending: No such file or directory") != std::string::npos);
  tributary::log::info("p", "fourth");  // the failure kept t.log
  const std::string rotated = read_file(dir / "t.log.1");
  const std::string current = read_file(path);
  CHECK(rotated.find("first") != std::string::npos);
  CHECK(rotated.find("second") != std::string::npos);
  CHECK(rotated.find("third") == std::string::npos);
  CHECK(current.find("third") != std::string::npos);
  CHECK(current.find("fourth") != std::string::npos);
  CHECK((fs::status(path).permissions() & fs::perms::others_all) == fs::perms::none);
  REQUIRE_FALSE(tributary::log::set_file("").has_value());  // back to standard error
  fs::remove_all(dir);
}
