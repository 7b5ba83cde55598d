// libFuzzer target: the replication CopyData framing and the pgoutput decoder on untrusted bytes.
//
// Each input is tried both as a CopyData payload (an XLogData's payload is then decoded as
// pgoutput too) and as a bare pgoutput message; the corpus holds both kinds (captured from
// PostgreSQL 15 by tests/unit/pgoutput/capture.py). Besides "no crash, no leak, no UB" it checks
// the decoders' documented contracts: errors are kCorrupt, name their protocol and an offset
// inside the input; XLogData's payload is a view of the input's tail; null and unchanged tuple
// columns carry no data; decoding is deterministic.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "source/postgres/pgoutput_decoder.hpp"
#include "source/postgres/replication_protocol.hpp"

namespace {

namespace pg = tributary::source::postgres;
namespace po = tributary::source::postgres::pgoutput;
using tributary::fuzz::printable;

/// "<protocol> <msg>: <what> at offset N" with N <= the input's size.
void check_error(const tributary::Error& error, std::string_view protocol, std::size_t size) {
  FUZZ_CHECK(error.kind == tributary::ErrorKind::kCorrupt, error.message);
  FUZZ_CHECK(error.message.compare(0, protocol.size() + 1, std::string(protocol) + " ") == 0,
             error.message);
  const std::size_t at = error.message.rfind(" at offset ");
  FUZZ_CHECK(at != std::string::npos, error.message);
  const std::string digits = error.message.substr(at + 11);
  FUZZ_CHECK(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos,
             error.message);
  FUZZ_CHECK(std::stoull(digits) <= size,
             error.message + " (input of " + std::to_string(size) + " bytes)");
}

void check_tuple(const po::Tuple& tuple) {
  for (const po::TupleColumn& column : tuple) {
    const bool has_data = column.kind == po::TupleColumn::Kind::kText ||
                          column.kind == po::TupleColumn::Kind::kBinary;
    FUZZ_CHECK(has_data || column.data.empty(), "null/unchanged column with data");
  }
}

void decode_pgoutput(std::string_view bytes) {
  auto message = po::decode(bytes);
  if (!message.ok()) {
    check_error(message.error(), "pgoutput", bytes.size());
    auto again = po::decode(bytes);
    FUZZ_CHECK(!again.ok() && again.error().message == message.error().message, printable(bytes));
    return;
  }
  std::visit(
      [](const auto& decoded) {
        using T = std::decay_t<decltype(decoded)>;
        if constexpr (std::is_same_v<T, po::Insert>) {
          check_tuple(decoded.new_tuple);
        } else if constexpr (std::is_same_v<T, po::Update>) {
          FUZZ_CHECK(decoded.old_kind == 0 || decoded.old_kind == 'K' || decoded.old_kind == 'O',
                     std::to_string(decoded.old_kind));
          FUZZ_CHECK(decoded.old_kind != 0 || decoded.old_tuple.empty(), "old tuple without tag");
          check_tuple(decoded.old_tuple);
          check_tuple(decoded.new_tuple);
        } else if constexpr (std::is_same_v<T, po::Delete>) {
          FUZZ_CHECK(decoded.old_kind == 'K' || decoded.old_kind == 'O',
                     std::to_string(decoded.old_kind));
          check_tuple(decoded.old_tuple);
        } else if constexpr (std::is_same_v<T, po::Relation> || std::is_same_v<T, po::Type>) {
          FUZZ_CHECK(!decoded.schema.empty(), "empty schema name (pg_catalog expected)");
        }
      },
      *message);
  auto again = po::decode(bytes);
  FUZZ_CHECK(again.ok() && again->index() == message->index(), printable(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  decode_pgoutput(bytes);

  auto frame = pg::parse_copy_data(bytes);
  if (!frame.ok()) {
    check_error(frame.error(), "replication", size);
  } else if (const auto* xlog = std::get_if<pg::XLogData>(&*frame)) {
    FUZZ_CHECK(xlog->payload.data() >= bytes.data() &&
                   xlog->payload.data() + xlog->payload.size() == bytes.data() + bytes.size(),
               "XLogData payload is not the input's tail");
    decode_pgoutput(xlog->payload);
  }

  // The status update the client answers with, from the input's first 16 bytes.
  if (size >= 16) {
    uint64_t lsn = 0;
    int64_t time = 0;
    for (int i = 0; i < 8; ++i) lsn = (lsn << 8) | data[i];
    for (int i = 8; i < 16; ++i)
      time = static_cast<int64_t>((static_cast<uint64_t>(time) << 8) | data[i]);
    const std::string status = pg::encode_standby_status(lsn, lsn, lsn, time, (data[0] & 1) != 0);
    FUZZ_CHECK(status.size() == 34 && status[0] == 'r', printable(status));
    (void)pg::pg_time_to_unix_us(time);
    (void)pg::unix_us_to_pg_time(time);
  }
  return 0;
}
