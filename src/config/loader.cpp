// Loads configuration YAML: walks the document against the option table, collects every error
// with its key path, then runs the checks that involve several keys.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>

#include "config/config.hpp"
#include "config/options.hpp"
#include "config/text.hpp"

namespace tributary::config {
namespace {

using detail::Option;
using detail::Target;
using detail::Type;

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "." + std::string(key);
}

std::string describe_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

std::string join_allowed(const Option& option) {
  std::string out;
  for (std::size_t i = 0; i < option.allowed.size(); ++i) {
    if (i > 0) out += i + 1 == option.allowed.size() ? " or " : ", ";
    out += "'" + std::string(option.allowed[i]) + "'";
  }
  return out;
}

/// What a value of this option looks like, for "must be <...>, got <...>".
std::string expected_kind(const Option& option) {
  switch (option.type) {
    case Type::kSection:
      return "a map of keys ('key: value' lines indented below it)";
    case Type::kList:
      return "a list ('- ' entries indented below it)";
    case Type::kString:
      return "a single value";
    case Type::kInteger:
      return "an integer";
    case Type::kBoolean:
      return "true or false";
    case Type::kEnum:
      return "one of " + join_allowed(option);
    case Type::kStringList:
      return "a list of strings, e.g. [\"a\", \"b\"]";
    case Type::kStringMap:
      return "a map of 'key: value' pairs";
  }
  return "a value";
}

std::string integer_rule(const Option& option) {
  if (option.max == std::numeric_limits<int64_t>::max()) {
    return "must be an integer of at least " + std::to_string(option.min);
  }
  return "must be an integer between " + std::to_string(option.min) + " and " +
         std::to_string(option.max);
}

/// The parse state of one scope: the root document, or one element of `pipelines`.
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

class Loader {
 public:
  LoadResult load(const std::string& yaml_text, const std::string& source_name);

 private:
  void error(const std::string& path, std::string message);
  void error_at(const std::string& path, const YAML::Node& node, std::string message);

  void apply_static_defaults(const std::string& pattern, Target target);
  void walk_section(const YAML::Node& node, const std::string& pattern, const std::string& path,
                    Target target, Scope& scope);
  void walk_list(const Option& option, const YAML::Node& node, const std::string& path,
                 Target target);
  void finish_scope(Target target, Scope& scope);
  void unknown_key(const YAML::Node& key, const std::string& name, const std::string& pattern,
                   const std::string& path);

  bool parse_value(const Option& option, const YAML::Node& node, const std::string& path,
                   Target target, bool from_user);
  std::optional<std::string> scalar_text(const Option& option, const YAML::Node& node,
                                         const std::string& path, bool from_user);
  bool store_scalar(const Option& option, const std::string& text, const YAML::Node& node,
                    const std::string& path, Target target);
  bool parse_string_list(const Option& option, const YAML::Node& node, const std::string& path,
                         Target target, bool from_user);
  bool parse_string_map(const Option& option, const YAML::Node& node, const std::string& path,
                        Target target, bool from_user);

  void cross_checks(Config& config);

  std::vector<ConfigError> errors_;
  std::map<std::string, YAML::Mark> marks_;  ///< concrete key path -> where its value is
  Scope root_;
  std::vector<Scope> pipelines_;  ///< one per element of `pipelines`, same order
  std::vector<Scope> overrides_;  ///< one per element of `kafka.topics.overrides`, same order
};

void Loader::error(const std::string& path, std::string message) {
  ConfigError entry{path, std::move(message)};
  // Point at the key, or at the closest enclosing map that exists in the YAML.
  for (std::string at = path;; at = std::string(detail::parent_path(at))) {
    auto found = marks_.find(at);
    if (found != marks_.end() && found->second.line >= 0) {
      entry.line = found->second.line + 1;
      entry.column = found->second.column + 1;
      break;
    }
    if (at.empty()) break;
  }
  errors_.push_back(std::move(entry));
}

void Loader::error_at(const std::string& path, const YAML::Node& node, std::string message) {
  ConfigError entry{path, std::move(message)};
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    entry.line = mark.line + 1;
    entry.column = mark.column + 1;
  }
  errors_.push_back(std::move(entry));
}

LoadResult Loader::load(const std::string& yaml_text, const std::string& source_name) {
  LoadResult result;
  YAML::Node document;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(yaml_text);
    if (documents.size() > 1) {
      result.errors.push_back({"", source_name + " holds " + std::to_string(documents.size()) +
                                       " YAML documents (separated by '---'); keep only one"});
      return result;
    }
    if (!documents.empty()) document = documents.front();
  } catch (const YAML::ParserException& exception) {
    ConfigError entry;
    std::string where = source_name;
    if (exception.mark.line >= 0) {
      entry.line = exception.mark.line + 1;
      entry.column = exception.mark.column + 1;
      where +=
          " at line " + std::to_string(entry.line) + ", column " + std::to_string(entry.column);
    }
    entry.message = "invalid YAML in " + where + ": " + exception.msg +
                    "; fix the syntax (check indentation, quoting and ':' after keys)";
    result.errors.push_back(std::move(entry));
    return result;
  }

  Config config;
  const Target target{&config, nullptr};
  apply_static_defaults("", target);
  if (document.IsMap()) {
    walk_section(document, "", "", target, root_);
  } else if (!document.IsNull()) {
    error_at("", document,
             "the top level of " + source_name +
                 " must be a map of keys (pipelines, kafka, ...), got " + describe_kind(document));
    root_.rejected.insert("");
  }
  finish_scope(target, root_);
  cross_checks(config);

  if (errors_.empty()) result.config = std::move(config);
  result.errors = std::move(errors_);
  return result;
}

void Loader::apply_static_defaults(const std::string& pattern, Target target) {
  for (const auto& option : detail::options()) {
    if (option.default_value.empty() || detail::scope_path(option.path) != pattern) continue;
    const std::size_t errors_before = errors_.size();
    parse_value(option, YAML::Load(std::string(option.default_value)), std::string(option.path),
                target, /*from_user=*/false);
    if (errors_.size() != errors_before) {
      throw std::logic_error("config option table: default of " + std::string(option.path) +
                             " does not parse: " + errors_.back().message);
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
    marks_[child_path] = value.Mark().line >= 0 ? value.Mark() : key.Mark();
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
      ok = parse_value(*option, value, child_path, target, /*from_user=*/true);
    }
    if (!ok) scope.rejected.insert(child_pattern);
  }
}

void Loader::walk_list(const Option& option, const YAML::Node& node, const std::string& path,
                       Target target) {
  if (!node.IsSequence()) {
    error_at(path, node, "must be " + expected_kind(option) + ", got " + describe_kind(node));
    root_.rejected.insert(std::string(option.path));
    return;
  }
  if (static_cast<int64_t>(node.size()) < option.min) {
    error_at(path, node,
             "must list at least one pipeline, e.g. '" + std::string(option.example) + "'");
    root_.rejected.insert(std::string(option.path));
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
  if (pipelines == nullptr && overrides == nullptr) {
    throw std::logic_error("config option table: list " + std::string(option.path) +
                           " has no list binding");
  }
  // Reserved up front: element targets point into the list while it grows.
  if (pipelines != nullptr) (*pipelines)(target).reserve(node.size());
  if (overrides != nullptr) (*overrides)(target).reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    const std::string element_path = path + "[" + std::to_string(i) + "]";
    marks_[element_path] = element.Mark();
    Target element_target{target.config, nullptr, nullptr};
    Scope* scope = nullptr;
    if (pipelines != nullptr) {
      element_target.pipeline = &(*pipelines)(target).emplace_back();
      scope = &pipelines_.emplace_back();
    } else {
      element_target.topic_override = &(*overrides)(target).emplace_back();
      scope = &overrides_.emplace_back();
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
  std::string message = "unknown key '" + name + "'";
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

std::optional<std::string> Loader::scalar_text(const Option& option, const YAML::Node& node,
                                               const std::string& path, bool from_user) {
  if (node.IsNull()) {
    const bool list_element = !path.empty() && path.back() == ']';
    std::string message = "has no value; set one";
    if (option.type == Type::kString) message += " (write '' for an empty string)";
    if (!option.required && !list_element) message += ", or remove the key to use the default";
    error_at(path, node, message);
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    error_at(
        path, node,
        "must be " +
            (option.type == Type::kStringList ? std::string("a string") : expected_kind(option)) +
            ", got " + describe_kind(node));
    return std::nullopt;
  }
  if (!from_user) return node.Scalar();
  std::string expanded;
  if (auto problem = detail::expand_environment(node.Scalar(), expanded)) {
    error_at(path, node, std::move(*problem));
    return std::nullopt;
  }
  return expanded;
}

bool Loader::parse_value(const Option& option, const YAML::Node& node, const std::string& path,
                         Target target, bool from_user) {
  switch (option.type) {
    case Type::kStringList:
      return parse_string_list(option, node, path, target, from_user);
    case Type::kStringMap:
      return parse_string_map(option, node, path, target, from_user);
    case Type::kSection:
    case Type::kList:
      throw std::logic_error("config option table: " + std::string(option.path) +
                             " is not a value");
    default:
      break;
  }
  auto text = scalar_text(option, node, path, from_user);
  if (!text) return false;
  return store_scalar(option, *text, node, path, target);
}

bool Loader::store_scalar(const Option& option, const std::string& text, const YAML::Node& node,
                          const std::string& path, Target target) {
  // Never echo a secret; everything else is shown so the user sees what was actually read.
  const std::string got = option.secret ? "" : ", got " + detail::quote(text);
  switch (option.type) {
    case Type::kString: {
      if (option.validate != nullptr) {
        if (auto problem = option.validate(text)) {
          error_at(path, node, *problem + got);
          return false;
        }
      }
      std::get<std::string& (*)(Target)>(option.bind)(target) = text;
      return true;
    }
    case Type::kInteger: {
      int64_t value = 0;
      const bool parsed = detail::parse_integer(text, value);
      if (parsed && option.validate != nullptr) {
        if (auto problem = option.validate(text)) {
          error_at(path, node, *problem + got);
          return false;
        }
      }
      if (!parsed || value < option.min || value > option.max) {
        error_at(path, node, integer_rule(option) + got);
        return false;
      }
      if (auto* as_int = std::get_if<int& (*)(Target)>(&option.bind)) {
        (*as_int)(target) = static_cast<int>(value);
      } else {
        std::get<int64_t& (*)(Target)>(option.bind)(target) = value;
      }
      return true;
    }
    case Type::kBoolean: {
      const auto value = detail::parse_boolean(text);
      if (!value) {
        error_at(path, node, "must be true or false" + got);
        return false;
      }
      std::get<bool& (*)(Target)>(option.bind)(target) = *value;
      return true;
    }
    case Type::kEnum: {
      for (std::size_t i = 0; i < option.allowed.size(); ++i) {
        if (option.allowed[i] != text) continue;
        if (auto* as_text = std::get_if<std::string& (*)(Target)>(&option.bind)) {
          (*as_text)(target) = text;
        } else {
          std::get<void (*)(Target, std::size_t)>(option.bind)(target, i);
        }
        return true;
      }
      std::string message = "must be " + expected_kind(option) + got;
      const std::vector<std::string> allowed(option.allowed.begin(), option.allowed.end());
      if (auto close = detail::closest_match(text, allowed); close && !option.secret) {
        message += "; did you mean '" + *close + "'?";
      }
      error_at(path, node, message);
      return false;
    }
    default:
      throw std::logic_error("config option table: " + std::string(option.path) +
                             " is not a scalar");
  }
}

bool Loader::parse_string_list(const Option& option, const YAML::Node& node,
                               const std::string& path, Target target, bool from_user) {
  std::vector<std::string> values;
  if (!node.IsNull()) {  // an empty value is an empty list
    if (!node.IsSequence()) {
      error_at(path, node, "must be " + expected_kind(option) + ", got " + describe_kind(node));
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      auto text = scalar_text(option, node[i], element_path, from_user);
      if (!text) {
        ok = false;
        continue;
      }
      if (option.validate != nullptr) {
        if (auto problem = option.validate(*text)) {
          error_at(element_path, node[i], *problem + ", got " + detail::quote(*text));
          ok = false;
          continue;
        }
      }
      values.push_back(std::move(*text));
    }
    if (!ok) return false;
  }
  if (static_cast<int64_t>(values.size()) < option.min) {
    error_at(path, node,
             "must list at least " + std::to_string(option.min) + " pattern" +
                 (option.min == 1 ? "" : "s") + ", e.g. [\"public\\\\..*\"]");
    return false;
  }
  std::get<std::vector<std::string>& (*)(Target)>(option.bind)(target) = std::move(values);
  return true;
}

bool Loader::parse_string_map(const Option& option, const YAML::Node& node, const std::string& path,
                              Target target, bool from_user) {
  std::map<std::string, std::string> values;
  if (!node.IsNull()) {
    if (!node.IsMap()) {
      error_at(path, node, "must be " + expected_kind(option) + ", got " + describe_kind(node));
      return false;
    }
    bool ok = true;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        error_at(path, entry.first, "keys must be plain names, got " + describe_kind(entry.first));
        ok = false;
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string key_path = path + "." + key;
      const YAML::Node& value = entry.second;
      marks_[key_path] = value.Mark();
      if (values.count(key) > 0) {
        error_at(key_path, entry.first, "is given more than once in the same map; keep one");
        ok = false;
        continue;
      }
      // Values may be credentials (sasl.password): messages here never include them.
      if (value.IsNull()) {
        error_at(key_path, value, "has no value; set one, or remove the key");
        ok = false;
        continue;
      }
      if (!value.IsScalar()) {
        error_at(key_path, value,
                 "must be a string, number or boolean (librdkafka takes text), got " +
                     describe_kind(value));
        ok = false;
        continue;
      }
      std::string text = value.Scalar();
      if (from_user) {
        std::string expanded;
        if (auto problem = detail::expand_environment(text, expanded)) {
          error_at(key_path, value, std::move(*problem));
          ok = false;
          continue;
        }
        text = std::move(expanded);
      }
      // YAML reads `yes`/`on` as booleans; librdkafka only knows "true"/"false". Quoted values
      // (tag "!") are strings and stay as written.
      if (value.Tag() != "!") {
        if (auto boolean = detail::parse_boolean(text); boolean && text.size() > 1) {
          text = *boolean ? "true" : "false";
        }
      }
      values.emplace(key, std::move(text));
    }
    if (!ok) return false;
  }
  std::get<std::map<std::string, std::string>& (*)(Target)>(option.bind)(target) =
      std::move(values);
  return true;
}

void Loader::cross_checks(Config& config) {
  // The order follows detail::cross_check_descriptions().
  // 1. Unique pipeline names.
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < pipelines_.size() && i < config.pipelines.size(); ++i) {
    if (!pipelines_[i].usable("pipelines[].name")) continue;
    const std::string& name = config.pipelines[i].name;
    auto [first, inserted] = names.emplace(name, i);
    if (!inserted) {
      error(pipelines_[i].concrete("pipelines[].name"),
            "duplicate pipeline name " + detail::quote(name) + " (also pipelines[" +
                std::to_string(first->second) +
                "].name); names must be unique because they key the checkpoint file and the "
                "Kafka transactional.id");
    }
  }

  // 2. One slot per pipeline on the same PostgreSQL database.
  std::map<std::string, std::size_t> slots;
  for (std::size_t i = 0; i < pipelines_.size() && i < config.pipelines.size(); ++i) {
    const SourceConfig& source = config.pipelines[i].source;
    const Scope& scope = pipelines_[i];
    if (source.type != SourceType::kPostgres || source.slot.empty() ||
        scope.rejected.count("pipelines[].source.slot") > 0) {
      continue;
    }
    const std::string location =
        source.host + ":" + std::to_string(source.port) + "/" + source.database;
    auto [first, inserted] = slots.emplace(location + "\n" + source.slot, i);
    if (!inserted) {
      error(scope.concrete("pipelines[].source.slot"),
            "replication slot " + detail::quote(source.slot) + " is also used by pipelines[" +
                std::to_string(first->second) + "] on the same database (" + location +
                "); two pipelines cannot share a slot, set a different 'slot' on one of them");
    }
  }

  // 3. password vs password_file, and reading password_file.
  for (std::size_t i = 0; i < pipelines_.size() && i < config.pipelines.size(); ++i) {
    SourceConfig& source = config.pipelines[i].source;
    const Scope& scope = pipelines_[i];
    if (!scope.usable("pipelines[].source.password_file") || source.password_file.empty()) {
      continue;
    }
    const std::string path = scope.concrete("pipelines[].source.password_file");
    if (scope.present.count("pipelines[].source.password") > 0) {
      error(path, "is set together with 'password'; set only one of them");
      continue;
    }
    std::string contents;
    if (auto failure = detail::read_whole_file(source.password_file, contents)) {
      error(path, "cannot read password file " + detail::quote(source.password_file) + ": " +
                      std::generic_category().message(*failure) +
                      "; check the path and that tributary's user may read it");
      continue;
    }
    while (!contents.empty() && (contents.back() == '\n' || contents.back() == '\r')) {
      contents.pop_back();
    }
    if (contents.empty()) {
      error(path, "password file " + detail::quote(source.password_file) +
                      " is empty; write the password into it");
      continue;
    }
    source.password = std::move(contents);
  }

  // 4. Derived defaults are checked in finish_scope, where they are computed.

  // 5. A batch must be able to commit within the transaction timeout.
  if (root_.rejected.count("kafka.batch.max_ms") == 0 &&
      root_.rejected.count("kafka.transaction_timeout_ms") == 0 &&
      config.kafka.batch.max_ms >= config.kafka.transaction_timeout_ms) {
    error("kafka.batch.max_ms", "must be less than kafka.transaction_timeout_ms (" +
                                    std::to_string(config.kafka.transaction_timeout_ms) +
                                    "), got '" + std::to_string(config.kafka.batch.max_ms) +
                                    "'; lower it or raise the transaction timeout");
  }

  // 6. librdkafka properties tributary owns.
  if (root_.rejected.count("kafka.properties") == 0) {
    for (const auto& [key, value] : config.kafka.properties) {
      auto reserved = detail::reserved_kafka_properties().find(key);
      if (reserved != detail::reserved_kafka_properties().end()) {
        error("kafka.properties." + key, "is set by tributary; " + reserved->second);
      }
    }
  }
}

}  // namespace

LoadResult load_from_string(const std::string& yaml_text, const std::string& source_name) {
  return Loader().load(yaml_text, source_name);
}

LoadResult load_from_file(const std::string& path) {
  std::string text;
  if (auto failure = detail::read_whole_file(path, text)) {
    LoadResult result;
    result.errors.push_back(
        {"", "cannot read configuration file " + detail::quote(path) + ": " +
                 std::generic_category().message(*failure) +
                 "; check the path (config/tributary.yaml is a commented example)"});
    return result;
  }
  return load_from_string(text, path);
}

std::string_view to_string(SourceType type) {
  return detail::find_option("pipelines[].source.type")->allowed.at(static_cast<std::size_t>(type));
}

std::string_view to_string(SnapshotMode mode) {
  return detail::find_option("pipelines[].snapshot.mode")
      ->allowed.at(static_cast<std::size_t>(mode));
}

}  // namespace tributary::config
