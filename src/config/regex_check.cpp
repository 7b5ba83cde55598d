// Checks a table or topic pattern and says what is wrong with it in terms of the pattern itself.
#include "config/regex_check.hpp"

#include <regex>
#include <string_view>
#include <vector>

namespace tributary::config::detail {
namespace {

/// Where an ECMAScript pattern's parentheses first go wrong: the offset of a ')' that closes
/// nothing, or of the first '(' left open; npos when they balance. Escapes and '[...]' count as
/// literal text.
std::size_t unbalanced_parenthesis(const std::string& pattern, bool& unclosed) {
  std::vector<std::size_t> open;
  bool in_brackets = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (in_brackets) {
      if (c == ']') in_brackets = false;
    } else if (c == '[') {
      in_brackets = true;
    } else if (c == '(') {
      open.push_back(i);
    } else if (c == ')') {
      if (open.empty()) {
        unclosed = false;
        return i;
      }
      open.pop_back();
    }
  }
  if (open.empty()) return std::string::npos;
  unclosed = true;
  return open.front();
}

/// The offset of a '[' whose set is never closed by ']', or npos.
std::size_t unclosed_bracket(const std::string& pattern) {
  std::size_t open = std::string::npos;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (open == std::string::npos && pattern[i] == '[') {
      open = i;
    } else if (open != std::string::npos && pattern[i] == ']') {
      open = std::string::npos;
    }
  }
  return open;
}

std::size_t trailing_backslashes(const std::string& pattern) {
  std::size_t count = 0;
  while (count < pattern.size() && pattern[pattern.size() - 1 - count] == '\\') ++count;
  return count;
}

constexpr std::string_view kNothingToRepeat =
    "has a '*', '+', '?' or '{...}' with nothing before it to repeat (at the start, or after '(' "
    "or '|'); write '\\*', '\\+', '\\?' or '\\{' for the literal character";

/// What is wrong with `pattern`, from std::regex's error code and a look at the pattern itself:
/// libstdc++ reports a quantifier with nothing to repeat ("*a") as error_paren, and an unknown
/// character class as error_collate, so their own messages name the wrong construct.
std::string regex_problem(const std::string& pattern, std::regex_constants::error_type code) {
  namespace rc = std::regex_constants;
  const auto at = [](std::size_t offset) { return " at offset " + std::to_string(offset); };
  switch (code) {
    case rc::error_paren: {
      bool unclosed = false;
      const std::size_t offset = unbalanced_parenthesis(pattern, unclosed);
      if (offset != std::string::npos) {
        return unclosed ? "has a '(' without its ')'" + at(offset) +
                              "; close the group, or write '\\(' for a literal '('"
                        : "has a ')' without its '('" + at(offset) +
                              "; remove it, or write '\\)' for a literal ')'";
      }
      const std::size_t group = pattern.find("(?");
      if (group != std::string::npos &&
          (group + 2 >= pattern.size() ||
           std::string_view(":=!").find(pattern[group + 2]) == std::string_view::npos)) {
        return "has a '(?' group other than '(?:', '(?=' or '(?!'" + at(group) +
               " (ECMAScript has no named groups or lookbehind)";
      }
      return std::string(kNothingToRepeat);
    }
    case rc::error_badrepeat:
      return std::string(kNothingToRepeat);
    case rc::error_brack:
    case rc::error_range: {
      // libstdc++ reports an unclosed "[a-" as error_range.
      const std::size_t open = unclosed_bracket(pattern);
      if (code == rc::error_brack || open != std::string::npos) {
        return "has a '[' without its ']'" + (open == std::string::npos ? "" : at(open)) +
               "; close the set, or write '\\[' for a literal '['";
      }
      return "has an invalid character range in '[...]': its start comes after its end (as in "
             "'[z-a]'), or one end is a class such as '\\d'; fix the range, or put '-' first or "
             "last for a literal '-'";
    }
    case rc::error_brace:
      return "has a '{' without its '}'; write a repeat count as '{n}', '{n,}' or '{n,m}', or "
             "'\\{' for a literal '{'";
    case rc::error_badbrace:
      return "has an invalid repeat count in '{...}': write '{n}', '{n,}' or '{n,m}' with n <= m, "
             "or '\\{' for a literal '{'";
    case rc::error_escape:
      return trailing_backslashes(pattern) % 2 == 1
                 ? "ends with a '\\' that escapes nothing; write '\\\\' for a literal "
                   "backslash"
                 : "has an incomplete escape sequence ('\\c' needs a letter, '\\x' two hex "
                   "digits, '\\u' four); write '\\\\' for a literal backslash";
    case rc::error_backref:
      return "has a back-reference ('\\1' ...) to a group that does not exist";
    case rc::error_collate:
    case rc::error_ctype:
      if (pattern.find("[:") != std::string::npos) {
        return "names an unknown character class in '[[:...:]]'; use one of alnum, alpha, blank, "
               "cntrl, digit, graph, lower, print, punct, space, upper, xdigit, w, s, d";
      }
      return "names an unknown collating element or character class in '[...]' ('[[.x.]]', "
             "'[[=x=]]', '[[:x:]]')";
    case rc::error_space:
    case rc::error_complexity:
    case rc::error_stack:
      return "is too large or complex to compile (large repeat counts such as '{100000}' multiply "
             "its size); simplify it";
    default:
      return "is not a valid ECMAScript regular expression";
  }
}

// libstdc++ reads the number of a back-reference ('\12') or a repeat count ('{3,5}') into an int
// without an overflow check (undefined behaviour, found by the config fuzz target), so such
// numbers are bounded here before std::regex sees them.
std::optional<std::string> oversized_number(const std::string& pattern) {
  constexpr std::size_t kMaxDigits = 6;
  auto digits_at = [&](std::size_t i) {
    std::size_t n = 0;
    while (i + n < pattern.size() && pattern[i + n] >= '0' && pattern[i + n] <= '9') ++n;
    return n;
  };
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (digits_at(i + 1) > kMaxDigits) {
        return "has a back-reference '\\" + pattern.substr(i + 1, kMaxDigits) +
               "...' with too many digits; a literal digit after '\\' is written as '[0-9]' "
               "or without the backslash";
      }
      ++i;  // the escaped character
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;
    } else if (c == '{') {
      for (std::size_t j = i + 1; j < pattern.size() && pattern[j] != '}';) {
        const std::size_t n = digits_at(j);
        if (n > kMaxDigits) {
          return "has a repeat count '{" + pattern.substr(j, kMaxDigits) +
                 "...' with more than 6 digits; use a smaller count";
        }
        if (n == 0 && pattern[j] != ',') break;  // not a repeat count: '{' is a literal
        j += n == 0 ? 1 : n;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> regular_expression(const std::string& value) {
  if (auto problem = oversized_number(value)) {
    return "must be a valid ECMAScript regular expression: it " + *problem;
  }
  try {
    std::regex compiled(value, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return "must be a valid ECMAScript regular expression: it " +
           regex_problem(value, error.code());
  }
  return std::nullopt;
}

}  // namespace tributary::config::detail
