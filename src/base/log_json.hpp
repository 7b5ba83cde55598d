// JSON string escaping for the log's json format (base knows nothing of the envelope's writer).
#pragma once

#include <string>
#include <string_view>

namespace tributary::log {

/// Appends `text` as a quoted JSON string: `"` `\` and control characters escaped, bytes that are
/// not valid UTF-8 replaced by U+FFFD (one per byte).
void append_json_string(std::string& out, std::string_view text);

}  // namespace tributary::log
