#include "tools/yardctl/table.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace switchyard::yardctl {
namespace {

constexpr std::string_view kColumnGap = "  ";

void AppendLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                std::string_view indent, std::string& out) {
  std::string line(indent);
  for (size_t i = 0; i < widths.size(); ++i) {
    const std::string_view cell = i < cells.size() ? std::string_view(cells[i]) : "";
    line += cell;
    if (i + 1 < widths.size()) {
      line.append(widths[i] - DisplayWidth(cell), ' ');
      line += kColumnGap;
    }
  }
  // Trailing empty cells would leave padding at the end of the line.
  line.erase(line.find_last_not_of(' ') + 1);
  out += line;
  out += '\n';
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  for (std::string& cell : cells) cell = EscapeControl(cell);
  rows_.push_back(std::move(cells));
}

std::string Table::Render(std::string_view indent) const {
  size_t columns = headers_.size();
  for (const auto& row : rows_) columns = std::max(columns, row.size());
  std::vector<size_t> widths(columns, 0);
  auto measure = [&widths](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
    }
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);

  std::string out;
  if (!headers_.empty()) AppendLine(headers_, widths, indent, out);
  for (const auto& row : rows_) AppendLine(row, widths, indent, out);
  return out;
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string EscapeControl(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace switchyard::yardctl
