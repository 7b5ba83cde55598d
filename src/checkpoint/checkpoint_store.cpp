// Checkpoint file: atomic replace (temp, fsync, rename, fsync dir) and a strict load.
#include "checkpoint/checkpoint_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "checkpoint/position_json.hpp"

namespace tributary::checkpoint {
namespace {

/// A checkpoint is a few hundred bytes; anything this large is not one.
constexpr std::size_t kMaxFileBytes = 1 << 20;

/// Permission and layout problems need the operator; anything else (ENOSPC, EIO...) may pass.
Error io_error(const std::string& action, const std::string& path, int error_number) {
  std::string message = action + " " + path + ": " + std::strerror(error_number);
  switch (error_number) {
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP:
      return Error::config(message + " (check offsets.directory and its permissions)");
    default:
      return Error::retriable(message);
  }
}

/// Closes on scope exit unless released.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  /// close(2) with its result; the descriptor is gone either way.
  int close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

Result<void> write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    written += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> fsync_directory(const std::string& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open directory", directory, errno);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync directory", directory, errno);
  return {};
}

}  // namespace

CheckpointStore::CheckpointStore(std::string directory, std::string pipeline)
    : directory_(std::move(directory)), pipeline_(std::move(pipeline)) {}

std::string CheckpointStore::path() const {
  std::string result = directory_;
  if (!result.empty() && result.back() != '/') result += '/';
  return result + pipeline_ + ".offsets";
}

Result<void> CheckpointStore::check_pipeline_name() const {
  // The name becomes a file name: it must not walk out of the directory.
  if (pipeline_.empty() || pipeline_ == "." || pipeline_ == ".." ||
      pipeline_.find('/') != std::string::npos || pipeline_.find('\0') != std::string::npos) {
    return Error::config("pipeline name \"" + pipeline_ + "\" cannot name a checkpoint file");
  }
  if (directory_.empty()) return Error::config("offsets.directory is empty");
  return {};
}

Result<std::optional<event::SourcePosition>> CheckpointStore::load() const {
  auto record = load_record();
  if (!record) return record.error();
  if (!*record) return std::optional<event::SourcePosition>();
  return std::optional<event::SourcePosition>((*record)->position);
}

Result<std::optional<PositionRecord>> CheckpointStore::load_record() const {
  if (auto checked = check_pipeline_name(); !checked) return checked.error();
  const std::string file = path();
  // O_NONBLOCK: a FIFO put in the file's place must not hang the start.
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<PositionRecord>();
    return io_error("cannot open", file, errno);
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return io_error("cannot stat", file, errno);
  if (!S_ISREG(status.st_mode)) {
    return Error::corrupt("checkpoint file " + file +
                          " is not a regular file (a device, FIFO or socket is in its place)");
  }
  // Bounded reads, whatever st_size says (it can change while reading).
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", file, errno);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > kMaxFileBytes) {
      return Error::corrupt("checkpoint file " + file + " holds more than " +
                            std::to_string(kMaxFileBytes >> 20) +
                            " MiB, the most tributary reads: it is not a checkpoint file (one "
                            "is a few hundred bytes)");
    }
  }
  auto record = position_record_from_json(content);
  if (!record) return Error::corrupt(file + ": " + record.error().message);
  if (record->pipeline != pipeline_) {
    return Error::corrupt(file + ": belongs to pipeline \"" + record->pipeline + "\", not \"" +
                          pipeline_ + "\"");
  }
  return std::optional<PositionRecord>(std::move(*record));
}

Result<void> CheckpointStore::save(const PositionRecord& record) {
  if (auto checked = check_pipeline_name(); !checked) return checked.error();
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) return io_error("cannot create directory", directory_, ec.value());

  const std::string file = path();
  const std::string temporary = file + ".tmp";
  PositionRecord written = record;
  written.pipeline = pipeline_;
  const std::string content = record_to_json(written) + "\n";

  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                           S_IRUSR | S_IWUSR | S_IRGRP));
  if (fd.get() < 0) return io_error("cannot create", temporary, errno);
  auto fail = [&](Error error) -> Result<void> {
    ::unlink(temporary.c_str());
    return error;
  };
  if (auto written = write_all(fd.get(), content, temporary); !written) {
    return fail(written.error());
  }
  if (::fsync(fd.get()) != 0) return fail(io_error("cannot fsync", temporary, errno));
  if (fd.close() != 0) return fail(io_error("cannot close", temporary, errno));
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    return fail(io_error("cannot rename " + temporary + " to", file, errno));
  }
  // Without this the rename itself may not survive a power loss.
  return fsync_directory(directory_);
}

namespace {

/// Binlog files sort by their numeric extension ("mysql-bin.000010" after "mysql-bin.000009";
/// past 999999 the extension grows a digit): shorter name first, then the text.
bool binlog_file_before(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

}  // namespace

event::SourcePosition further(const event::SourcePosition& a, const event::SourcePosition& b) {
  if (a.at.index() != b.at.index()) return b;  // another source type: the later record decides
  if (a.is_mysql()) {
    if (a.snapshot_completed != b.snapshot_completed) return b.snapshot_completed ? b : a;
    const auto& x = a.mysql();
    const auto& y = b.mysql();
    if (x.file != y.file) return binlog_file_before(x.file, y.file) ? b : a;
    if (x.pos != y.pos) return x.pos < y.pos ? b : a;
    return b.partial_events > a.partial_events ? b : a;
  }
  auto rank = [](const event::SourcePosition& p) {
    bool has_partial = p.partial_commit_lsn() != 0 || p.partial_events != 0;
    // An unfinished chunked snapshot: both grow along the queue, so more chunks is further.
    const uint64_t chunks = p.snapshot_progress ? p.snapshot_progress->chunks : 0;
    return std::make_tuple(p.snapshot_completed, p.lsn(), chunks, has_partial,
                           p.partial_commit_lsn(), p.partial_events);
  };
  return rank(b) > rank(a) ? b : a;
}

const PositionRecord& further(const PositionRecord& a, const PositionRecord& b) {
  if (a.epoch != b.epoch) return b.epoch > a.epoch ? b : a;
  return further(a.position, b.position) == a.position ? a : b;
}

}  // namespace tributary::checkpoint
