// Shared helpers for the configuration tests: load YAML text, find errors by key path.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"

namespace tributary::config::testing {

/// The smallest valid configuration; tests add or replace keys in it.
inline constexpr const char* kMinimal = R"(
pipelines:
  - name: shop
    source:
      type: postgres
      database: shop
      user: cdc
kafka:
  bootstrap_servers: 127.0.0.1:9092
)";

inline LoadResult load(const std::string& yaml) {
  return load_from_string(yaml, "test.yaml");
}

/// All errors, one per line, for failure output.
inline std::string all_errors(const LoadResult& result) {
  std::string out;
  for (const auto& error : result.errors) out += error.to_string() + "\n";
  return out;
}

/// The message of the only error at `path`, or a description of what was found instead.
inline std::string message_at(const LoadResult& result, const std::string& path) {
  std::string found;
  int count = 0;
  for (const auto& error : result.errors) {
    if (error.path == path) {
      found = error.message;
      ++count;
    }
  }
  if (count == 1) return found;
  return "<" + std::to_string(count) + " errors at " + path + "; all errors:\n" +
         all_errors(result) + ">";
}

/// Sets an environment variable for the lifetime of the object.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnvironment() { ::unsetenv(name_); }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
};

/// A temporary file removed at the end of the test.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& contents) {
    path_ =
        (std::filesystem::temp_directory_path() /
         ("tributary-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
            .string();
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TemporaryFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

}  // namespace tributary::config::testing
