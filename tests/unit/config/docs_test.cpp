// docs/configuration.md must be exactly reference_markdown(): the doc cannot drift from the table.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.hpp"

namespace tributary::config {
namespace {

constexpr const char* kDocPath = TRIBUTARY_SOURCE_DIR "/docs/configuration.md";

TEST_CASE("docs/configuration.md matches the option table", "[config][docs]") {
  const std::string expected = reference_markdown();
  const char* update = std::getenv("UPDATE_DOCS");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(kDocPath, std::ios::binary | std::ios::trunc) << expected;
  }
  std::ifstream file(kDocPath, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  const std::string actual = contents.str();
  if (actual == expected) return;

  // Report the first line that differs rather than both whole documents.
  std::istringstream actual_lines(actual);
  std::istringstream expected_lines(expected);
  std::string actual_line;
  std::string expected_line;
  int line = 0;
  while (true) {
    ++line;
    const bool more_actual = static_cast<bool>(std::getline(actual_lines, actual_line));
    const bool more_expected = static_cast<bool>(std::getline(expected_lines, expected_line));
    if (!more_actual) actual_line = "<end of file>";
    if (!more_expected) expected_line = "<end of file>";
    if (actual_line != expected_line || (!more_actual && !more_expected)) break;
  }
  FAIL(
      "docs/configuration.md is out of date with src/config/options.cpp (first difference at "
      "line "
      << line << ")\n  file:      " << actual_line << "\n  generated: " << expected_line
      << "\nRegenerate it with\n  UPDATE_DOCS=1 ctest --test-dir <build> -R docs\n"
         "and commit the result.");
}

TEST_CASE("the reference lists every key with its default", "[config][docs]") {
  const std::string text = reference_markdown();
  CHECK(text.find("| `pipelines[].source.port` | integer, 1 to 65535 | `5432` for postgres, "
                  "`3306` for mysql |") != std::string::npos);
  CHECK(text.find("| `kafka.bootstrap_servers` | string | **required** |") != std::string::npos);
  CHECK(text.find("| `pipelines[].source.password` | string, secret | none |") !=
        std::string::npos);
  CHECK(text.find("## `kafka.batch`") != std::string::npos);
  CHECK(text.find("## Checks across keys") != std::string::npos);
}

}  // namespace
}  // namespace tributary::config
