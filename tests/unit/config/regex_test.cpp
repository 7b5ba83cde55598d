// Invalid regular expressions are reported with the problem they have (libstdc++'s own messages
// name the wrong construct for several of them).
#include <catch2/catch.hpp>
#include <string>

#include "config/config.hpp"
#include "helpers.hpp"

namespace tributary::config {
namespace {

using testing::message_at;

/// The message for `pattern` as tables.include[0], without the common prefix and the "got".
std::string problem_of(const std::string& pattern) {
  std::string escaped;
  for (char c : pattern) {
    if (c == '\\' || c == '"') escaped += '\\';
    escaped += c;
  }
  const LoadResult result = testing::load(
      "pipelines:\n"
      "  - name: shop\n"
      "    source: {type: postgres, database: shop, user: cdc}\n"
      "    tables: {include: [\"" +
      escaped +
      "\"]}\n"
      "kafka: {bootstrap_servers: k}\n");
  std::string message = message_at(result, "pipelines[0].tables.include[0]");
  const std::string prefix = "must be a valid ECMAScript regular expression: it ";
  const std::string got = ", got '" + pattern + "'";
  if (message.rfind(prefix, 0) != 0 || message.size() < got.size() ||
      message.compare(message.size() - got.size(), got.size(), got) != 0) {
    return "<unexpected message: " + message + ">";
  }
  return message.substr(prefix.size(), message.size() - prefix.size() - got.size());
}

TEST_CASE("each kind of invalid regex gets its own message", "[config][regex]") {
  const std::string nothing_to_repeat =
      "has a '*', '+', '?' or '{...}' with nothing before it to repeat (at the start, or after "
      "'(' or '|'); write '\\*', '\\+', '\\?' or '\\{' for the literal character";
  // libstdc++ calls all of these "Mismatched '(' and ')'".
  CHECK(problem_of("*.orders") == nothing_to_repeat);
  CHECK(problem_of("public\\.+") != nothing_to_repeat);  // valid: compiles, no error
  CHECK(problem_of("+") == nothing_to_repeat);
  CHECK(problem_of("a|*b") == nothing_to_repeat);
  CHECK(problem_of("(?<name>a)") ==
        "has a '(?' group other than '(?:', '(?=' or '(?!' at offset 0 (ECMAScript has no named "
        "groups or lookbehind)");
  CHECK(problem_of("public\\.(orders") ==
        "has a '(' without its ')' at offset 8; close the group, or write '\\(' for a literal '('");
  CHECK(problem_of("orders)") ==
        "has a ')' without its '(' at offset 6; remove it, or write '\\)' for a literal ')'");
  CHECK(problem_of("[(]x)") ==
        "has a ')' without its '(' at offset 4; remove it, or write '\\)' for a literal ')'");
  // libstdc++ calls an unclosed "[a-" an invalid range.
  CHECK(problem_of("public\\.[a-") ==
        "has a '[' without its ']' at offset 8; close the set, or write '\\[' for a literal '['");
  CHECK(problem_of("[abc") ==
        "has a '[' without its ']' at offset 0; close the set, or write '\\[' for a literal '['");
  CHECK(problem_of("[z-a]") ==
        "has an invalid character range in '[...]': its start comes after its end (as in "
        "'[z-a]'), or one end is a class such as '\\d'; fix the range, or put '-' first or last "
        "for a literal '-'");
  CHECK(problem_of("a{2") ==
        "has a '{' without its '}'; write a repeat count as '{n}', '{n,}' or '{n,m}', or '\\{' for "
        "a literal '{'");
  CHECK(problem_of("a{3,1}") ==
        "has an invalid repeat count in '{...}': write '{n}', '{n,}' or '{n,m}' with n <= m, or "
        "'\\{' for a literal '{'");
  CHECK(problem_of("public\\") ==
        "ends with a '\\' that escapes nothing; write '\\\\' for a literal backslash");
  CHECK(problem_of("\\x4") ==
        "has an incomplete escape sequence ('\\c' needs a letter, '\\x' two hex digits, '\\u' "
        "four); write '\\\\' for a literal backslash");
  CHECK(problem_of("(a)\\2") == "has a back-reference ('\\1' ...) to a group that does not exist");
  CHECK(problem_of("[[:letters:]]") ==
        "names an unknown character class in '[[:...:]]'; use one of alnum, alpha, blank, cntrl, "
        "digit, graph, lower, print, punct, space, upper, xdigit, w, s, d");
}

TEST_CASE("kafka.topics.overrides[].match and tables.exclude get the same messages",
          "[config][regex]") {
  const LoadResult result = testing::load(
      "pipelines:\n"
      "  - name: shop\n"
      "    source: {type: postgres, database: shop, user: cdc}\n"
      "    tables: {exclude: [\"?x\"]}\n"
      "kafka:\n"
      "  bootstrap_servers: k\n"
      "  topics: {overrides: [{match: \"shop\\\\.*orders)\"}]}\n");
  CHECK_THAT(message_at(result, "pipelines[0].tables.exclude[0]"),
             Catch::Contains("with nothing before it to repeat"));
  CHECK_THAT(message_at(result, "kafka.topics.overrides[0].match"),
             Catch::Contains("has a ')' without its '(' at offset 13"));
}

}  // namespace
TEST_CASE("numbers libstdc++ would overflow are refused before it compiles them",
          "[config][regex]") {
  // A back-reference or repeat count past int made libstdc++ overflow (config fuzz target).
  CHECK(problem_of("inventory\\3333333333333333333333").find("back-reference") !=
        std::string::npos);
  CHECK(problem_of("a{99999999999}").find("repeat count") != std::string::npos);
  CHECK(problem_of("a{1,99999999999}").find("repeat count") != std::string::npos);
  // Long digit runs elsewhere are literals.
  const LoadResult result = testing::load(
      "pipelines:\n"
      "  - name: shop\n"
      "    source: {type: postgres, database: shop, user: cdc}\n"
      "    tables: {include: [\"public\\\\.t_12345678901234\"]}\n"
      "kafka: {bootstrap_servers: k}\n");
  INFO(testing::all_errors(result));
  CHECK(result.config.has_value());
}

}  // namespace tributary::config
