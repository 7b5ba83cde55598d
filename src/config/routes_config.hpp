// Topic routing of a pipeline (options_routes.cpp): Debezium's ByLogicalTableRouter and
// topic.delimiter.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tributary::config {

/// One entry of pipelines[].routes: a data topic whose whole name (`<prefix>.<schema>.<table>`)
/// matches `match` is renamed to `topic`, where `$1`.. stand for the match's groups.
struct RouteConfig {
  std::string match;
  std::string topic;
  bool operator==(const RouteConfig&) const = default;
};

struct TopicNamingConfig {
  std::string delimiter = ".";
  bool operator==(const TopicNamingConfig&) const = default;
};

/// A piece of a route's topic template: literal text, or (group >= 0) a group of the match.
struct TopicTemplatePiece {
  std::string text;
  int group = -1;
};

/// Parses a route's `topic` as Java's Matcher.replaceFirst reads its replacement (what
/// ByLogicalTableRouter does with topic.replacement): `$` and digits is a group, taking as many
/// digits as still name a group of the `groups` there are; `\x` is the character x. Returns the
/// problem (phrased to follow the key's name), or nothing with `pieces` filled.
inline std::optional<std::string> parse_topic_template(const std::string& text, unsigned groups,
                                                       std::vector<TopicTemplatePiece>* pieces) {
  std::vector<TopicTemplatePiece> out;
  auto literal = [&](char c) {
    if (out.empty() || out.back().group >= 0) out.push_back({});
    out.back().text.push_back(c);
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 == text.size()) return std::string("ends with a lone '\\'; write '\\\\' for one");
      literal(text[++i]);
      continue;
    }
    if (c != '$') {
      literal(c);
      continue;
    }
    if (i + 1 == text.size() || text[i + 1] < '0' || text[i + 1] > '9') {
      return "has a '$' at offset " + std::to_string(i) +
             " without a group number after it: write $1 for the match's first group (named "
             "groups do not exist in ECMAScript regular expressions), or \\$ for a '$'";
    }
    unsigned group = static_cast<unsigned>(text[++i] - '0');
    while (i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9') {
      const unsigned longer = group * 10 + static_cast<unsigned>(text[i + 1] - '0');
      if (longer > groups) break;
      group = longer;
      ++i;
    }
    if (group > groups) {
      return "refers to group $" + std::to_string(group) + " but `match` has " +
             std::to_string(groups) + " group(s): add a (...) group to `match` or use $0..$" +
             std::to_string(groups);
    }
    out.push_back({{}, static_cast<int>(group)});
  }
  if (pieces != nullptr) *pieces = std::move(out);
  return std::nullopt;
}

}  // namespace tributary::config
