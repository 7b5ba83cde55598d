// PostgreSQL's one-dimensional array literals (array_out form).
#include <utility>

#include "source/postgres/values/text_parsers.hpp"

namespace tributary::source::postgres::text {
namespace {

Error corrupt(std::string reason) {
  return Error::corrupt(std::move(reason));
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

Result<void> parse_array(std::string_view text, ArrayElements& out) {
  out.clear();
  std::size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' ||
                                 text[pos] == '\r' || text[pos] == '\v' || text[pos] == '\f')) {
      ++pos;
    }
  };
  skip_space();
  // Dimension decoration, printed when the lower bound is not 1: "[0:2]={...}".
  if (pos < text.size() && text[pos] == '[') {
    int dimensions = 0;
    while (pos < text.size() && text[pos] == '[') {
      std::size_t close = text.find(']', pos);
      if (close == std::string_view::npos) return corrupt("unterminated array dimensions");
      pos = close + 1;
      ++dimensions;
    }
    if (!expect(text, pos, '=')) return corrupt("missing '=' after array dimensions");
    if (dimensions > 1) return corrupt("multi-dimensional arrays are not supported");
    skip_space();
  }
  if (!expect(text, pos, '{')) return corrupt("an array must start with '{'");
  skip_space();
  if (expect(text, pos, '}')) {
    skip_space();
    if (pos != text.size()) return corrupt("text after the end of the array");
    return {};
  }
  auto& storage = out.storage_;
  while (true) {
    skip_space();
    if (pos >= text.size()) return corrupt("unterminated array");
    ArrayElements::Element element;
    element.offset = storage.size();
    if (text[pos] == '{') return corrupt("multi-dimensional arrays are not supported");
    if (text[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < text.size()) {
        char c = text[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (pos >= text.size()) break;
          c = text[pos++];
        }
        storage.push_back(c);
      }
      if (!closed) return corrupt("unterminated quoted array element");
    } else {
      bool escaped = false;
      std::size_t last_significant = storage.size();
      while (pos < text.size() && text[pos] != ',' && text[pos] != '}') {
        char c = text[pos++];
        if (c == '"' || c == '{') return corrupt("unexpected character in array element");
        if (c == '\\') {
          if (pos >= text.size()) return corrupt("unterminated array");
          c = text[pos++];
          escaped = true;
          storage.push_back(c);
          last_significant = storage.size();
          continue;
        }
        storage.push_back(c);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') {
          last_significant = storage.size();
        }
      }
      storage.resize(last_significant);  // trailing whitespace is not part of the element
      std::string_view value(storage.data() + element.offset, storage.size() - element.offset);
      if (value.empty() && !escaped) return corrupt("empty unquoted array element");
      if (!escaped && value.size() == 4 && (value[0] == 'N' || value[0] == 'n') &&
          (value[1] == 'U' || value[1] == 'u') && (value[2] == 'L' || value[2] == 'l') &&
          (value[3] == 'L' || value[3] == 'l')) {
        element.is_null = true;
        storage.resize(element.offset);
      }
    }
    element.size = storage.size() - element.offset;
    out.elements_.push_back(element);
    skip_space();
    if (expect(text, pos, ',')) continue;
    if (expect(text, pos, '}')) break;
    return corrupt("expected ',' or '}' in array");
  }
  skip_space();
  if (pos != text.size()) return corrupt("text after the end of the array");
  return {};
}

}  // namespace tributary::source::postgres::text
