// A port on 127.0.0.1 that is bound, so nothing else takes it while a test uses it, and
// that either refuses connections (not listening) or accepts them in the kernel and never
// says a word (listening, never accepting): the two ways a control plane can be missing.
#ifndef SWITCHYARD_TOOLS_YARDCTL_TESTING_RESERVED_PORT_H_
#define SWITCHYARD_TOOLS_YARDCTL_TESTING_RESERVED_PORT_H_

#include <string>

namespace switchyard::yardctl::testing {

class ReservedPort {
 public:
  explicit ReservedPort(bool listening);
  ~ReservedPort();
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;

  // False if the socket could not be set up.
  bool Bound() const { return port_ != 0; }
  // "127.0.0.1:PORT".
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace switchyard::yardctl::testing

#endif  // SWITCHYARD_TOOLS_YARDCTL_TESTING_RESERVED_PORT_H_
