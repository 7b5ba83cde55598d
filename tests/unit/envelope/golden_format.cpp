// Readable, diff-friendly layout of JSON for golden files: exact tokens, chosen line breaks.
#include "golden_format.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tributary::envelope::testing {
namespace {

struct Node {
  enum class Kind { kScalar, kObject, kArray } kind = Kind::kScalar;
  std::string token;                                  ///< kScalar: the raw token
  std::vector<std::pair<std::string, Node>> members;  ///< kObject: raw key token, value
  std::vector<Node> items;                            ///< kArray
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Node parse_document() {
    Node node = parse_value();
    skip_space();
    if (pos_ != text_.size()) fail("text after the document");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("layout_json: " + what + " at offset " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  char peek() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    return text_[pos_];
  }
  std::string string_token() {
    std::size_t start = pos_;
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  Node parse_value() {
    Node node;
    char c = peek();
    if (c == '{') {
      node.kind = Node::Kind::kObject;
      ++pos_;
      if (peek() == '}') {
        ++pos_;
        return node;
      }
      while (true) {
        if (peek() != '"') fail("expected a member name");
        std::string key = string_token();
        if (peek() != ':') fail("expected ':'");
        ++pos_;
        node.members.emplace_back(std::move(key), parse_value());
        char next = peek();
        ++pos_;
        if (next == '}') break;
        if (next != ',') fail("expected ',' or '}'");
      }
    } else if (c == '[') {
      node.kind = Node::Kind::kArray;
      ++pos_;
      if (peek() == ']') {
        ++pos_;
        return node;
      }
      while (true) {
        node.items.push_back(parse_value());
        char next = peek();
        ++pos_;
        if (next == ']') break;
        if (next != ',') fail("expected ',' or ']'");
      }
    } else if (c == '"') {
      node.token = string_token();
    } else {
      std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
             text_[pos_] != ']' && text_[pos_] != ' ' && text_[pos_] != '\n') {
        ++pos_;
      }
      if (start == pos_) fail("expected a value");
      node.token = std::string(text_.substr(start, pos_ - start));
    }
    return node;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string one_line(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kScalar:
      return node.token;
    case Node::Kind::kObject: {
      std::string out = "{";
      for (std::size_t i = 0; i < node.members.size(); ++i) {
        if (i > 0) out += ", ";
        out += node.members[i].first + ": " + one_line(node.members[i].second);
      }
      return out + "}";
    }
    case Node::Kind::kArray: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += one_line(node.items[i]);
      }
      return out + "]";
    }
  }
  return "";
}

/// Appends `node`, whose line already holds `used` columns, at indentation `indent`.
void lay_out(const Node& node, std::size_t indent, std::size_t used, std::size_t width,
             std::string& out) {
  std::string line = one_line(node);
  if (node.kind == Node::Kind::kScalar || used + line.size() <= width ||
      (node.members.empty() && node.items.empty())) {
    out += line;
    return;
  }
  const std::string inner(indent + 2, ' ');
  if (node.kind == Node::Kind::kObject) {
    out += "{\n";
    for (std::size_t i = 0; i < node.members.size(); ++i) {
      out += inner + node.members[i].first + ": ";
      lay_out(node.members[i].second, indent + 2, inner.size() + node.members[i].first.size() + 2,
              width, out);
      out += i + 1 < node.members.size() ? ",\n" : "\n";
    }
    out += std::string(indent, ' ') + "}";
  } else if (std::all_of(node.items.begin(), node.items.end(),
                         [](const Node& item) { return item.kind == Node::Kind::kScalar; })) {
    // Scalars fill lines, as a long list of numbers reads best.
    out += "[\n" + inner;
    std::size_t column = inner.size();
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      const std::string& token = node.items[i].token;
      const bool last = i + 1 == node.items.size();
      if (column > inner.size() && column + token.size() + 1 > width) {
        out += "\n" + inner;
        column = inner.size();
      } else if (column > inner.size()) {
        out += " ";
        ++column;
      }
      out += token + (last ? "" : ",");
      column += token.size() + (last ? 0 : 1);
    }
    out += "\n" + std::string(indent, ' ') + "]";
  } else {
    out += "[\n";
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      out += inner;
      lay_out(node.items[i], indent + 2, inner.size(), width, out);
      out += i + 1 < node.items.size() ? ",\n" : "\n";
    }
    out += std::string(indent, ' ') + "]";
  }
}

}  // namespace

std::string layout_json(std::string_view json, std::size_t width) {
  Node root = Parser(json).parse_document();
  std::string out;
  lay_out(root, 0, 0, width, out);
  out += "\n";
  return out;
}

std::string json_quote(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace tributary::envelope::testing
