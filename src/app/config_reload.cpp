// SIGHUP reload: one diff over the option table, so a new key is reported without code here.
#include "app/config_reload.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "base/log.hpp"
#include "config/options.hpp"

namespace tributary::app {
namespace {

using config::detail::Option;
using config::detail::Target;

/// Keys applied at runtime; every other changed key needs a restart.
constexpr std::string_view kRuntimeKeys[] = {"log.level", "log.format", "log.file"};
constexpr std::size_t kErrorsShown = 3;

/// Whether the option's value differs; nullopt when the binding cannot be read (sections, lists).
std::optional<bool> differs(const Option& option, Target a, Target b) {
  // Enum rows bind a setter, not a member: compared here.
  if (option.path == "pipelines[].source.type") {
    return a.pipeline->source.type != b.pipeline->source.type;
  }
  if (option.path == "pipelines[].snapshot.mode") {
    return a.pipeline->snapshot.mode != b.pipeline->snapshot.mode;
  }
  if (option.path == "pipelines[].tables.unsupported_columns") {
    return a.pipeline->tables.unsupported_columns != b.pipeline->tables.unsupported_columns;
  }
  return std::visit(
      [&](auto bind) -> std::optional<bool> {
        using Bind = decltype(bind);
        if constexpr (std::is_same_v<Bind, std::monostate> ||
                      std::is_same_v<Bind, void (*)(Target, std::size_t)> ||
                      std::is_same_v<Bind, std::vector<config::PipelineConfig>& (*)(Target)> ||
                      std::is_same_v<Bind, std::vector<config::TopicOverride>& (*)(Target)>) {
          return std::nullopt;
        } else {
          return bind(a) != bind(b);
        }
      },
      option.bind);
}

bool in_scope(std::string_view path, std::string_view scope) {
  return path.size() > scope.size() && path.substr(0, scope.size()) == scope;
}

}  // namespace

std::vector<std::string> changed_keys(const config::Config& before, const config::Config& after) {
  // Bindings take mutable targets: compare copies.
  config::Config a = before;
  config::Config b = after;
  std::vector<std::string> changed;
  constexpr std::string_view kPipeline = "pipelines[].";
  constexpr std::string_view kOverride = "kafka.topics.overrides[].";
  bool overrides_changed = a.kafka.topics.overrides.size() != b.kafka.topics.overrides.size();
  for (const auto& option : config::detail::options()) {
    if (in_scope(option.path, kPipeline) || option.path.find("[]") != std::string_view::npos) {
      continue;
    }
    if (differs(option, Target{&a}, Target{&b}).value_or(false)) {
      changed.emplace_back(option.path);
    }
  }
  for (std::size_t i = 0; !overrides_changed && i < a.kafka.topics.overrides.size(); ++i) {
    for (const auto& option : config::detail::options()) {
      if (!in_scope(option.path, kOverride)) continue;
      Target ta{&a, nullptr, &a.kafka.topics.overrides[i]};
      Target tb{&b, nullptr, &b.kafka.topics.overrides[i]};
      if (differs(option, ta, tb).value_or(false)) overrides_changed = true;
    }
  }
  if (overrides_changed) changed.emplace_back("kafka.topics.overrides");
  for (auto& pa : a.pipelines) {
    auto pb = std::find_if(b.pipelines.begin(), b.pipelines.end(),
                           [&](const config::PipelineConfig& p) { return p.name == pa.name; });
    if (pb == b.pipelines.end()) {
      changed.push_back("pipelines[" + pa.name + "] (removed)");
      continue;
    }
    for (const auto& option : config::detail::options()) {
      if (!in_scope(option.path, kPipeline) || option.path == "pipelines[].name") continue;
      // Keys of a list inside a pipeline (columns.mask_hash[].salt, ...) bind to that list's
      // element, which these targets do not hold: the list's own row compares it whole.
      if (option.path.substr(kPipeline.size()).find("[]") != std::string_view::npos) continue;
      if (differs(option, Target{&a, &pa}, Target{&b, &*pb}).value_or(false)) {
        changed.push_back("pipelines[" + pa.name + "]." +
                          std::string(option.path.substr(kPipeline.size())));
      }
    }
  }
  for (const auto& pb : b.pipelines) {
    if (std::none_of(a.pipelines.begin(), a.pipelines.end(),
                     [&](const config::PipelineConfig& p) { return p.name == pb.name; })) {
      changed.push_back("pipelines[" + pb.name + "] (added)");
    }
  }
  return changed;
}

void reload(const std::string& path, config::Config& running) {
  auto loaded = config::load_from_file(path);
  if (!loaded.config) {
    const std::size_t total = loaded.errors.size() + loaded.omitted_errors;
    std::string text = "SIGHUP: configuration " + path + " has " + std::to_string(total) +
                       " problem(s); keeping the running configuration:";
    for (std::size_t i = 0; i < loaded.errors.size() && i < kErrorsShown; ++i) {
      text += (i == 0 ? " " : "; ") + loaded.errors[i].to_string();
    }
    if (total > kErrorsShown) text += "; and " + std::to_string(total - kErrorsShown) + " more";
    log::error({}, text);
    return;
  }
  const config::Config& next = *loaded.config;
  std::string applied;
  std::string at_restart;
  const auto add = [](std::string& list, const std::string& item) {
    list += (list.empty() ? "" : ", ") + item;
  };
  for (const auto& key : changed_keys(running, next)) {
    const bool runtime =
        std::find(std::begin(kRuntimeKeys), std::end(kRuntimeKeys), key) != std::end(kRuntimeKeys);
    if (!runtime) add(at_restart, key);
  }
  if (running.log.level != next.log.level) {
    log::Level level = log::Level::kInfo;
    log::parse_level(next.log.level, level);
    add(applied, "log.level " + running.log.level + " -> " + next.log.level);
    running.log.level = next.log.level;
    log::set_level(level);
  }
  if (running.log.format != next.log.format) {
    add(applied, "log.format " + running.log.format + " -> " + next.log.format);
    running.log.format = next.log.format;
    log::set_format(log::parse_format(next.log.format));
  }
  // The file is reopened at every SIGHUP (logrotate moved it away, or log.file names another).
  // The last line of the old file says where the log went; the first of the new one is the line
  // below.
  const auto name = [](const std::string& file) {
    return file.empty() ? std::string("standard error") : file;
  };
  std::string destination;
  if (!next.log.file.empty() || running.log.file != next.log.file) {
    log::write(log::shown(log::Level::kInfo), {}, {},
               "SIGHUP: reopening the log: " + name(next.log.file) +
                   " (log.file) takes the lines from here on");
    if (auto failed = log::set_file(next.log.file)) {
      log::error({}, "SIGHUP: log.file: " + *failed + "; still logging to " +
                         name(running.log.file) +
                         " (fix the path or its permissions and send SIGHUP again)");
      destination = "log file kept: " + name(running.log.file);
    } else {
      if (running.log.file != next.log.file) {
        add(applied, "log.file " + name(running.log.file) + " -> " + name(next.log.file));
      }
      running.log.file = next.log.file;
      destination = next.log.file.empty() ? "" : "reopened log file " + next.log.file;
    }
  }
  if (destination.empty() && running.log.file.empty()) {
    destination = "logs go to stderr: there is no log file to reopen";
  }
  std::string text = "SIGHUP: re-read " + path + ": ";
  if (applied.empty() && at_restart.empty()) text += "no change";
  if (!applied.empty()) text += "applied " + applied;
  if (!at_restart.empty()) {
    text += std::string(applied.empty() ? "" : "; ") +
            "changed, take effect only at a restart: " + at_restart;
  }
  text += " (" + destination + ")";
  // The operator asked for this line: shown whatever log.level now says.
  log::write(log::shown(log::Level::kInfo), {}, {}, text);
}

}  // namespace tributary::app
