// Converts YAML values into the typed configuration: scalars by the option's type (text,
// integers within bounds, booleans, enums), lists of strings and maps of strings.
#include <limits>
#include <stdexcept>

#include "config/load_state.hpp"
#include "config/text.hpp"
#include "sink/kafka/properties.hpp"

namespace tributary::config::detail {
namespace {

std::string join_allowed(const Option& option) {
  std::string out;
  for (std::size_t i = 0; i < option.allowed.size(); ++i) {
    if (i > 0) out += i + 1 == option.allowed.size() ? " or " : ", ";
    out += "'" + std::string(option.allowed[i]) + "'";
  }
  return out;
}

std::string integer_rule(const Option& option) {
  if (option.max == std::numeric_limits<int64_t>::max()) {
    return "must be an integer of at least " + std::to_string(option.min);
  }
  return "must be an integer between " + std::to_string(option.min) + " and " +
         std::to_string(option.max);
}

std::optional<std::string> scalar_text(LoadState& state, const Option& option,
                                       const YAML::Node& node, const std::string& path,
                                       bool from_user) {
  if (node.IsNull()) {
    const bool list_element = !path.empty() && path.back() == ']';
    std::string message = "has no value; set one";
    if (option.type == Type::kString) message += " (write '' for an empty string)";
    if (!option.required && !list_element) message += ", or remove the key to use the default";
    state.error_at(path, node, message);
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    state.error_at(
        path, node,
        "must be " +
            (option.type == Type::kStringList ? std::string("a string") : expected_kind(option)) +
            ", got " + describe_kind(node));
    return std::nullopt;
  }
  if (!from_user) return node.Scalar();
  std::string expanded;
  if (auto problem = detail::expand_environment(node.Scalar(), expanded)) {
    // A command that connects to nothing does not need the secret (LoadOptions::secrets).
    if (option.secret && !state.options.secrets) return std::string();
    state.error_at(path, node, std::move(*problem));
    return std::nullopt;
  }
  if (expanded != node.Scalar()) state.written[path] = node.Scalar();
  return expanded;
}

/// ", got '<value>'" for a message about `text` read at `path`: nothing for a secret, the text as
/// written for a value from the environment (a variable expanded into the wrong key may hold a
/// password).
std::string got(const LoadState& state, const Option& option, const std::string& path,
                const std::string& text) {
  if (option.secret) return "";
  if (state.written.count(path) > 0) {
    return ", got " + state.shown(path, text) + " (the variable's value is not shown)";
  }
  return ", got " + quote(text);
}

bool store_scalar(LoadState& state, const Option& option, const std::string& text,
                  const YAML::Node& node, const std::string& path, Target target) {
  // Never echo a secret or a variable's value; everything else is shown so the user sees what was
  // actually read.
  const std::string got = detail::got(state, option, path, text);
  switch (option.type) {
    case Type::kString: {
      if (option.validate != nullptr) {
        if (auto problem = option.validate(text)) {
          state.error_at(path, node, *problem + got);
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
          state.error_at(path, node, *problem + got);
          return false;
        }
      }
      if (!parsed || value < option.min || value > option.max) {
        state.error_at(path, node, integer_rule(option) + got);
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
        state.error_at(path, node, "must be true or false" + got);
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
      if (auto close = detail::closest_match(text, allowed);
          close && !option.secret && state.written.count(path) == 0) {
        message += "; did you mean '" + *close + "'?";
      }
      state.error_at(path, node, message);
      return false;
    }
    default:
      throw std::logic_error("config option table: " + std::string(option.path) +
                             " is not a scalar");
  }
}

bool parse_string_list(LoadState& state, const Option& option, const YAML::Node& node,
                       const std::string& path, Target target, bool from_user) {
  std::vector<std::string> values;
  if (!node.IsNull()) {  // an empty value is an empty list
    if (!node.IsSequence()) {
      state.error_at(path, node,
                     "must be " + expected_kind(option) + ", got " + describe_kind(node));
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      auto text = scalar_text(state, option, node[i], element_path, from_user);
      if (!text) {
        ok = false;
        continue;
      }
      if (option.validate != nullptr) {
        if (auto problem = option.validate(*text)) {
          state.error_at(element_path, node[i], *problem + got(state, option, element_path, *text));
          ok = false;
          continue;
        }
      }
      values.push_back(std::move(*text));
    }
    if (!ok) return false;
  }
  if (static_cast<int64_t>(values.size()) < option.min) {
    state.error_at(path, node,
                   "must list at least " + std::to_string(option.min) + " pattern" +
                       (option.min == 1 ? "" : "s") + ", e.g. [\"public\\\\..*\"]");
    return false;
  }
  std::get<std::vector<std::string>& (*)(Target)>(option.bind)(target) = std::move(values);
  return true;
}

bool parse_string_map(LoadState& state, const Option& option, const YAML::Node& node,
                      const std::string& path, Target target, bool from_user) {
  std::map<std::string, std::string> values;
  if (!node.IsNull()) {
    if (!node.IsMap()) {
      state.error_at(path, node,
                     "must be " + expected_kind(option) + ", got " + describe_kind(node));
      return false;
    }
    bool ok = true;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        state.error_at(path, entry.first,
                       "keys must be plain names, got " + describe_kind(entry.first));
        ok = false;
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string key_path = path + "." + key;
      const YAML::Node& value = entry.second;
      state.marks[key_path] = value.Mark();
      if (values.count(key) > 0) {
        state.error_at(key_path, entry.first, "is given more than once in the same map; keep one");
        ok = false;
        continue;
      }
      // Values may be credentials (sasl.password): messages here never include them.
      if (value.IsNull()) {
        state.error_at(key_path, value, "has no value; set one, or remove the key");
        ok = false;
        continue;
      }
      if (!value.IsScalar()) {
        state.error_at(key_path, value,
                       "must be a string, number or boolean (librdkafka takes text), got " +
                           describe_kind(value));
        ok = false;
        continue;
      }
      std::string text = value.Scalar();
      if (from_user) {
        std::string expanded;
        if (auto problem = detail::expand_environment(text, expanded)) {
          // A command that connects to nothing does not need the secret (LoadOptions::secrets).
          if (!state.options.secrets && sink::is_secret_property(key)) continue;
          state.error_at(key_path, value, std::move(*problem));
          ok = false;
          continue;
        }
        if (expanded != text) state.written[key_path] = text;
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

}  // namespace

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

bool parse_value(LoadState& state, const Option& option, const YAML::Node& node,
                 const std::string& path, Target target, bool from_user) {
  switch (option.type) {
    case Type::kStringList:
      return parse_string_list(state, option, node, path, target, from_user);
    case Type::kStringMap:
      return parse_string_map(state, option, node, path, target, from_user);
    case Type::kSection:
    case Type::kList:
      throw std::logic_error("config option table: " + std::string(option.path) +
                             " is not a value");
    default:
      break;
  }
  auto text = scalar_text(state, option, node, path, from_user);
  if (!text) return false;
  return store_scalar(state, option, *text, node, path, target);
}

}  // namespace tributary::config::detail
