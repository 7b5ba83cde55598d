// Acting on a signal: the log type as Debezium's (Log action: data.message at info).
#include "signals/signal.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "base/log.hpp"

namespace tributary::signals {
namespace {

/// Control bytes of a value quoted in a log line, escaped (one line per event).
std::string printable(std::string_view text, std::size_t limit = 200) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

}  // namespace

bool SignalDispatcher::dispatch(const Signal& signal) const {
  const std::string named = "signal '" + printable(signal.id) + "' (" + signal.channel +
                            ", type '" + printable(signal.type) + "')";
  rapidjson::Document data;
  if (signal.data.empty()) {
    data.SetObject();
  } else {
    data.Parse(signal.data.data(), signal.data.size());
    if (data.HasParseError()) {
      log::warn(pipeline_, named + " skipped: its data is not JSON (" +
                               rapidjson::GetParseError_En(data.GetParseError()) + " at offset " +
                               std::to_string(data.GetErrorOffset()) + ")");
      return false;
    }
    if (data.IsNull()) data.SetObject();
    if (!data.IsObject()) {
      log::warn(pipeline_, named + " skipped: its data is not a JSON object");
      return false;
    }
  }
  if (signal.type == "log") {
    auto message = data.FindMember("message");
    if (message == data.MemberEnd() || !message->value.IsString() ||
        message->value.GetStringLength() == 0) {
      log::warn(pipeline_, named + " skipped: data.message is missing or not a string");
      return false;
    }
    log::info(pipeline_, printable(std::string_view(message->value.GetString(),
                                                    message->value.GetStringLength()),
                                   4096));
    return true;
  }
  log::warn(pipeline_, named + " skipped: unknown signal type (supported: log)");
  return false;
}

}  // namespace tributary::signals
