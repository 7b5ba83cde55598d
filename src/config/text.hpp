// Text helpers for the configuration loader: ${ENV} expansion, strict numbers, "did you mean".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::config::detail {

/// Replaces every `${NAME}` in `text` with the environment variable NAME; `$${` stands for a
/// literal `${`. On failure returns the problem (naming the variable, never the text around it,
/// which may be a secret) and leaves `out` unspecified.
std::optional<std::string> expand_environment(std::string_view text, std::string& out);

/// Whole-string decimal integer, optional sign; no spaces, no suffixes, no overflow.
bool parse_integer(std::string_view text, int64_t& out);

/// YAML 1.1 booleans as yaml-cpp reads them (true/false/yes/no/on/off/y/n, three casings).
std::optional<bool> parse_boolean(std::string_view text);

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions each cost 1 ("prot" is 1 away from "port").
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

/// `'value'`, shortened to a readable length, for "got ..." in messages.
std::string quote(std::string_view value);

/// Reads a whole file; on failure returns errno.
std::optional<int> read_whole_file(const std::string& path, std::string& out);

}  // namespace tributary::config::detail
