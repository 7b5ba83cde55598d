// Checks of single option values (names, addresses, topic names) used by the option table.
#include "config/validators.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "config/text.hpp"

namespace tributary::config::detail {
namespace {

bool all_of_chars(const std::string& value, bool (*allowed)(char)) {
  return std::all_of(value.begin(), value.end(), allowed);
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_topic_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

}  // namespace

std::optional<std::string> not_empty(const std::string& value) {
  if (value.empty()) return "must not be empty";
  return std::nullopt;
}

std::optional<std::string> pipeline_name(const std::string& value) {
  if (value.empty() || value.size() > 100 || !all_of_chars(value, is_name_char)) {
    return "must be 1 to 100 letters, digits, '_', '.' or '-' (it names the checkpoint file and "
           "the Kafka transactional.id)";
  }
  return std::nullopt;
}

std::optional<std::string> slot_name(const std::string& value) {
  if (value.empty() || value.size() > 63 || !all_of_chars(value, is_identifier_char)) {
    return "must be 1 to 63 lowercase letters, digits or '_' (PostgreSQL's rule for replication "
           "slot names)";
  }
  return std::nullopt;
}

std::optional<std::string> publication_name(const std::string& value) {
  if (value.empty() || value.size() > 63 || !all_of_chars(value, is_identifier_char)) {
    return "must be 1 to 63 lowercase letters, digits or '_' (an unquoted PostgreSQL identifier)";
  }
  return std::nullopt;
}

std::optional<std::string> topic_prefix(const std::string& value) {
  if (value.empty() || value.size() > 200 || !all_of_chars(value, is_topic_char)) {
    return "must be 1 to 200 letters, digits, '.', '_' or '-' (the characters Kafka allows in "
           "topic names; topics are '<topic_prefix>.<schema>.<table>')";
  }
  return std::nullopt;
}

std::optional<std::string> skipped_operations(const std::string& value) {
  constexpr std::string_view kRule =
      "must be 'none' or a comma-separated list of operations to skip while streaming: 'c' "
      "(create), 'u' (update), 'd' (delete), 't' (truncate), e.g. 't' or 'c,d'";
  if (value == "none") return std::nullopt;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item != "c" && item != "u" && item != "d" && item != "t") return std::string(kRule);
    start = comma + 1;
  }
  return std::nullopt;
}

std::optional<std::string> topic_name(const std::string& value) {
  if (value.empty() || value.size() > 249 || !all_of_chars(value, is_topic_char) || value == "." ||
      value == "..") {
    return "must be a legal Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-', and not "
           "'.' or '..'";
  }
  return std::nullopt;
}

std::optional<std::string> bootstrap_servers(const std::string& value) {
  constexpr std::string_view kRule =
      "must be a comma-separated list of host:port, e.g. 'kafka1:9092,kafka2:9092'";
  if (value.empty()) return std::string(kRule);
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string server = value.substr(start, comma - start);
    server.erase(0, server.find_first_not_of(' '));
    server.erase(server.find_last_not_of(' ') + 1);
    if (server.empty() || server.find_first_of(" \t") != std::string::npos) {
      return std::string(kRule);
    }
    start = comma + 1;
  }
  return std::nullopt;
}

std::optional<std::string> listen_address(const std::string& value) {
  if (value.empty()) return std::nullopt;
  constexpr std::string_view kRule =
      "must be host:port with a port from 0 to 65535 (0 picks a free port; IPv6 as "
      "'[::1]:9187'), or '' to disable the endpoint";
  const std::size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::string(kRule);
  const std::string host = value.substr(0, colon);
  if (host.find(':') != std::string::npos && (host.front() != '[' || host.back() != ']')) {
    return std::string(kRule);
  }
  int64_t port = 0;
  if (!parse_integer(value.substr(colon + 1), port) || port < 0 || port > 65535) {
    return std::string(kRule);
  }
  return std::nullopt;
}

/// Partition counts and replication factors: -1 asks the broker for its default.

std::optional<std::string> broker_default_or_positive(const std::string& value) {
  int64_t number = 0;
  if (parse_integer(value, number) && number != -1 && number < 1) {
    return "must be -1 (the broker's default) or an integer of at least 1";
  }
  return std::nullopt;
}

std::optional<std::string> message_key_entry(const std::string& table, const std::string& columns,
                                             const std::vector<std::string>& include,
                                             const std::vector<std::string>& exclude) {
  const auto dot = table.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == table.size() ||
      table.find('.', dot + 1) != std::string::npos) {
    return "names no table: write it as schema.table, e.g. public.orders";
  }
  auto any_match = [&](const std::vector<std::string>& patterns) {
    for (const auto& pattern : patterns) {
      try {
        if (std::regex_match(table, std::regex(pattern))) return true;
      } catch (const std::regex_error&) {
        // An invalid pattern is reported at its own key.
      }
    }
    return false;
  };
  if (!any_match(include) || any_match(exclude)) {
    return "names table " + table +
           ", which tables.include / tables.exclude do not capture: fix the table name, or "
           "capture the table, or remove the entry";
  }
  std::size_t start = 0;
  while (true) {
    const auto comma = columns.find(',', start);
    const std::string name =
        columns.substr(start, comma == std::string::npos ? comma : comma - start);
    if (name.find_first_not_of(" \t") == std::string::npos) {
      return "must be a comma-separated list of column names, e.g. \"customer_id,order_id\", "
             "got '" +
             columns + "'";
    }
    if (comma == std::string::npos) return std::nullopt;
    start = comma + 1;
  }
}

/// Default slot and publication: "tributary_" + the name, lowercased, '-' and '.' as '_'.

std::string default_identifier(const std::string& pipeline_name) {
  std::string out = "tributary_";
  for (char c : pipeline_name) {
    if (c == '-' || c == '.') {
      out += '_';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace tributary::config::detail
