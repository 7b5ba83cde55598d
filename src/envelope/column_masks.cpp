// Column filters and Debezium's column mappers (truncate, mask, salted hash).
#include "envelope/column_masks.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace tributary::envelope {
namespace {

/// Java MessageDigest names (the option's allowed values) -> OpenSSL 3 fetch names.
const char* openssl_name(const std::string& java) {
  static const std::map<std::string, const char*> kNames = {
      {"MD5", "MD5"},
      {"SHA-1", "SHA1"},
      {"SHA-224", "SHA2-224"},
      {"SHA-256", "SHA2-256"},
      {"SHA-384", "SHA2-384"},
      {"SHA-512", "SHA2-512"},
      {"SHA-512/224", "SHA2-512/224"},
      {"SHA-512/256", "SHA2-512/256"},
      {"SHA3-224", "SHA3-224"},
      {"SHA3-256", "SHA3-256"},
      {"SHA3-384", "SHA3-384"},
      {"SHA3-512", "SHA3-512"},
  };
  auto it = kNames.find(java);
  return it == kNames.end() ? nullptr : it->second;
}

/// Fetched once per process and kept (a handful at most).
const EVP_MD* digest_named(const std::string& java) {
  static std::mutex mutex;
  static std::map<std::string, const EVP_MD*> fetched;
  std::lock_guard lock(mutex);
  if (auto it = fetched.find(java); it != fetched.end()) return it->second;
  const char* name = openssl_name(java);
  const EVP_MD* md = name == nullptr ? nullptr : EVP_MD_fetch(nullptr, name, nullptr);
  if (md != nullptr) fetched.emplace(java, md);
  return md;
}

/// PostgreSQL types of kind kString that JDBC reports as Types.OTHER, which Debezium's string
/// mappers (MaskStrings, TruncateColumn on a String) leave alone.
bool jdbc_string(const event::Column& column) {
  if (column.type.kind != event::TypeKind::kString) return false;
  const std::string& name = column.type.source_name;
  static const char* const kOther[] = {"citext",   "inet",  "cidr",       "macaddr",
                                       "macaddr8", "ltree", "hstore_text"};
  for (const char* other : kOther) {
    if (name == other) return false;
  }
  return name.size() < 5 || name.compare(name.size() - 5, 5, "range") != 0;
}

/// Decodes one code point of valid UTF-8 at `at` (advanced past it).
uint32_t next_code_point(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(at);
  if (lead < 0x80) {
    at += 1;
    return lead;
  }
  if (lead < 0xE0 && at + 1 < text.size()) {
    const uint32_t cp = ((lead & 0x1F) << 6) | (byte(at + 1) & 0x3F);
    at += 2;
    return cp;
  }
  if (lead < 0xF0 && at + 2 < text.size()) {
    const uint32_t cp =
        ((lead & 0x0F) << 12) | ((byte(at + 1) & 0x3F) << 6) | (byte(at + 2) & 0x3F);
    at += 3;
    return cp;
  }
  if (at + 3 < text.size()) {
    const uint32_t cp = ((lead & 0x07) << 18) | ((byte(at + 1) & 0x3F) << 12) |
                        ((byte(at + 2) & 0x3F) << 6) | (byte(at + 3) & 0x3F);
    at += 4;
    return cp;
  }
  at = text.size();
  return 0xFFFD;
}

/// Java's modified UTF-8 of one UTF-16 unit (DataOutputStream.writeUTF).
void append_modified_utf8(uint32_t unit, std::string& out) {
  if (unit >= 0x0001 && unit <= 0x007F) {
    out.push_back(static_cast<char>(unit));
  } else if (unit > 0x07FF) {
    out.push_back(static_cast<char>(0xE0 | ((unit >> 12) & 0x0F)));
    out.push_back(static_cast<char>(0x80 | ((unit >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (unit & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xC0 | ((unit >> 6) & 0x1F)));
    out.push_back(static_cast<char>(0x80 | (unit & 0x3F)));
  }
}

/// ObjectOutputStream.writeObject(String) on a fresh stream: the stream header, then TC_STRING
/// with a 2-byte length (TC_LONGSTRING with an 8-byte length past 65535 bytes) and the modified
/// UTF-8 of its UTF-16 units.
void java_serialized_string(std::string_view text, std::string& out) {
  std::string body;
  body.reserve(text.size() + 8);
  for (std::size_t at = 0; at < text.size();) {
    const uint32_t cp = next_code_point(text, at);
    if (cp >= 0x10000) {
      append_modified_utf8(0xD800 + ((cp - 0x10000) >> 10), body);
      append_modified_utf8(0xDC00 + ((cp - 0x10000) & 0x3FF), body);
    } else {
      append_modified_utf8(cp, body);
    }
  }
  out.assign("\xAC\xED\x00\x05", 4);
  const uint64_t length = body.size();
  if (length <= 0xFFFF) {
    out.push_back('\x74');
    out.push_back(static_cast<char>(length >> 8));
    out.push_back(static_cast<char>(length & 0xFF));
  } else {
    out.push_back('\x7C');
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((length >> shift) & 0xFF));
    }
  }
  out += body;
}

/// The prefix of `text` holding at most `units` UTF-16 units (String.substring(0, units)); a
/// supplementary character that would be split is left out whole.
std::size_t utf16_prefix_bytes(std::string_view text, int64_t units) {
  int64_t counted = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t next = at;
    const uint32_t cp = next_code_point(text, next);
    const int64_t width = cp >= 0x10000 ? 2 : 1;
    if (counted + width > units) break;
    counted += width;
    at = next;
  }
  return at;
}

Result<void> hash_hex(const ColumnMask& mask, std::string_view text, std::string& out) {
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                               &EVP_MD_CTX_free);
  thread_local std::string serialized;
  std::string_view input = text;
  if (!mask.v2) {
    java_serialized_string(text, serialized);
    input = serialized;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const auto* md = static_cast<const EVP_MD*>(mask.digest);
  if (!context || EVP_DigestInit_ex(context.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), mask.salt.data(), mask.salt.size()) != 1 ||
      EVP_DigestUpdate(context.get(), input.data(), input.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &size) != 1) {
    return Error::fatal("columns.mask_hash: OpenSSL could not compute the digest");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0F]);
  }
  if (mask.cut_to > 0 && static_cast<int64_t>(out.size()) > mask.cut_to) {
    out.resize(static_cast<std::size_t>(mask.cut_to));
  }
  return {};
}

}  // namespace

Result<MaskOutcome> apply_mask(const ColumnMask& mask, const event::Value& value,
                               std::string& out) {
  if (!mask.applies || std::holds_alternative<event::Unchanged>(value)) {
    return MaskOutcome::kUnchanged;
  }
  switch (mask.kind) {
    case ColumnMask::Kind::kMaskWith:
      // MaskingValueConverter returns the mask whatever it is given, NULL included.
      out = mask.mask;
      return MaskOutcome::kText;
    case ColumnMask::Kind::kHash: {
      const auto* text = std::get_if<std::string>(&value);
      if (text == nullptr) return MaskOutcome::kNull;  // not Serializable: null, as Debezium
      if (auto hashed = hash_hex(mask, *text, out); !hashed.ok()) return hashed.error();
      return MaskOutcome::kText;
    }
    case ColumnMask::Kind::kTruncate:
      if (const auto* text = std::get_if<std::string>(&value)) {
        out.assign(*text, 0, utf16_prefix_bytes(*text, mask.length));
        return MaskOutcome::kText;
      }
      if (const auto* bytes = std::get_if<event::Bytes>(&value)) {
        out.assign(
            bytes->data, 0,
            std::min<std::size_t>(bytes->data.size(), static_cast<std::size_t>(mask.length)));
        return MaskOutcome::kBytes;
      }
      return MaskOutcome::kUnchanged;
  }
  return MaskOutcome::kUnchanged;
}

Result<std::shared_ptr<const ColumnRules>> ColumnRules::make(const config::ColumnsConfig& config) {
  auto rules = std::make_shared<ColumnRules>();
  const auto compile = [](const std::vector<std::string>& patterns) {
    std::vector<std::regex> compiled;
    for (const auto& p : patterns) {
      compiled.emplace_back(p, std::regex::ECMAScript | std::regex::icase);
    }
    return compiled;
  };
  rules->include_ = compile(config.include);
  rules->exclude_ = compile(config.exclude);
  // Debezium's ColumnMappers.create registers truncate, then mask, then hash; the first wins.
  const std::pair<ColumnMask::Kind, const std::vector<config::ColumnMaskRule>*> lists[] = {
      {ColumnMask::Kind::kTruncate, &config.truncate_to},
      {ColumnMask::Kind::kMaskWith, &config.mask_with},
      {ColumnMask::Kind::kHash, &config.mask_hash}};
  for (const auto& [kind, list] : lists) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const config::ColumnMaskRule& rule = (*list)[i];
      Rule compiled{kind, compile(rule.columns), rule};
      if (kind == ColumnMask::Kind::kHash) {
        compiled.digest = digest_named(rule.algorithm);
        if (compiled.digest == nullptr) {
          return Error::config("pipelines[].columns.mask_hash[" + std::to_string(i) +
                               "].algorithm: this OpenSSL cannot compute " + rule.algorithm +
                               "; choose another algorithm (SHA-256, SHA-512, ...)");
        }
      }
      rules->rules_.push_back(std::move(compiled));
    }
  }
  return std::shared_ptr<const ColumnRules>(std::move(rules));
}

bool ColumnRules::matches(const std::vector<std::regex>& patterns, const std::string& name) {
  for (const auto& pattern : patterns) {
    if (std::regex_match(name, pattern)) return true;
  }
  return false;
}

bool ColumnRules::empty() const {
  return include_.empty() && exclude_.empty() && rules_.empty();
}

bool ColumnRules::excluded(const event::TableId& table, const event::Column& column) const {
  const std::string name = table.qualified() + "." + column.name;
  if (!include_.empty() && !matches(include_, name)) return true;
  return matches(exclude_, name);
}

std::shared_ptr<const ColumnMask> ColumnRules::mask_for(const event::TableId& table,
                                                        const event::Column& column) const {
  const std::string name = table.qualified() + "." + column.name;
  for (const auto& rule : rules_) {
    if (!matches(rule.patterns, name)) continue;
    auto mask = std::make_shared<ColumnMask>();
    mask->kind = rule.kind;
    // The declared length (varchar(n), char(n)); -1: none known.
    const int64_t declared =
        column.type.kind == event::TypeKind::kString ? column.type.precision : -1;
    switch (rule.kind) {
      case ColumnMask::Kind::kTruncate: {
        // TruncateColumn.isTruncationPossible: the length is unknown or above the limit.
        const bool possible = declared < 0 || declared > rule.rule.length;
        const bool typed = jdbc_string(column) || column.type.kind == event::TypeKind::kBytes;
        mask->applies = possible && typed;
        mask->length = rule.rule.length;
        if (mask->applies) {
          mask->parameter = "truncateLength";
          mask->parameter_value = std::to_string(rule.rule.length);
        }
        break;
      }
      case ColumnMask::Kind::kMaskWith:
        mask->applies = jdbc_string(column);
        mask->mask.assign(static_cast<std::size_t>(rule.rule.length), '*');
        mask->parameter = "masked";
        mask->parameter_value = "true";
        break;
      case ColumnMask::Kind::kHash:
        mask->applies = jdbc_string(column);
        mask->digest = rule.digest;
        mask->salt = rule.rule.salt;
        mask->v2 = rule.rule.version == "v2";
        mask->cut_to = declared > 0 ? declared : -1;
        mask->parameter = "masked";
        mask->parameter_value = "true";
        break;
    }
    return mask;
  }
  return nullptr;
}

}  // namespace tributary::envelope
