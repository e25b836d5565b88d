// Plain-text tables with aligned columns, the way `kubectl get` prints them:
//
//   VHOST  ROUTE  MATCH          CLUSTER(S)
//   api    users  prefix /users  blue
//
// Columns are separated by two spaces; the last column is not padded and no line ends
// in spaces. Widths count UTF-8 code points, so names and messages in other scripts
// stay aligned. Control characters in cells are shown escaped ("\n") because one cell
// must never break a row into two lines.
#ifndef SWITCHYARD_TOOLS_YARDCTL_TABLE_H_
#define SWITCHYARD_TOOLS_YARDCTL_TABLE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::yardctl {

class Table {
 public:
  // Empty `headers`: a table without a header row.
  explicit Table(std::vector<std::string> headers = {});

  // Rows may have fewer cells than the widest row; the missing cells are empty.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // The table, every line ending in '\n'; each line starts with `indent`.
  std::string Render(std::string_view indent = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text in code points (continuation bytes are not counted).
size_t DisplayWidth(std::string_view text);

// `text` with control characters (bytes < 0x20 and 0x7f) written as \n, \t, \r or \xNN.
std::string EscapeControl(std::string_view text);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_TABLE_H_
