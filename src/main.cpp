// tributary's command line: wires the modules, nothing else.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/application.hpp"
#include "app/health_command.hpp"
#include "app/local_checks.hpp"
#include "app/offsets_command.hpp"
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
    "       tributary offsets reset --config FILE --pipeline NAME (--to-slot | --snapshot)\n"
    "                                        record a new position on purpose, after the run\n"
    "                                        refused the recorded one (database restored or\n"
    "                                        replaced, slot advanced by someone else). Stop the\n"
    "                                        daemon first. --to-slot: resume from the slot's\n"
    "                                        confirmed position (changes the slot no longer\n"
    "                                        holds are not emitted); --snapshot: the next start\n"
    "                                        takes a new snapshot (every row emitted again).\n"
    "                                        See README, \"Recovering from a changed database\"\n"
    "       tributary health (--config FILE [--ready] | --url URL)\n"
    "                                        GET the running daemon's /healthz (/readyz with\n"
    "                                        --ready) at http.listen, or URL\n"
    "                                        (http://host:port/path); exit 0 on 200, 1 otherwise\n"
    "                                        (what failed on stderr): for container health\n"
    "                                        checks (the image has no curl)\n"
    "       tributary config-reference       print the configuration reference (Markdown)\n"
    "       tributary --version\n";

int usage_error(const std::string& message) {
  std::cerr << "tributary: " << message << "\n" << kUsage;
  return 2;
}

std::optional<tributary::config::Config> load(const std::string& path,
                                              const tributary::config::LoadOptions& options) {
  auto loaded = tributary::config::load_from_file(path, options);
  if (!loaded.config) {
    std::cerr << "tributary: configuration " << path << " has "
              << loaded.errors.size() + loaded.omitted_errors << " problem(s):\n";
    for (const auto& error : loaded.errors) std::cerr << "  " << error.to_string() << "\n";
    if (loaded.omitted_errors > 0) {
      std::cerr << "  ... and " << loaded.omitted_errors
                << " more problem(s), not listed (fix the ones above and check again)\n";
    }
  }
  return loaded.config;
}

int offsets_show(const tributary::config::Config& config) {
  for (const auto& pipeline : config.pipelines) {
    tributary::checkpoint::CheckpointStore store(config.offsets.directory, pipeline.name);
    auto position = store.load_record();
    if (!position.ok()) {
      const bool retriable = position.error().kind == tributary::ErrorKind::kRetriable;
      std::cerr << "tributary: pipeline " << pipeline.name << ": " << position.error().message
                << "\n";
      if (position.error().kind == tributary::ErrorKind::kCorrupt) {
        std::cerr << "fix: restore the file from a backup, or move it away (run then resumes "
                     "from the pipeline's offsets record in Kafka, or without one takes a new "
                     "snapshot), or record a position on purpose: tributary offsets reset "
                     "--config FILE --pipeline "
                  << pipeline.name << " --to-slot | --snapshot\n";
      }
      return retriable ? 1 : 2;
    }
    if (!*position) {
      std::cout << "{\"pipeline\":\"" << pipeline.name << "\",\"checkpoint\":null,\"file\":\""
                << store.path() << "\"}\n";
    } else {
      std::cout << tributary::checkpoint::record_to_json_as_read(**position) << "\n";
    }
  }
  return 0;
}

/// `health (--config FILE [--ready] | --url URL)`: the daemon's own answer decides 0 or 1; a
/// target it cannot name is 2. The file is read without secrets: health connects to no source.
int health_command(const std::vector<std::string>& command, const std::string& config_path,
                   const std::string& url) {
  const bool ready = command == std::vector<std::string>{"health", "--ready"};
  if (!ready && command != std::vector<std::string>{"health"}) {
    return usage_error("health takes --config FILE [--ready] or --url URL");
  }
  if (url.empty() == config_path.empty()) {
    return usage_error("health needs exactly one of --config FILE or --url URL");
  }
  if (!url.empty() && ready) {
    return usage_error("--ready goes with --config (--url names the path)");
  }
  auto target = [&]() -> tributary::Result<tributary::app::HealthTarget> {
    if (!url.empty()) return tributary::app::health_target_from_url(url);
    tributary::config::LoadOptions options;
    options.secrets = false;
    auto config = load(config_path, options);
    if (!config) return tributary::Error::config("");  // load() listed the problems
    return tributary::app::health_target_from_listen(config->http.listen, ready);
  }();
  if (!target.ok()) {
    if (!target.error().message.empty()) {
      std::cerr << "tributary health: " << target.error().message << "\n";
    }
    return 2;
  }
  return tributary::app::health(*target);
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
  std::string pipeline_name;
  std::string health_url;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      if (i + 1 >= args.size()) return usage_error(args[i] + " needs a file");
      config_path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config_path = args[i].substr(9);
    } else if (args[i] == "--pipeline") {
      if (i + 1 >= args.size()) return usage_error("--pipeline needs a pipeline name");
      pipeline_name = args[++i];
    } else if (args[i].rfind("--pipeline=", 0) == 0) {
      pipeline_name = args[i].substr(11);
    } else if (args[i] == "--url") {
      if (i + 1 >= args.size()) return usage_error("--url needs a URL");
      health_url = args[++i];
    } else if (args[i].rfind("--url=", 0) == 0) {
      health_url = args[i].substr(6);
    } else {
      command.push_back(args[i]);
    }
  }
  if (!command.empty() && command[0] == "health") {
    if (!pipeline_name.empty()) return usage_error("--pipeline is an option of offsets reset only");
    return health_command(command, config_path, health_url);
  }
  if (!health_url.empty()) return usage_error("--url is an option of health only");
  if (config_path.empty()) return usage_error("missing --config FILE");
  const bool reset = command.size() >= 2 && command[0] == "offsets" && command[1] == "reset";
  std::optional<tributary::app::ResetTarget> reset_target;
  if (reset) {
    const std::vector<std::string> flags(command.begin() + 2, command.end());
    if (flags == std::vector<std::string>{"--to-slot"}) {
      reset_target = tributary::app::ResetTarget::kToSlot;
    } else if (flags == std::vector<std::string>{"--snapshot"}) {
      reset_target = tributary::app::ResetTarget::kSnapshot;
    } else {
      return usage_error("offsets reset needs exactly one of --to-slot or --snapshot");
    }
    if (pipeline_name.empty()) return usage_error("offsets reset needs --pipeline NAME");
  } else if (!pipeline_name.empty()) {
    return usage_error("--pipeline is an option of offsets reset only");
  }
  // offsets show reads only the checkpoint files: it needs none of the secrets a connection would.
  tributary::config::LoadOptions load_options;
  load_options.secrets = command != std::vector<std::string>{"offsets", "show"};
  auto config = load(config_path, load_options);
  if (!config) return 2;
  const bool offline = command == std::vector<std::string>{"check", "--offline"};
  if (command == std::vector<std::string>{"check"} || offline) {
    std::cout << "configuration " << config_path << " is valid (" << config->pipelines.size()
              << " pipeline(s))\n";
    int problems = 0;
    for (const auto& finding :
         offline ? tributary::app::local_checks(*config) : tributary::app::preflight(*config)) {
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
  if (command == std::vector<std::string>{"run"}) return tributary::app::run(*config, config_path);
  if (command == std::vector<std::string>{"offsets", "show"}) return offsets_show(*config);
  if (reset) return tributary::app::offsets_reset(*config, pipeline_name, *reset_target);
  return usage_error("unknown command");
}
