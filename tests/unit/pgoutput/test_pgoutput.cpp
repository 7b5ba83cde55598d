// Tests the pgoutput and CopyData decoders on bytes captured from PostgreSQL 15 (see capture.py).
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "source/postgres/pgoutput_decoder.hpp"
#include "source/postgres/replication_protocol.hpp"

namespace {

namespace pg = tributary::source::postgres;
namespace po = tributary::source::postgres::pgoutput;
using tributary::ErrorKind;
using Kind = po::TupleColumn::Kind;

/// One `# key: SQL` block of a capture file: the messages that SQL produced.
struct Section {
  std::string key;
  std::string comment;
  std::vector<std::string> messages;
};

std::string from_hex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool valid = hex.size() % 2 == 0;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; valid && i < hex.size(); i += 2) {
    const int high = digit(hex[i]);
    const int low = digit(hex[i + 1]);
    valid = high >= 0 && low >= 0;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  INFO(hex.substr(0, 64));
  REQUIRE(valid);
  return out;
}

std::vector<Section> load_sections(const std::string& file) {
  const std::string path = std::string(TRIBUTARY_SOURCE_DIR) + "/tests/unit/pgoutput/data/" + file;
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  std::vector<Section> sections;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      Section section;
      section.comment = line.substr(line.find_first_not_of("# "));
      section.key = section.comment.substr(0, section.comment.find(':'));
      sections.push_back(std::move(section));
      continue;
    }
    REQUIRE(!sections.empty());
    sections.back().messages.push_back(from_hex(line));
  }
  std::erase_if(sections, [](const Section& s) { return s.messages.empty(); });
  REQUIRE(!sections.empty());
  return sections;
}

const std::vector<Section>& text_capture() {
  static const std::vector<Section> sections = load_sections("pgoutput_v1.hex");
  return sections;
}
const std::vector<Section>& binary_capture() {
  static const std::vector<Section> sections = load_sections("pgoutput_v1_binary.hex");
  return sections;
}
const std::vector<Section>& frame_capture() {
  static const std::vector<Section> sections = load_sections("copydata.hex");
  return sections;
}

const Section& section(const std::vector<Section>& sections, std::string_view key) {
  for (const Section& s : sections) {
    if (s.key == key) return s;
  }
  FAIL("no section " << key << " in the capture; regenerate with capture.py");
  throw std::logic_error("unreachable");
}

po::Message decoded(const std::string& bytes) {
  auto result = po::decode(bytes);
  if (!result.ok()) FAIL(result.error().message);
  return std::move(result).value();
}

std::vector<po::Message> decoded(const Section& s) {
  std::vector<po::Message> out;
  for (const std::string& m : s.messages) out.push_back(decoded(m));
  return out;
}

template <class T>
const T& as(const po::Message& message) {
  REQUIRE(std::holds_alternative<T>(message));
  return std::get<T>(message);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

/// "n", "u", "t:<text>", "b:<hex>" per column, for compact comparisons.
std::vector<std::string> describe(const po::Tuple& tuple) {
  std::vector<std::string> out;
  for (const po::TupleColumn& column : tuple) {
    switch (column.kind) {
      case Kind::kNull:
        out.push_back("n");
        break;
      case Kind::kUnchanged:
        out.push_back("u");
        break;
      case Kind::kText:
        out.push_back("t:" + column.data);
        break;
      case Kind::kBinary:
        out.push_back("b:" + to_hex(column.data));
        break;
    }
  }
  return out;
}

std::vector<std::string> key_then_nulls(const std::string& key, std::size_t columns) {
  std::vector<std::string> out(columns, "n");
  out[0] = "t:" + key;
  return out;
}

/// Begin ... Commit: the LSNs and times that tie them together.
void check_transaction(const std::vector<po::Message>& messages) {
  REQUIRE(messages.size() >= 2);
  const auto& begin = as<po::Begin>(messages.front());
  const auto& commit = as<po::Commit>(messages.back());
  CHECK(commit.flags == 0);
  CHECK(commit.commit_lsn == begin.final_lsn);
  CHECK(commit.end_lsn > commit.commit_lsn);
  CHECK(commit.commit_time_us == begin.commit_time_us);
  CHECK(begin.xid != 0);
  CHECK(begin.commit_time_us > 1'577'836'800'000'000);  // after 2020-01-01
}

const po::Relation& relation_named(const std::vector<po::Message>& messages,
                                   std::string_view name) {
  for (const po::Message& m : messages) {
    if (const auto* relation = std::get_if<po::Relation>(&m); relation && relation->name == name) {
      return *relation;
    }
  }
  FAIL("no Relation " << name);
  throw std::logic_error("unreachable");
}

std::size_t expected_index(char tag) {
  switch (tag) {
    case 'B':
      return 0;
    case 'C':
      return 1;
    case 'O':
      return 2;
    case 'R':
      return 3;
    case 'Y':
      return 4;
    case 'I':
      return 5;
    case 'U':
      return 6;
    case 'D':
      return 7;
    case 'T':
      return 8;
    case 'M':
      return 9;
    default:
      return std::variant_npos;
  }
}

/// The offset an error message names, which must lie within the input.
std::size_t error_offset(const std::string& message) {
  const auto at = message.rfind(" at offset ");
  REQUIRE(at != std::string::npos);
  return std::stoul(message.substr(at + 11));
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::string be64(uint64_t v) {
  return be32(static_cast<uint32_t>(v >> 32)) + be32(v & 0xffffffff);
}

uint64_t read_be64(std::string_view bytes, std::size_t at) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

std::string decode_error(std::string_view bytes) {
  auto result = po::decode(bytes);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kCorrupt);
  return result.error().message;
}

constexpr int kAllTypesColumns = 22;

}  // namespace

TEST_CASE("every captured pgoutput message decodes to the variant its tag names", "[pgoutput]") {
  for (const auto* capture : {&text_capture(), &binary_capture()}) {
    for (const Section& s : *capture) {
      for (const std::string& bytes : s.messages) {
        INFO(s.key << ": " << to_hex(bytes).substr(0, 64));
        const po::Message message = decoded(bytes);
        CHECK(message.index() == expected_index(bytes[0]));
      }
    }
  }
}

TEST_CASE("insert of every column type: Begin, Type, Relation, Insert, Commit", "[pgoutput]") {
  const auto messages = decoded(section(text_capture(), "insert_all_types"));
  REQUIRE(messages.size() == 5);
  check_transaction(messages);

  const auto& type = as<po::Type>(messages[1]);
  CHECK(type.schema == "public");
  CHECK(type.name == "mood");

  const auto& relation = as<po::Relation>(messages[2]);
  CHECK(relation.schema == "public");
  CHECK(relation.name == "all_types");
  CHECK(relation.replica_identity == 'd');
  REQUIRE(relation.columns.size() == kAllTypesColumns);
  struct Expected {
    const char* name;
    uint32_t type_oid;
    int32_t type_modifier;
  };
  const std::vector<Expected> expected = {
      {"id", 23, -1},
      {"c_int2", 21, -1},
      {"c_int8", 20, -1},
      {"c_bool", 16, -1},
      {"c_real", 700, -1},
      {"c_double", 701, -1},
      {"c_numeric_fixed", 1700, ((10 << 16) | 2) + 4},
      {"c_numeric", 1700, -1},
      {"c_text", 25, -1},
      {"c_varchar", 1043, 20 + 4},
      {"c_char", 1042, 3 + 4},
      {"c_bytea", 17, -1},
      {"c_date", 1082, -1},
      {"c_time", 1083, -1},
      {"c_timestamp", 1114, -1},
      {"c_timestamptz", 1184, -1},
      {"c_uuid", 2950, -1},
      {"c_json", 114, -1},
      {"c_jsonb", 3802, -1},
      {"c_mood", type.oid, -1},
      {"c_int_array", 1007, -1},
      {"c_text_array", 1009, -1},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("column " << i);
    CHECK(relation.columns[i].name == expected[i].name);
    CHECK(relation.columns[i].type_oid == expected[i].type_oid);
    CHECK(relation.columns[i].type_modifier == expected[i].type_modifier);
    CHECK(relation.columns[i].key == (i == 0));
  }

  const auto& insert = as<po::Insert>(messages[3]);
  CHECK(insert.relation_oid == relation.oid);
  CHECK(describe(insert.new_tuple) == std::vector<std::string>{
                                          "t:1",
                                          "t:-32768",
                                          "t:9223372036854775807",
                                          "t:t",
                                          "t:1.5",
                                          "t:-2.25",
                                          "t:12345678.91",
                                          "t:3.14159265358979323846",
                                          "t:hello 'world'",
                                          "t:varchar value",
                                          "t:ab ",
                                          "t:\\x00ff10",
                                          "t:2024-02-29",
                                          "t:13:45:30.123456",
                                          "t:2024-02-29 13:45:30.5",
                                          "t:2024-02-29 11:45:30.5+00",
                                          "t:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                                          R"(t:{"a": [1, 2]})",
                                          R"(t:{"b": {"c": null}})",
                                          "t:happy",
                                          "t:{1,NULL,3}",
                                          R"(t:{"x y",NULL,z})",
                                      });
}

TEST_CASE("insert of NULLs", "[pgoutput]") {
  const auto messages = decoded(section(text_capture(), "insert_all_types_nulls"));
  REQUIRE(messages.size() == 3);  // the Relation was sent already in this session
  check_transaction(messages);
  CHECK(describe(as<po::Insert>(messages[1]).new_tuple) == key_then_nulls("2", kAllTypesColumns));
}

TEST_CASE("TOASTed text: sent whole on insert, 'u' when an update leaves it", "[pgoutput]") {
  const auto inserted = decoded(section(text_capture(), "insert_docs_toast"));
  REQUIRE(inserted.size() == 4);
  check_transaction(inserted);
  const auto& relation = as<po::Relation>(inserted[1]);
  CHECK(relation.name == "docs");
  const auto& insert = as<po::Insert>(inserted[2]);
  CHECK(insert.relation_oid == relation.oid);
  REQUIRE(insert.new_tuple.size() == 3);
  CHECK(insert.new_tuple[2].kind == Kind::kText);
  CHECK(insert.new_tuple[2].data.size() == 300 * 32);  // 300 md5 hex digests
  CHECK(insert.new_tuple[2].data.substr(0, 32) == "c4ca4238a0b923820dcc509a6f75849b");  // md5('1')

  const auto updated = decoded(section(text_capture(), "update_docs_unchanged_toast"));
  REQUIRE(updated.size() == 3);
  check_transaction(updated);
  const auto& update = as<po::Update>(updated[1]);
  CHECK(update.relation_oid == relation.oid);
  CHECK(update.old_kind == 0);
  CHECK(update.old_tuple.empty());
  CHECK(describe(update.new_tuple) == std::vector<std::string>{"t:1", "t:second", "u"});

  const auto deleted = decoded(section(text_capture(), "delete_docs_toast"));
  REQUIRE(deleted.size() == 3);
  const auto& del = as<po::Delete>(deleted[1]);
  CHECK(del.old_kind == 'K');
  CHECK(describe(del.old_tuple) == std::vector<std::string>{"t:1", "n", "n"});
}

TEST_CASE("REPLICA IDENTITY DEFAULT: no old tuple, 'K' on key change and delete", "[pgoutput]") {
  const auto relation_oid =
      as<po::Relation>(decoded(section(text_capture(), "insert_all_types")).at(2)).oid;

  const auto plain = decoded(section(text_capture(), "update_default"));
  REQUIRE(plain.size() == 3);
  check_transaction(plain);
  const auto& update = as<po::Update>(plain[1]);
  CHECK(update.relation_oid == relation_oid);
  CHECK(update.old_kind == 0);
  CHECK(update.old_tuple.empty());
  REQUIRE(update.new_tuple.size() == kAllTypesColumns);
  CHECK(describe(update.new_tuple)[8] == "t:changed");
  CHECK(describe(update.new_tuple)[0] == "t:1");

  const auto key_change = decoded(section(text_capture(), "update_default_key_change"));
  REQUIRE(key_change.size() == 3);
  check_transaction(key_change);
  const auto& moved = as<po::Update>(key_change[1]);
  CHECK(moved.relation_oid == relation_oid);
  CHECK(moved.old_kind == 'K');
  CHECK(describe(moved.old_tuple) == key_then_nulls("2", kAllTypesColumns));
  CHECK(describe(moved.new_tuple) == key_then_nulls("10", kAllTypesColumns));

  const auto deleted = decoded(section(text_capture(), "delete_default"));
  REQUIRE(deleted.size() == 3);
  check_transaction(deleted);
  const auto& del = as<po::Delete>(deleted[1]);
  CHECK(del.relation_oid == relation_oid);
  CHECK(del.old_kind == 'K');
  CHECK(describe(del.old_tuple) == key_then_nulls("10", kAllTypesColumns));
}

TEST_CASE("REPLICA IDENTITY FULL: every column is key, 'O' old rows", "[pgoutput]") {
  const auto inserted = decoded(section(text_capture(), "insert_full_two_rows"));
  REQUIRE(inserted.size() == 5);
  check_transaction(inserted);
  const auto& relation = as<po::Relation>(inserted[1]);
  CHECK(relation.name == "accounts_full");
  CHECK(relation.replica_identity == 'f');
  REQUIRE(relation.columns.size() == 3);
  for (const auto& column : relation.columns) CHECK(column.key);
  CHECK(relation.columns[2].name == "balance");
  CHECK(relation.columns[2].type_oid == 1700);
  CHECK(relation.columns[2].type_modifier == ((12 << 16) | 2) + 4);
  CHECK(describe(as<po::Insert>(inserted[2]).new_tuple) ==
        std::vector<std::string>{"t:1", "t:alice", "t:100.00"});
  CHECK(describe(as<po::Insert>(inserted[3]).new_tuple) ==
        std::vector<std::string>{"t:2", "t:bob", "n"});

  const auto updated = decoded(section(text_capture(), "update_full"));
  REQUIRE(updated.size() == 3);
  const auto& update = as<po::Update>(updated[1]);
  CHECK(update.relation_oid == relation.oid);
  CHECK(update.old_kind == 'O');
  CHECK(describe(update.old_tuple) == std::vector<std::string>{"t:1", "t:alice", "t:100.00"});
  CHECK(describe(update.new_tuple) == std::vector<std::string>{"t:1", "t:alice", "t:101.00"});

  const auto moved = decoded(section(text_capture(), "update_full_key_change"));
  REQUIRE(moved.size() == 3);
  const auto& key_change = as<po::Update>(moved[1]);
  CHECK(key_change.old_kind == 'O');
  CHECK(describe(key_change.old_tuple) == std::vector<std::string>{"t:2", "t:bob", "n"});
  CHECK(describe(key_change.new_tuple) == std::vector<std::string>{"t:3", "t:bob", "n"});

  const auto deleted = decoded(section(text_capture(), "delete_full"));
  REQUIRE(deleted.size() == 3);
  const auto& del = as<po::Delete>(deleted[1]);
  CHECK(del.relation_oid == relation.oid);
  CHECK(del.old_kind == 'O');
  CHECK(describe(del.old_tuple) == std::vector<std::string>{"t:1", "t:alice", "t:101.00"});
}

TEST_CASE("REPLICA IDENTITY USING INDEX: the index column is the key", "[pgoutput]") {
  const auto inserted = decoded(section(text_capture(), "insert_by_index"));
  REQUIRE(inserted.size() == 4);
  const auto& relation = as<po::Relation>(inserted[1]);
  CHECK(relation.replica_identity == 'i');
  REQUIRE(relation.columns.size() == 3);
  CHECK_FALSE(relation.columns[0].key);
  CHECK(relation.columns[1].key);
  CHECK(relation.columns[1].name == "code");
  CHECK_FALSE(relation.columns[2].key);

  const auto updated = decoded(section(text_capture(), "update_by_index_key_change"));
  REQUIRE(updated.size() == 3);
  const auto& update = as<po::Update>(updated[1]);
  CHECK(update.old_kind == 'K');
  CHECK(describe(update.old_tuple) == std::vector<std::string>{"n", "t:k1", "n"});
  CHECK(describe(update.new_tuple) == std::vector<std::string>{"t:1", "t:k2", "t:v1"});
}

TEST_CASE("one transaction with insert, update and delete on a composite key", "[pgoutput]") {
  const auto messages = decoded(section(text_capture(), "transaction_insert_update_delete"));
  REQUIRE(messages.size() == 7);
  check_transaction(messages);
  const auto& relation = as<po::Relation>(messages[1]);
  CHECK(relation.name == "composite_key");
  REQUIRE(relation.columns.size() == 3);
  CHECK(relation.columns[0].key);
  CHECK(relation.columns[1].key);
  CHECK_FALSE(relation.columns[2].key);
  CHECK(describe(as<po::Insert>(messages[2]).new_tuple) ==
        std::vector<std::string>{"t:7", "t:1", "t:n1"});
  CHECK(describe(as<po::Insert>(messages[3]).new_tuple) ==
        std::vector<std::string>{"t:7", "t:2", "t:n2"});
  const auto& update = as<po::Update>(messages[4]);
  CHECK(update.old_kind == 0);
  CHECK(describe(update.new_tuple) == std::vector<std::string>{"t:7", "t:1", "t:n1b"});
  const auto& del = as<po::Delete>(messages[5]);
  CHECK(del.relation_oid == relation.oid);
  CHECK(del.old_kind == 'K');
  CHECK(describe(del.old_tuple) == std::vector<std::string>{"t:7", "t:2", "n"});
}

TEST_CASE("Relation is sent again after ALTER TABLE", "[pgoutput]") {
  const auto before =
      relation_named(decoded(section(text_capture(), "truncate_plain")), "composite_key");
  const auto messages = decoded(section(text_capture(), "relation_after_alter"));
  REQUIRE(messages.size() == 4);
  check_transaction(messages);
  const auto& relation = as<po::Relation>(messages[1]);
  CHECK(relation.oid == before.oid);
  REQUIRE(relation.columns.size() == 4);
  CHECK(relation.columns[3].name == "extra");
  CHECK(relation.columns[3].type_oid == 23);
  CHECK_FALSE(relation.columns[3].key);
  CHECK(describe(as<po::Insert>(messages[2]).new_tuple) ==
        std::vector<std::string>{"t:9", "t:1", "t:after alter", "t:42"});
}

TEST_CASE("truncate: options and relation OIDs", "[pgoutput]") {
  const auto cascade = decoded(section(text_capture(), "truncate_cascade_restart"));
  REQUIRE(cascade.size() == 5);
  check_transaction(cascade);
  const auto& truncate = as<po::Truncate>(cascade[3]);
  CHECK(truncate.options == (po::Truncate::kCascade | po::Truncate::kRestartIdentity));
  CHECK(truncate.relation_oids ==
        std::vector<uint32_t>{relation_named(cascade, "trunc_parent").oid,
                              relation_named(cascade, "trunc_child").oid});

  const auto plain = decoded(section(text_capture(), "truncate_plain"));
  REQUIRE(plain.size() == 4);
  check_transaction(plain);
  const auto& only = as<po::Truncate>(plain[2]);
  CHECK(only.options == 0);
  CHECK(only.relation_oids == std::vector<uint32_t>{relation_named(plain, "composite_key").oid});
}

TEST_CASE("logical decoding messages, transactional and not", "[pgoutput]") {
  const auto in_tx = decoded(section(text_capture(), "message_transactional"));
  REQUIRE(in_tx.size() == 3);
  check_transaction(in_tx);
  const auto& message = as<po::LogicalMessage>(in_tx[1]);
  CHECK(message.transactional);
  CHECK(message.prefix == "tributary");
  CHECK(message.content == "hello in tx");
  CHECK(message.lsn > 0);
  CHECK(message.lsn <= as<po::Begin>(in_tx[0]).final_lsn);

  const auto outside = decoded(section(text_capture(), "message_nontransactional"));
  REQUIRE(outside.size() == 1);
  const auto& bare = as<po::LogicalMessage>(outside[0]);
  CHECK_FALSE(bare.transactional);
  CHECK(bare.prefix == "tributary.bin");
  CHECK(bare.content == std::string("\x00\xff\x01", 3));
  CHECK(bare.lsn > message.lsn);
}

TEST_CASE("Origin after Begin, and the commit time comes from the origin", "[pgoutput]") {
  const auto messages = decoded(section(text_capture(), "origin"));
  REQUIRE(messages.size() == 5);
  check_transaction(messages);
  const auto& origin = as<po::Origin>(messages[1]);
  CHECK(origin.name == "upstream_a");
  CHECK(origin.commit_lsn == 0xABCDEF);
  // pg_replication_origin_xact_setup('0/ABCDEF', '2024-01-02 03:04:05+00')
  CHECK(as<po::Begin>(messages[0]).commit_time_us == 1'704'164'645'000'000);
  CHECK(describe(as<po::Insert>(messages[3]).new_tuple) ==
        std::vector<std::string>{"t:8", "t:1", "t:from upstream"});
}

TEST_CASE("LSNs grow from one transaction to the next", "[pgoutput]") {
  uint64_t previous_end = 0;
  for (const Section& s : text_capture()) {
    const auto messages = decoded(s);
    if (!std::holds_alternative<po::Begin>(messages.front())) continue;
    INFO(s.key);
    const auto& begin = as<po::Begin>(messages.front());
    const auto& commit = as<po::Commit>(messages.back());
    CHECK(begin.final_lsn > previous_end);
    previous_end = commit.end_lsn;
  }
}

TEST_CASE("binary tuples ('b') carry the send function bytes", "[pgoutput]") {
  const auto messages = decoded(section(binary_capture(), "binary_insert_all_types"));
  REQUIRE(messages.size() == 5);
  check_transaction(messages);
  const auto tuple = describe(as<po::Insert>(messages[3]).new_tuple);
  REQUIRE(tuple.size() == kAllTypesColumns);
  CHECK(tuple[0] == "b:00000003");
  CHECK(tuple[1] == "b:8000");
  CHECK(tuple[2] == "b:7fffffffffffffff");
  CHECK(tuple[3] == "b:01");
  CHECK(tuple[4] == "b:3fc00000");          // 1.5f
  CHECK(tuple[5] == "b:c002000000000000");  // -2.25
  CHECK(tuple[8] == "b:" + to_hex("hello 'world'"));
  CHECK(tuple[16] == "b:a0eebc999c0b4ef8bb6d6bb9bd380a11");

  const auto updated = decoded(section(binary_capture(), "binary_update_docs_unchanged_toast"));
  REQUIRE(updated.size() == 3);
  CHECK(describe(as<po::Update>(updated[1]).new_tuple) ==
        std::vector<std::string>{"b:00000002", "b:" + to_hex("bin2"), "u"});
}

TEST_CASE("every truncation of every captured message is a corrupt error", "[pgoutput][robust]") {
  for (const auto* capture : {&text_capture(), &binary_capture()}) {
    for (const Section& s : *capture) {
      for (const std::string& bytes : s.messages) {
        for (std::size_t length = 0; length < bytes.size(); ++length) {
          const std::string_view prefix(bytes.data(), length);
          auto result = po::decode(prefix);
          if (result.ok()) FAIL(s.key << ": prefix of " << length << " bytes decoded");
          const auto& error = result.error();
          if (error.kind != ErrorKind::kCorrupt || error.message.rfind("pgoutput ", 0) != 0 ||
              error_offset(error.message) > length) {
            FAIL(s.key << ": prefix of " << length << " bytes: " << error.message);
          }
        }
      }
    }
  }
}

TEST_CASE("a byte after a complete message is trailing garbage", "[pgoutput][robust]") {
  for (const Section& s : text_capture()) {
    for (const std::string& bytes : s.messages) {
      const std::string message = decode_error(bytes + '\x00');
      INFO(message);
      CHECK(message.find("trailing 1 bytes at offset " + std::to_string(bytes.size())) !=
            std::string::npos);
    }
  }
}

TEST_CASE("bit flips and random bytes never crash the decoder", "[pgoutput][robust]") {
  std::size_t decoded_ok = 0;
  std::size_t rejected = 0;
  auto check = [&](std::string_view bytes) {
    auto result = po::decode(bytes);
    if (result.ok()) {
      ++decoded_ok;
      return;
    }
    ++rejected;
    if (result.error().kind != ErrorKind::kCorrupt ||
        error_offset(result.error().message) > bytes.size()) {
      FAIL(to_hex(bytes) << ": " << result.error().message);
    }
  };
  for (const auto* capture : {&text_capture(), &binary_capture()}) {
    for (const Section& s : *capture) {
      for (const std::string& original : s.messages) {
        std::string bytes = original;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
          // Headers and lengths live near the start; big values only repeat the same paths.
          if (i >= 256 && i + 16 < bytes.size()) continue;
          for (int bit = 0; bit < 8; ++bit) {
            bytes[i] = static_cast<char>(bytes[i] ^ (1 << bit));
            check(bytes);
            bytes[i] = original[i];
          }
        }
      }
    }
  }
  std::mt19937 random(20240229);
  const std::string tags = "BCORYIUDTMSEcAxNKOtnub";
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(random() % 48, '\0');
    for (char& c : bytes) c = static_cast<char>(random() % 4 == 0 ? 0xff : random() % 8);
    if (!bytes.empty()) bytes[0] = tags[random() % tags.size()];
    check(bytes);
  }
  CHECK(rejected > 0);
  CHECK(decoded_ok > 0);  // flips inside values still decode
}

TEST_CASE("hand-built malformed messages name what is wrong and where", "[pgoutput][robust]") {
  const std::string oid = be32(16391);
  CHECK(decode_error("") ==
        "pgoutput message: truncated message tag (needs 1 bytes, 0 left) at offset 0");
  CHECK(decode_error("Z") == "pgoutput message: unknown message tag 0x5a at offset 0");
  CHECK(decode_error("S" + be32(1) + '\x01').find("streamed transaction") != std::string::npos);
  CHECK(decode_error("I" + oid + "N" + std::string("\x00\x01x", 3)) ==
        "pgoutput Insert: unknown tuple column kind 0x78 at offset 8");
  CHECK(decode_error("I" + oid + "N" + std::string("\x00\x01t", 3) + be32(0xffffffff)) ==
        "pgoutput Insert: negative tuple column length -1 at offset 9");
  CHECK(decode_error("I" + oid + "N" + std::string("\x00\x01t", 3) + be32(0x7fffffff) + "ab") ==
        "pgoutput Insert: truncated tuple column value (needs 2147483647 bytes, 2 left) at "
        "offset 13");
  CHECK(decode_error("I" + oid + "N" + std::string("\xff\xff", 2)).find("truncated") !=
        std::string::npos);
  CHECK(decode_error("I" + oid + "K" + std::string("\x00\x00", 2)) ==
        "pgoutput Insert: tuple tag 0x4b is not 'N' at offset 5");
  CHECK(decode_error("D" + oid + "N" + std::string("\x00\x00", 2)) ==
        "pgoutput Delete: tuple tag 0x4e is not 'K' or 'O' at offset 5");
  CHECK(decode_error("U" + oid + "K" + std::string("\x00\x00", 2) + "X" +
                     std::string("\x00\x00", 2)) ==
        "pgoutput Update: tuple tag 0x58 is not 'N' at offset 8");
  CHECK(decode_error("U" + oid + "O" + std::string("\x00\x00", 2)).find("truncated tuple tag") !=
        std::string::npos);
  CHECK(decode_error("T" + be32(0x7fffffff) + '\x00' + oid) ==
        "pgoutput Truncate: relation count 2147483647 does not fit in 4 bytes at offset 1");
  CHECK(decode_error("T" + be32(0xffffffff) + '\x00') ==
        "pgoutput Truncate: relation count -1 does not fit in 0 bytes at offset 1");
  CHECK(decode_error("M\x01" + be64(1) + "p" + '\x00' + be32(0xfffffffe)) ==
        "pgoutput Message: negative content length -2 at offset 12");
  CHECK(decode_error("R" + oid + "public") ==
        "pgoutput Relation: unterminated namespace at offset 5");
  CHECK(decode_error("R" + oid + std::string("\x00t\x00z\x00\x00", 6)) ==
        "pgoutput Relation: unknown replica identity 0x7a at offset 8");
  CHECK(decode_error("B" + be64(1) + be64(2)) ==
        "pgoutput Begin: truncated xid (needs 4 bytes, 0 left) at offset 17");
}

TEST_CASE("hand-built messages: empty namespace is pg_catalog, zero-length values", "[pgoutput]") {
  const auto relation = as<po::Relation>(
      decoded("R" + be32(42) + std::string("\x00pg_class\x00n\x00\x01\x01oid\x00", 18) + be32(26) +
              be32(0xffffffff)));
  CHECK(relation.oid == 42);
  CHECK(relation.schema == "pg_catalog");
  CHECK(relation.name == "pg_class");
  CHECK(relation.replica_identity == 'n');
  REQUIRE(relation.columns.size() == 1);
  CHECK(relation.columns[0].key);
  CHECK(relation.columns[0].type_modifier == -1);

  const auto insert = as<po::Insert>(decoded("I" + be32(42) + "N" +
                                             std::string("\x00\x03t\x00\x00\x00\x00"
                                                         "b\x00\x00\x00\x00u",
                                                         13)));
  CHECK(describe(insert.new_tuple) == std::vector<std::string>{"t:", "b:", "u"});

  const auto truncate = as<po::Truncate>(decoded("T" + be32(0) + '\x02'));
  CHECK(truncate.options == po::Truncate::kRestartIdentity);
  CHECK(truncate.relation_oids.empty());
}

TEST_CASE("PostgreSQL and Unix timestamps", "[replication]") {
  CHECK(pg::pg_time_to_unix_us(0) == 946'684'800'000'000);
  CHECK(pg::unix_us_to_pg_time(946'684'800'000'000) == 0);
  CHECK(pg::unix_us_to_pg_time(0) == -946'684'800'000'000);
  for (int64_t t : {int64_t{-1}, int64_t{1}, int64_t{757'436'645'123'456}}) {
    CHECK(pg::unix_us_to_pg_time(pg::pg_time_to_unix_us(t)) == t);
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(pg::pg_time_to_unix_us(kMax) == kMax);  // infinity stays infinity
  CHECK(pg::pg_time_to_unix_us(kMin) == kMin);
  CHECK(pg::unix_us_to_pg_time(kMax) == kMax);
  CHECK(pg::unix_us_to_pg_time(kMin) == kMin);
  CHECK(pg::pg_time_to_unix_us(kMax - 1) == kMax);  // saturates
  CHECK(pg::unix_us_to_pg_time(kMin + 1) == kMin);
}

TEST_CASE("standby status update: byte layout", "[replication]") {
  const std::string frame =
      pg::encode_standby_status(0x0102030405060708, 0x1112131415161718, 0x2122232425262728,
                                pg::kPgEpochOffsetUs + 0x3132, true);
  CHECK(to_hex(frame) ==
        "72"
        "0102030405060708"
        "1112131415161718"
        "2122232425262728"
        "0000000000003132"
        "01");
  CHECK(pg::encode_standby_status(0, 0, 0, pg::kPgEpochOffsetUs - 1, false) ==
        "r" + std::string(24, '\0') + std::string(8, '\xff') + '\x00');
}

TEST_CASE("standby status update matches the one capture.py sent the server", "[replication]") {
  int seen = 0;
  for (const Section& s : frame_capture()) {
    if (s.key != "r") continue;
    const std::string& frame = s.messages.at(0);
    REQUIRE(frame.size() == 34);
    const auto clock = static_cast<int64_t>(read_be64(frame, 25));
    CHECK(pg::encode_standby_status(read_be64(frame, 1), read_be64(frame, 9), read_be64(frame, 17),
                                    pg::pg_time_to_unix_us(clock), frame[33] != 0) == frame);
    ++seen;
  }
  CHECK(seen == 1);
}

TEST_CASE("captured keepalive and XLogData frames", "[replication]") {
  int keepalives = 0;
  int xlog = 0;
  for (const Section& s : frame_capture()) {
    const std::string& frame = s.messages.at(0);
    INFO(s.comment);
    if (s.key == "k") {
      auto parsed = pg::parse_copy_data(frame);
      REQUIRE(parsed.ok());
      const auto& keepalive = std::get<pg::Keepalive>(*parsed);
      CHECK(keepalive.wal_end > 0);
      CHECK(keepalive.send_time_us > 1'577'836'800'000'000);
      CHECK(keepalive.reply_requested ==
            (s.comment.find("reply_requested=1") != std::string::npos));
      ++keepalives;
    } else if (s.key == "w") {
      auto parsed = pg::parse_copy_data(frame);
      REQUIRE(parsed.ok());
      const auto& data = std::get<pg::XLogData>(*parsed);
      CHECK(data.payload.data() == frame.data() + 25);  // a view, not a copy
      CHECK(data.payload.size() == frame.size() - 25);
      CHECK(data.wal_end >= data.wal_start);
      CHECK(data.send_time_us > 1'577'836'800'000'000);
      const po::Message message = decoded(std::string(data.payload));
      CHECK(message.index() == expected_index(data.payload[0]));
      if (const auto* commit = std::get_if<po::Commit>(&message)) {
        CHECK(data.wal_start == commit->end_lsn);
      }
      if (std::holds_alternative<po::Relation>(message)) CHECK(data.wal_start == 0);
      ++xlog;
    }
  }
  CHECK(keepalives == 2);
  CHECK(xlog >= 4);
}

TEST_CASE("CopyData parser: hand-built frames and errors", "[replication]") {
  const std::string keepalive = "k" + be64(0x16B374D848) + be64(0x1234) + '\x01';
  auto parsed = pg::parse_copy_data(keepalive);
  REQUIRE(parsed.ok());
  const auto& k = std::get<pg::Keepalive>(*parsed);
  CHECK(k.wal_end == 0x16B374D848);
  CHECK(k.send_time_us == pg::kPgEpochOffsetUs + 0x1234);
  CHECK(k.reply_requested);

  const std::string empty_payload = "w" + be64(1) + be64(2) + be64(0);
  parsed = pg::parse_copy_data(empty_payload);
  REQUIRE(parsed.ok());
  CHECK(std::get<pg::XLogData>(*parsed).payload.empty());
  CHECK(std::get<pg::XLogData>(*parsed).send_time_us == pg::kPgEpochOffsetUs);

  auto error = [](std::string_view bytes) {
    auto result = pg::parse_copy_data(bytes);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::kCorrupt);
    return result.error().message;
  };
  CHECK(error("") ==
        "replication CopyData: truncated message tag (needs 1 bytes, 0 left) at offset 0");
  CHECK(error("r" + std::string(33, '\0')) ==
        "replication CopyData: unknown message tag 0x72 at offset 0");
  CHECK(error(keepalive + 'x') == "replication Keepalive: trailing 1 bytes at offset 18");
  CHECK(error(keepalive.substr(0, 17) + '\x02') ==
        "replication Keepalive: replyRequested 0x02 is neither 0 nor 1 at offset 17");
  CHECK(error(empty_payload.substr(0, 20)) ==
        "replication XLogData: truncated sendTime (needs 8 bytes, 3 left) at offset 17");
  for (std::size_t length = 0; length < keepalive.size(); ++length) {
    CHECK_FALSE(pg::parse_copy_data(std::string_view(keepalive).substr(0, length)).ok());
  }
  for (const Section& s : frame_capture()) {
    const std::string& frame = s.messages.at(0);
    for (std::size_t length = 0; length < frame.size(); ++length) {
      auto result = pg::parse_copy_data(std::string_view(frame).substr(0, length));
      // An XLogData prefix with the whole header is a valid frame with a shorter payload.
      if (result.ok() != (frame[0] == 'w' && length >= 25)) {
        FAIL(s.comment << ": prefix of " << length << " bytes");
      }
    }
  }
}
