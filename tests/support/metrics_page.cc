#include "tests/support/metrics_page.h"

#include <cmath>
#include <sstream>

namespace switchyard::testing {

int64_t MetricValue(const std::string& page, const std::string& series) {
  const std::string line_start = series + " ";
  for (size_t at = page.find(line_start); at != std::string::npos;
       at = page.find(line_start, at + 1)) {
    if (at == 0 || page[at - 1] == '\n') {
      // As a double: the exporter writes the shortest exact form, which for a round
      // number such as a timestamp ending in 0 is "1.79614851e+09".
      return std::llround(std::stod(page.substr(at + line_start.size())));
    }
  }
  return -1;
}

std::set<std::string> MetricFamilies(const std::string& page) {
  std::set<std::string> names;
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) names.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return names;
}

}  // namespace switchyard::testing
