// Checks of single option values, each phrased to be followed by ", got '<value>'" (see
// Validator in options.hpp); and the default identifier derived from a pipeline name.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tributary::config::detail {

std::optional<std::string> not_empty(const std::string& value);
std::optional<std::string> pipeline_name(const std::string& value);
std::optional<std::string> slot_name(const std::string& value);
std::optional<std::string> publication_name(const std::string& value);
std::optional<std::string> topic_prefix(const std::string& value);
std::optional<std::string> topic_name(const std::string& value);
std::optional<std::string> bootstrap_servers(const std::string& value);
std::optional<std::string> listen_address(const std::string& value);
std::optional<std::string> broker_default_or_positive(const std::string& value);
std::optional<std::string> skipped_operations(const std::string& value);
/// One pipelines[].message_key_columns entry: `table` ("schema.table") must be captured by the
/// anchored regexes `include` and not `exclude`, `columns` a comma list of non-empty names.
/// Returns what is wrong and the fix, or nothing.
std::optional<std::string> message_key_entry(const std::string& table, const std::string& columns,
                                             const std::vector<std::string>& include,
                                             const std::vector<std::string>& exclude);
std::string default_identifier(const std::string& pipeline_name);

}  // namespace tributary::config::detail
