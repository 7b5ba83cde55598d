// What one configuration load builds up, shared by the YAML walk (loader.cpp), the conversion of
// values into the typed structs (values.cpp) and the checks across keys (cross_checks.cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/options.hpp"

namespace tributary::config::detail {

/// The parse state of one scope: the root document, or one element of a list (`pipelines`).
struct Scope {
  std::string pattern;                          ///< "" or "pipelines[]"
  std::string path;                             ///< "" or "pipelines[3]"
  std::set<std::string, std::less<>> present;   ///< option paths given in the YAML
  std::set<std::string, std::less<>> rejected;  ///< option paths whose value was wrong

  std::string concrete(std::string_view option_path) const {
    return path + std::string(option_path.substr(pattern.size()));
  }
  bool usable(std::string_view option_path) const {
    return present.count(option_path) > 0 && rejected.count(option_path) == 0;
  }
};

struct LoadState {
  LoadOptions options;
  std::vector<ConfigError> errors;          ///< the first kMaxErrors
  std::size_t omitted = 0;                  ///< errors past kMaxErrors, counted only
  std::map<std::string, YAML::Mark> marks;  ///< concrete key path -> where its value is
  /// Concrete key path -> the value as written, for values that use `${NAME}`: messages show
  /// this, never the expanded value.
  std::map<std::string, std::string> written;
  Scope root;
  std::vector<Scope> pipelines;    ///< one per element of `pipelines`, same order
  std::vector<Scope> overrides;    ///< one per element of `kafka.topics.overrides`, same order
  std::deque<Scope> column_rules;  ///< one per element of a pipelines[].columns mask list
  std::deque<Scope> routes;        ///< one per element of a pipelines[].routes list

  /// kMaxErrors are kept: further errors need not be described (only counted by error()).
  bool full() const { return errors.size() >= kMaxErrors; }
  /// An error at `path`, placed at the key or the closest enclosing map that exists in the YAML.
  void error(const std::string& path, std::string message);
  /// An error at `path`, placed at `node`.
  void error_at(const std::string& path, const YAML::Node& node, std::string message);
  /// `value` (read from `path`) for a message: as written when it used `${NAME}`.
  const std::string& as_written(const std::string& path, const std::string& value) const;
  /// as_written, quoted (and cut, control bytes escaped).
  std::string shown(const std::string& path, const std::string& value) const;
};

/// "a single value", "a list", "a map" or "nothing", for "got ..." in messages.
std::string describe_kind(const YAML::Node& node);
/// What a value of this option looks like, for "must be <...>, got <...>".
std::string expected_kind(const Option& option);

/// Converts `node` into the member `option` binds to; false (with the errors recorded) when the
/// value is wrong. `from_user`: the value is the user's (${ENV} expanded), not a table default.
bool parse_value(LoadState& state, const Option& option, const YAML::Node& node,
                 const std::string& path, Target target, bool from_user);

/// pipelines[].routes: each `topic` names only groups its `match` has, and no two routes of a
/// pipeline have the same `match` (options_routes.cpp; run by cross_checks).
void check_routes(LoadState& state, const Config& config);

/// The checks that involve several keys, in cross_check_descriptions() order.
void cross_checks(LoadState& state, Config& config);

}  // namespace tributary::config::detail
