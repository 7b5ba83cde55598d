// The validator of regular expression options (tables.include/exclude, topic overrides' match).
#pragma once

#include <optional>
#include <string>

namespace tributary::config::detail {

/// Nothing when `value` compiles as an ECMAScript std::regex; else the problem, phrased for the
/// option table ("must be a valid ECMAScript regular expression: it has a '(' without its ')' at
/// offset 8; ..."), from the error code checked against the pattern (libstdc++ reports several
/// problems under the code of another).
std::optional<std::string> regular_expression(const std::string& value);

}  // namespace tributary::config::detail
