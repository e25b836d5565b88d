#include "common/ready_file.h"

#include <cstdio>
#include <fstream>

namespace switchyard {

bool WriteReadyFile(const std::string& path, const std::vector<uint16_t>& ports) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const uint16_t port : ports) out << port << "\n";
    if (!out.flush()) return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace switchyard
