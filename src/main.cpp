// tributary's command line: wires the modules, nothing else.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/application.hpp"
#include "app/preflight.hpp"
#include "checkpoint/checkpoint_store.hpp"
#include "checkpoint/position_json.hpp"
#include "config/config.hpp"

namespace {

constexpr const char* kUsage =
    "usage: tributary run --config FILE      stream changes to Kafka (foreground)\n"
    "       tributary check --config FILE [--offline]\n"
    "                                        validate the configuration, then (unless --offline)\n"
    "                                        connect to every source and Kafka; list every "
    "problem\n"
    "       tributary offsets show --config FILE   print each pipeline's checkpoint\n"
    "       tributary config-reference       print the configuration reference (Markdown)\n"
    "       tributary --version\n";

int usage_error(const std::string& message) {
  std::cerr << "tributary: " << message << "\n" << kUsage;
  return 2;
}

std::optional<tributary::config::Config> load(const std::string& path) {
  auto loaded = tributary::config::load_from_file(path);
  if (!loaded.config) {
    std::cerr << "tributary: configuration " << path << " has " << loaded.errors.size()
              << " problem(s):\n";
    for (const auto& error : loaded.errors) std::cerr << "  " << error.to_string() << "\n";
  }
  return loaded.config;
}

int offsets_show(const tributary::config::Config& config) {
  for (const auto& pipeline : config.pipelines) {
    tributary::checkpoint::CheckpointStore store(config.offsets.directory, pipeline.name);
    auto position = store.load();
    if (!position.ok()) {
      std::cerr << "tributary: " << position.error().message << "\n";
      return 1;
    }
    if (!*position) {
      std::cout << "{\"pipeline\":\"" << pipeline.name << "\",\"checkpoint\":null,\"file\":\""
                << store.path() << "\"}\n";
    } else {
      std::cout << tributary::checkpoint::position_to_json(pipeline.name, **position) << "\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("missing command");
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "tributary " << TRIBUTARY_VERSION << "\n";
    return 0;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[0] == "config-reference") {
    std::cout << tributary::config::reference_markdown();
    return 0;
  }
  std::vector<std::string> command;
  std::string config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      if (i + 1 >= args.size()) return usage_error(args[i] + " needs a file");
      config_path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config_path = args[i].substr(9);
    } else {
      command.push_back(args[i]);
    }
  }
  if (config_path.empty()) return usage_error("missing --config FILE");
  auto config = load(config_path);
  if (!config) return 2;
  const bool offline = command == std::vector<std::string>{"check", "--offline"};
  if (command == std::vector<std::string>{"check"} || offline) {
    std::cout << "configuration " << config_path << " is valid (" << config->pipelines.size()
              << " pipeline(s))\n";
    if (offline) return 0;
    int problems = 0;
    for (const auto& finding : tributary::app::preflight(*config)) {
      std::cout << (finding.problem ? "PROBLEM " : "ok      ") << finding.scope << ": "
                << finding.text << "\n";
      problems += finding.problem ? 1 : 0;
    }
    if (problems > 0) {
      std::cout << problems << " problem(s) found\n";
      return 1;
    }
    std::cout << "no problems found\n";
    return 0;
  }
  if (command == std::vector<std::string>{"run"}) return tributary::app::run(*config);
  if (command == std::vector<std::string>{"offsets", "show"}) return offsets_show(*config);
  return usage_error("unknown command");
}
