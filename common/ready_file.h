// The --ready_file of switchyard-proxy and switchyard-control: how a server told to
// listen on port 0 says, once it serves, which ports it got.
#ifndef SWITCHYARD_COMMON_READY_FILE_H_
#define SWITCHYARD_COMMON_READY_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace switchyard {

// Writes `ports` to `path`, one decimal number a line, replacing any earlier file. The
// text goes to `path`.tmp first and is renamed over `path`, so a reader polling for the
// file never sees it half written. False (with errno set) when it cannot be written.
bool WriteReadyFile(const std::string& path, const std::vector<uint16_t>& ports);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_READY_FILE_H_
