// Loads configuration YAML: walks the document against the option table (known and unknown keys,
// lists, missing keys, derived defaults) and collects every error with its key path.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "config/config.hpp"
#include "config/load_state.hpp"
#include "config/options.hpp"
#include "config/text.hpp"

namespace tributary::config {
namespace detail {

namespace {

/// Bounds each message, whatever the input: a key of megabytes is shown cut.
constexpr std::size_t kMaxPathLength = 200;
constexpr std::size_t kMaxMessageLength = 2000;

ConfigError make_error(const std::string& path, const std::string& message) {
  return ConfigError{printable(path, kMaxPathLength), printable(message, kMaxMessageLength)};
}

}  // namespace

void LoadState::error(const std::string& path, std::string message) {
  if (full()) {
    ++omitted;
    return;
  }
  ConfigError entry = make_error(path, message);
  // Point at the key, or at the closest enclosing map that exists in the YAML.
  for (std::string at = path;; at = std::string(parent_path(at))) {
    auto found = marks.find(at);
    if (found != marks.end() && found->second.line >= 0) {
      entry.line = found->second.line + 1;
      entry.column = found->second.column + 1;
      break;
    }
    if (at.empty()) break;
  }
  errors.push_back(std::move(entry));
}

void LoadState::error_at(const std::string& path, const YAML::Node& node, std::string message) {
  if (full()) {
    ++omitted;
    return;
  }
  ConfigError entry = make_error(path, message);
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    entry.line = mark.line + 1;
    entry.column = mark.column + 1;
  }
  errors.push_back(std::move(entry));
}

const std::string& LoadState::as_written(const std::string& path, const std::string& value) const {
  auto found = written.find(path);
  return found == written.end() ? value : found->second;
}

std::string LoadState::shown(const std::string& path, const std::string& value) const {
  return quote(as_written(path, value));
}

}  // namespace detail

namespace {

/// Where each document of a YAML stream starts (the parser's first event of it).
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

/// The number of documents in `text`, as YAML::LoadAll reads them. yaml-cpp 0.7 returns empty
/// documents forever, reading nothing, at a flow indicator that cannot start one (a file holding
/// just ","): LoadAll then grows until memory runs out (found by the config fuzz target). A
/// document that starts where the previous one did is that case: a ParserException there.
std::size_t count_documents(const std::string& text) {
  std::istringstream input(text);
  YAML::Parser parser(input);
  DocumentStarts handler;
  std::size_t documents = 0;
  int previous_start = -1;
  while (parser.HandleNextDocument(handler)) {
    if (handler.start.pos <= previous_start) {
      const auto at = static_cast<std::size_t>(handler.start.pos);
      const char c = at < text.size() ? text[at] : ' ';
      throw YAML::ParserException(
          handler.start, c > ' ' && c < 0x7f ? std::string("'") + c + "' cannot start a value"
                                             : std::string("unexpected character"));
    }
    previous_start = handler.start.pos;
    ++documents;
  }
  return documents;
}

using detail::describe_kind;
using detail::expected_kind;
using detail::Option;
using detail::Scope;
using detail::Target;
using detail::Type;

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "." + std::string(key);
}

class Loader {
 public:
  explicit Loader(const LoadOptions& options) { state_.options = options; }
  LoadResult load(const std::string& yaml_text, const std::string& source_name);

 private:
  void error(const std::string& path, std::string message) {
    state_.error(path, std::move(message));
  }
  void error_at(const std::string& path, const YAML::Node& node, std::string message) {
    state_.error_at(path, node, std::move(message));
  }

  void apply_static_defaults(const std::string& pattern, Target target);
  void walk_section(const YAML::Node& node, const std::string& pattern, const std::string& path,
                    Target target, Scope& scope);
  void walk_list(const Option& option, const YAML::Node& node, const std::string& path,
                 Target target);
  void finish_scope(Target target, Scope& scope);
  void unknown_key(const YAML::Node& key, const std::string& name, const std::string& pattern,
                   const std::string& path);

  detail::LoadState state_;
};

LoadResult Loader::load(const std::string& yaml_text, const std::string& source_name) {
  LoadResult result;
  // YAML allows no NUL, and yaml-cpp reads past one into garbage: stop at the first.
  if (const std::size_t nul = yaml_text.find('\0'); nul != std::string::npos) {
    const std::size_t line_start = yaml_text.rfind('\n', nul);
    const std::size_t line = std::count(yaml_text.begin(), yaml_text.begin() + nul, '\n') + 1;
    const std::size_t column = line_start == std::string::npos ? nul + 1 : nul - line_start;
    state_.error("", source_name + " holds a NUL byte at line " + std::to_string(line) +
                         ", column " + std::to_string(column) +
                         ": a configuration is YAML text; check that it is the right file");
    state_.errors.back().line = static_cast<int>(line);
    state_.errors.back().column = static_cast<int>(column);
    result.errors = std::move(state_.errors);
    return result;
  }
  YAML::Node document;
  try {
    const std::size_t documents = count_documents(yaml_text);
    if (documents > 1) {
      state_.error("", source_name + " holds " + std::to_string(documents) +
                           " YAML documents (separated by '---'); keep only one");
      result.errors = std::move(state_.errors);
      return result;
    }
    if (documents == 1) document = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& exception) {
    std::string where = source_name;
    if (exception.mark.line >= 0) {
      where += " at line " + std::to_string(exception.mark.line + 1) + ", column " +
               std::to_string(exception.mark.column + 1);
    }
    // yaml-cpp quotes the bytes it stopped at (a NUL, an escape sequence): error() escapes them.
    state_.error("", "invalid YAML in " + where + ": " + exception.msg +
                         "; fix the syntax (check indentation, quoting and ':' after keys)");
    if (exception.mark.line >= 0) {
      state_.errors.back().line = exception.mark.line + 1;
      state_.errors.back().column = exception.mark.column + 1;
    }
    result.errors = std::move(state_.errors);
    return result;
  }

  Config config;
  const Target target{&config, nullptr};
  apply_static_defaults("", target);
  if (document.IsMap()) {
    walk_section(document, "", "", target, state_.root);
  } else if (!document.IsNull()) {
    error_at("", document,
             "the top level of " + source_name +
                 " must be a map of keys (pipelines, kafka, ...), got " + describe_kind(document));
    state_.root.rejected.insert("");
  }
  finish_scope(target, state_.root);
  detail::cross_checks(state_, config);

  if (state_.errors.empty()) result.config = std::move(config);
  result.errors = std::move(state_.errors);
  result.omitted_errors = state_.omitted;
  return result;
}

void Loader::apply_static_defaults(const std::string& pattern, Target target) {
  for (const auto& option : detail::options()) {
    if (option.default_value.empty() || detail::scope_path(option.path) != pattern) continue;
    const std::size_t errors_before = state_.errors.size();
    detail::parse_value(state_, option, YAML::Load(std::string(option.default_value)),
                        std::string(option.path), target, /*from_user=*/false);
    if (state_.errors.size() != errors_before) {
      throw std::logic_error("config option table: default of " + std::string(option.path) +
                             " does not parse: " + state_.errors.back().message);
    }
  }
}

void Loader::walk_section(const YAML::Node& node, const std::string& pattern,
                          const std::string& path, Target target, Scope& scope) {
  std::set<std::string> keys_seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    const YAML::Node& value = entry.second;
    if (!key.IsScalar()) {
      error_at(path, key, "keys must be plain names, got " + describe_kind(key) + " as a key");
      continue;
    }
    const std::string name = key.Scalar();
    const std::string child_pattern = join(pattern, name);
    const std::string child_path = join(path, name);
    if (!keys_seen.insert(name).second) {
      error_at(child_path, key, "is given more than once in the same map; keep one");
      continue;
    }
    const Option* option = name.find_first_of(".[") == std::string::npos
                               ? detail::find_option(child_pattern)
                               : nullptr;
    if (option == nullptr) {
      unknown_key(key, name, pattern, path);
      continue;
    }
    state_.marks[child_path] = value.Mark().line >= 0 ? value.Mark() : key.Mark();
    scope.present.insert(child_pattern);
    bool ok = true;
    if (option->type == Type::kSection) {
      if (value.IsMap()) {
        walk_section(value, child_pattern, child_path, target, scope);
      } else if (!value.IsNull()) {  // an empty section means "all defaults"
        error_at(child_path, value,
                 "must be " + expected_kind(*option) + ", got " + describe_kind(value));
        ok = false;
      }
    } else if (option->type == Type::kList) {
      walk_list(*option, value, child_path, target);
    } else {
      ok = detail::parse_value(state_, *option, value, child_path, target, /*from_user=*/true);
    }
    if (!ok) scope.rejected.insert(child_pattern);
  }
}

void Loader::walk_list(const Option& option, const YAML::Node& node, const std::string& path,
                       Target target) {
  if (!node.IsSequence()) {
    error_at(path, node, "must be " + expected_kind(option) + ", got " + describe_kind(node));
    state_.root.rejected.insert(std::string(option.path));
    return;
  }
  if (static_cast<int64_t>(node.size()) < option.min) {
    error_at(path, node,
             "must list at least one pipeline, e.g. '" + std::string(option.example) + "'");
    state_.root.rejected.insert(std::string(option.path));
    return;
  }
  const std::string element_pattern = std::string(option.path) + "[]";
  // "each pipeline must be a map of keys (name, source, tables, ...)": the noun is the list's
  // name in the singular, the keys its first three.
  std::string noun(detail::leaf_name(option.path));
  if (!noun.empty() && noun.back() == 's') noun.pop_back();
  std::string keys;
  int listed = 0;
  for (const auto& child : detail::options()) {
    if (detail::parent_path(child.path) != element_pattern || listed == 3) continue;
    keys += (listed++ == 0 ? "" : ", ") + std::string(detail::leaf_name(child.path));
  }
  auto* pipelines = std::get_if<std::vector<PipelineConfig>& (*)(Target)>(&option.bind);
  auto* overrides = std::get_if<std::vector<TopicOverride>& (*)(Target)>(&option.bind);
  auto* rules = std::get_if<std::vector<ColumnMaskRule>& (*)(Target)>(&option.bind);
  auto* routes = std::get_if<std::vector<RouteConfig>& (*)(Target)>(&option.bind);
  if (pipelines == nullptr && overrides == nullptr && rules == nullptr && routes == nullptr) {
    throw std::logic_error("config option table: list " + std::string(option.path) +
                           " has no list binding");
  }
  // Reserved up front: element targets point into the list while it grows.
  if (pipelines != nullptr) (*pipelines)(target).reserve(node.size());
  if (overrides != nullptr) (*overrides)(target).reserve(node.size());
  if (rules != nullptr) (*rules)(target).reserve(node.size());
  if (routes != nullptr) (*routes)(target).reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    const std::string element_path = path + "[" + std::to_string(i) + "]";
    state_.marks[element_path] = element.Mark();
    Target element_target{target.config, nullptr, nullptr};
    Scope* scope = nullptr;
    if (pipelines != nullptr) {
      element_target.pipeline = &(*pipelines)(target).emplace_back();
      scope = &state_.pipelines.emplace_back();
    } else if (rules != nullptr) {
      element_target.pipeline = target.pipeline;
      element_target.column_rule = &(*rules)(target).emplace_back();
      scope = &state_.column_rules.emplace_back();
    } else if (routes != nullptr) {
      element_target.pipeline = target.pipeline;
      element_target.route = &(*routes)(target).emplace_back();
      scope = &state_.routes.emplace_back();
    } else {
      element_target.topic_override = &(*overrides)(target).emplace_back();
      scope = &state_.overrides.emplace_back();
    }
    scope->pattern = element_pattern;
    scope->path = element_path;
    apply_static_defaults(element_pattern, element_target);
    if (element.IsMap()) {
      walk_section(element, element_pattern, element_path, element_target, *scope);
    } else {
      error_at(element_path, element,
               "each " + noun + " must be a map of keys (" + keys + ", ...), got " +
                   describe_kind(element));
      scope->rejected.insert(element_pattern);
      continue;
    }
    finish_scope(element_target, *scope);
  }
}

void Loader::unknown_key(const YAML::Node& key, const std::string& name, const std::string& pattern,
                         const std::string& path) {
  if (state_.full()) {  // counted only: finding a suggestion for millions of keys is not cheap
    ++state_.omitted;
    return;
  }
  const std::string key_path = join(path, name);
  const std::string prefix = pattern.empty() ? "" : pattern + ".";
  std::vector<std::string> siblings;
  std::vector<std::string> descendants;  // relative paths of every key below this level
  for (const auto& option : detail::options()) {
    if (option.path.substr(0, prefix.size()) != prefix) continue;
    const std::string_view rest = option.path.substr(prefix.size());
    if (rest.find_first_of(".[") == std::string_view::npos) siblings.emplace_back(rest);
    descendants.emplace_back(rest);
  }
  std::string message = "unknown key " + detail::quote(name);
  if (name == "<<") {
    error_at(key_path, key, message + "; YAML merge keys are not supported, write the keys out");
    return;
  }
  if (name.find('.') != std::string::npos &&
      std::find(descendants.begin(), descendants.end(), name) != descendants.end()) {
    error_at(key_path, key,
             message + "; dotted keys are not expanded, nest the keys instead (write '" +
                 std::string(detail::parent_path(name)) + ":' and below it '" +
                 std::string(detail::leaf_name(name)) + ":')");
    return;
  }
  if (auto close = detail::closest_match(name, siblings)) {
    error_at(key_path, key, message + "; did you mean '" + *close + "'?");
    return;
  }
  // A known key at the wrong depth ("port" directly under a pipeline instead of under "source").
  for (const auto& candidate : descendants) {
    if (candidate.find('.') != std::string::npos && detail::leaf_name(candidate) == name &&
        candidate.find('[') == std::string::npos) {
      error_at(key_path, key,
               message + "; did you mean '" + candidate + "'? ('" + name + "' belongs under '" +
                   std::string(detail::parent_path(candidate)) + "')");
      return;
    }
  }
  std::string valid;
  for (const auto& sibling : siblings) valid += (valid.empty() ? "" : ", ") + sibling;
  error_at(key_path, key, message + "; valid keys here are: " + valid);
}

void Loader::finish_scope(Target target, Scope& scope) {
  for (const auto& option : detail::options()) {
    if (detail::scope_path(option.path) != scope.pattern) continue;
    if (option.path == scope.pattern) continue;
    // Keys below a rejected section or element were not looked at: do not call them missing.
    bool below_rejected = false;
    for (std::string_view ancestor = detail::parent_path(option.path);
         ancestor.size() >= scope.pattern.size(); ancestor = detail::parent_path(ancestor)) {
      if (scope.rejected.count(ancestor) > 0) below_rejected = true;
      if (ancestor.empty()) break;
    }
    if (scope.rejected.count(scope.pattern) > 0) below_rejected = true;
    if (below_rejected || scope.present.count(option.path) > 0) continue;

    if (option.required) {
      const std::string path = scope.concrete(option.path);
      const std::string parent(detail::parent_path(path));
      error(path, "is required but missing; add '" + std::string(option.example) + "'" +
                      (parent.empty() ? "" : " under '" + parent + "'"));
      continue;
    }
    if (option.derive == nullptr) continue;
    option.derive(target);
    // A derived default is checked like a given value, unless what it derives from is wrong.
    if (option.validate == nullptr || !scope.usable(option.derived_from)) continue;
    auto* bind = std::get_if<std::string& (*)(Target)>(&option.bind);
    if (bind == nullptr) continue;
    const std::string& value = (*bind)(target);
    if (auto problem = option.validate(value)) {
      error(scope.concrete(option.path), "the default " + detail::quote(value) + " derived from '" +
                                             std::string(detail::leaf_name(option.derived_from)) +
                                             "' does not work: it " + *problem + "; set '" +
                                             std::string(detail::leaf_name(option.path)) +
                                             "' explicitly");
    }
  }
}

}  // namespace

LoadResult load_from_string(const std::string& yaml_text, const std::string& source_name,
                            const LoadOptions& options) {
  return Loader(options).load(yaml_text, source_name);
}

LoadResult load_from_file(const std::string& path, const LoadOptions& options) {
  std::string text;
  if (auto failure = detail::read_whole_file(path, kMaxConfigFileBytes, text)) {
    LoadResult result;
    if (*failure == EFBIG) {
      result.errors.push_back(
          {"", "configuration file " + detail::quote(path) + " is larger than " +
                   detail::describe_size(kMaxConfigFileBytes) +
                   ", the most tributary reads; check the path (a configuration is a few KiB; "
                   "config/tributary.yaml is a commented example)"});
    } else {
      result.errors.push_back(
          {"", "cannot read configuration file " + detail::quote(path) + ": " +
                   std::generic_category().message(*failure) +
                   "; check the path (config/tributary.yaml is a commented example)"});
    }
    return result;
  }
  return load_from_string(text, path, options);
}

std::string_view to_string(SourceType type) {
  return detail::find_option("pipelines[].source.type")->allowed.at(static_cast<std::size_t>(type));
}

std::string_view to_string(SnapshotMode mode) {
  return detail::find_option("pipelines[].snapshot.mode")
      ->allowed.at(static_cast<std::size_t>(mode));
}

}  // namespace tributary::config
