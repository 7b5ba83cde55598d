// Local checks: what `run` would trip over on this machine, found before the slot, the snapshot
// or Kafka are touched.
#include "app/local_checks.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/log.hpp"
#include "checkpoint/checkpoint_store.hpp"
#include "metrics/http_server.hpp"

namespace tributary::app {
namespace {

constexpr const char* kDirectoryKey = "offsets.directory";

/// "user cdc (uid 998)", for "not writable by ...".
std::string this_user() {
  const uid_t uid = ::geteuid();
  const passwd* entry = ::getpwuid(uid);
  const std::string name = entry != nullptr ? entry->pw_name : "?";
  return "user " + name + " (uid " + std::to_string(uid) + ")";
}

std::string file_type(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return "a regular file";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "a device";
  return "not a regular file";
}

std::string fix_writable(const std::string& directory) {
  return "fix: let " + this_user() + " write there (e.g. chown that user " + directory +
         "; systemd: StateDirectory=tributary), or set " + kDirectoryKey +
         " to a directory it can write";
}

/// The nearest existing ancestor of `path` (itself included), or "" if none.
std::filesystem::path existing_ancestor(std::filesystem::path path, struct stat& st) {
  path = std::filesystem::absolute(path).lexically_normal();
  for (;;) {
    if (::stat(path.c_str(), &st) == 0) return path;
    if (!path.has_relative_path()) return {};
    path = path.parent_path();
  }
}

/// Creates, writes, fsyncs and removes a probe file, then fsyncs the directory: what saving a
/// checkpoint does there.
std::optional<std::string> probe_write(const std::string& directory) {
  const std::string probe =
      (std::filesystem::path(directory) / (".tributary-write-probe-" + std::to_string(::getpid())))
          .string();
  const auto failed = [&](const std::string& step, int error) {
    return kDirectoryKey + std::string(" ") + directory + " is not usable by " + this_user() +
           ": cannot " + step + ": " + std::strerror(error) + " (" + fix_writable(directory) + ")";
  };
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) return failed("create " + probe, errno);
  const char byte = 0;
  std::optional<std::string> problem;
  if (::write(fd, &byte, 1) != 1) {
    problem = failed("write " + probe, errno);
  } else if (::fsync(fd) != 0) {
    problem = failed("fsync " + probe, errno);
  }
  ::close(fd);
  if (::unlink(probe.c_str()) != 0 && !problem) problem = failed("remove " + probe, errno);
  if (problem) return problem;
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return failed("open the directory", errno);
  if (::fsync(dir_fd) != 0) problem = failed("fsync the directory", errno);
  ::close(dir_fd);
  return problem;
}

/// The checkpoint file of `pipeline` (and its temp file) must be regular files if present; the
/// checkpoint readable.
void check_checkpoint_file(const std::string& directory, const std::string& pipeline,
                           std::vector<Finding>& out) {
  const std::string path = checkpoint::CheckpointStore(directory, pipeline).path();
  for (const std::string& file : {path, path + ".tmp"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      out.push_back({true, pipeline,
                     "checkpoint file " + file + " (" + kDirectoryKey +
                         "/<pipeline>.offsets): " + "cannot stat: " + std::strerror(errno) + " (" +
                         fix_writable(directory) + ")"});
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      out.push_back({true, pipeline,
                     "checkpoint file " + file + " (" + kDirectoryKey + "/<pipeline>.offsets) is " +
                         file_type(st) +
                         ", not a regular file: the checkpoint cannot be read or written (fix: "
                         "move it out of " +
                         directory + ", or set " + kDirectoryKey + " to another directory)"});
      continue;
    }
    if (file != path) continue;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      out.push_back({true, pipeline,
                     "checkpoint file " + file + " is not readable by " + this_user() + ": " +
                         std::strerror(errno) + " (fix: let that user read it, e.g. chown " +
                         "that user " + file + ")"});
      continue;
    }
    ::close(fd);
  }
}

}  // namespace

std::vector<Finding> check_offsets_directory(const config::Config& config, bool create) {
  std::vector<Finding> out;
  const auto problem = [&](std::string text) {
    out.push_back({true, kDirectoryKey, std::move(text)});
  };
  const std::string& directory = config.offsets.directory;
  struct stat st {};
  if (::stat(directory.c_str(), &st) != 0) {
    const int error = errno;
    if (error != ENOENT && error != ENOTDIR) {
      problem(directory + ": " + std::strerror(error) + " (" + fix_writable(directory) + ")");
      return out;
    }
    // Missing: what is the nearest thing that exists on the way?
    struct stat ancestor_st {};
    const auto ancestor = existing_ancestor(directory, ancestor_st);
    if (!ancestor.empty() && !S_ISDIR(ancestor_st.st_mode)) {
      problem(directory + " cannot be created: " + ancestor.string() + " is " +
              file_type(ancestor_st) + ", not a directory (fix: set " + kDirectoryKey +
              " to a directory path, e.g. /var/lib/tributary)");
      return out;
    }
    if (!create) {
      if (!ancestor.empty() &&
          ::faccessat(AT_FDCWD, ancestor.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
        problem(directory + " does not exist, and " + this_user() + " cannot create it in " +
                ancestor.string() + ": " + std::strerror(errno) + " (fix: create it for that " +
                "user, or set " + kDirectoryKey + " to a directory it can write)");
      } else {
        out.push_back({false, kDirectoryKey, directory + " does not exist yet: run creates it"});
      }
      return out;
    }
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec) {
      problem(directory + " cannot be created by " + this_user() + ": " + ec.message() + " (" +
              fix_writable(directory) + ")");
      return out;
    }
    log::info({}, std::string(kDirectoryKey) + ": created " + directory);
  } else if (!S_ISDIR(st.st_mode)) {
    problem(directory + " is " + file_type(st) + ", not a directory (fix: set " + kDirectoryKey +
            " to a directory, e.g. /var/lib/tributary)");
    return out;
  }
  if (auto unusable = probe_write(directory)) {
    problem(*unusable);
    return out;
  }
  const std::size_t before = out.size();
  for (const auto& pipeline : config.pipelines)
    check_checkpoint_file(directory, pipeline.name, out);
  if (out.size() == before) out.push_back({false, kDirectoryKey, directory + " is writable"});
  return out;
}

std::vector<Finding> check_http_listen(const config::Config& config) {
  if (config.http.listen.empty()) return {{false, "http.listen", "endpoint turned off (\"\")"}};
  auto bound = metrics::probe_listen(config.http.listen);
  if (!bound.ok()) {
    std::string text = bound.error().message;
    if (text.rfind("http.listen: ", 0) == 0) text.erase(0, 13);  // the scope says it
    return {{true, "http.listen", text}};
  }
  return {{false, "http.listen", config.http.listen + " can be bound"}};
}

std::vector<Finding> local_checks(const config::Config& config) {
  auto findings = check_offsets_directory(config, /*create=*/false);
  for (auto& finding : check_http_listen(config)) findings.push_back(std::move(finding));
  return findings;
}

bool startup_checks(const config::Config& config) {
  if (auto raised = raise_open_file_limit(); !raised.empty()) log::info({}, raised);
  // Headroom for the sources' and Kafka's own descriptors.
  constexpr rlim_t kHeadroom = 256;
  rlimit limit{};
  if (!config.http.listen.empty() && ::getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < static_cast<rlim_t>(config.http.max_connections) + kHeadroom) {
    log::warn({}, "http.max_connections " + std::to_string(config.http.max_connections) +
                      " is close to the open files limit " + std::to_string(limit.rlim_cur) +
                      ": past it health checks wait for idle connections to close (fix: raise "
                      "LimitNOFILE= in the systemd unit, or lower http.max_connections)");
  }
  bool ok = true;
  for (const auto& finding : check_offsets_directory(config, /*create=*/true)) {
    if (!finding.problem) continue;
    const std::string pipeline = finding.scope == kDirectoryKey ? std::string() : finding.scope;
    log::error(pipeline, (pipeline.empty() ? finding.scope + ": " : std::string()) + finding.text);
    ok = false;
  }
  if (!ok) log::error({}, "stopping before any connection: fix the problem(s) above (exit 2)");
  return ok;
}

std::string raise_open_file_limit() {
  constexpr rlim_t kMost = rlim_t{1} << 20;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? kMost : std::min(limit.rlim_max, kMost);
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= target) return {};
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return "cannot raise the open files limit from " + std::to_string(before) + " to " +
           std::to_string(target) + ": " + std::strerror(errno);
  }
  return "open files limit raised from " + std::to_string(before) + " to " + std::to_string(target);
}

}  // namespace tributary::app
