// Readable, diff-friendly layout of JSON for golden files: exact tokens, chosen line breaks.
#pragma once

#include <string>
#include <string_view>

namespace tributary::envelope::testing {

/// Re-lays out `json` (any valid JSON text): a value whose one-line form fits in `width` columns
/// stays on one line ({"a": 1, "b": [true]}); larger ones get one member or element per line,
/// indented by two spaces. Tokens (strings with their escapes, numbers) are kept byte for byte, so
/// comparing layouts compares the documents exactly, member order included.
/// Throws std::runtime_error on malformed input.
std::string layout_json(std::string_view json, std::size_t width = 100);

/// `text` as a JSON string token (quotes and escapes added).
std::string json_quote(std::string_view text);

}  // namespace tributary::envelope::testing
