// MySQL's binary JSON (JSON columns in MySQL 5.7+ row images) -> JSON text; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tributary::source::mysql::binlog {

/// The document as MySQL prints it (`{"a": 1, "b": [true, null]}`); opaque DECIMAL and temporal
/// values as their quoted text, other opaque values as "base64:type<N>:<base64>" (MySQL's form).
/// An empty input is JSON null. `offset` is the event offset of bytes[0], for errors; `event` the
/// event name for them.
Result<std::string> json_binary_to_text(std::string_view bytes, std::size_t offset,
                                        std::string_view event);

}  // namespace tributary::source::mysql::binlog
