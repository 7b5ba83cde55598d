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

/// `'value'`, shortened to a readable length and with control bytes escaped, for "got ..." in
/// messages.
std::string quote(std::string_view value);

/// `text` with control bytes (NUL, newlines, escape sequences, DEL) written as `\xNN`, cut to
/// `max_length` bytes (then "..." appended), so a message stays one readable line.
std::string printable(std::string_view text, std::size_t max_length);

/// "4 MiB", "64 KiB", "100 bytes".
std::string describe_size(std::size_t bytes);

/// Reads a whole file of at most `max_bytes`, in bounded reads (st_size is not trusted: /dev/zero,
/// FIFOs and /proc files report none). On failure returns errno; EFBIG when the file holds more
/// than `max_bytes` (then `out` holds the first max_bytes + 1 bytes).
std::optional<int> read_whole_file(const std::string& path, std::size_t max_bytes,
                                   std::string& out);

}  // namespace tributary::config::detail
