#include "tests/support/nghttpx_front.h"

#include <sstream>
#include <thread>
#include <utility>

#include "tests/support/socket.h"

namespace switchyard::testing {

NghttpxFront::NghttpxFront(uint16_t backend_port, NghttpxOptions options)
    : backend_port_(backend_port), options_(std::move(options)), dir_(MakeTempDir("nghttpx")) {}

bool NghttpxFront::Start(std::string* error) {
  // nghttpx cannot report a port it chose: take a free one and let it go just before.
  {
    Listener probe;
    port_ = probe.port();
  }
  const bool tls = !options_.cert_file.empty();
  std::vector<std::string> argv = {
      "/usr/sbin/nghttpx",
      "--conf=/dev/null",  // never the host's /etc/nghttpx/nghttpx.conf
      "--frontend=127.0.0.1," + std::to_string(port_) + (tls ? "" : ";no-tls"),
      "--backend=127.0.0.1," + std::to_string(backend_port_),
      "--workers=1",
      "--no-ocsp",
      "--accesslog-file=" + dir_ + "/access.log",
      "--accesslog-format=$alpn $remote_port $status $path",
      "--errorlog-file=" + dir_ + "/error.log",
  };
  if (options_.max_concurrent_streams > 0) {
    argv.push_back("--frontend-http2-max-concurrent-streams=" +
                   std::to_string(options_.max_concurrent_streams));
  }
  if (options_.max_requests > 0) {
    argv.push_back("--frontend-max-requests=" + std::to_string(options_.max_requests));
  }
  if (tls) {
    argv.push_back(options_.key_file);
    argv.push_back(options_.cert_file);
  }
  if (!process_.Start(argv, dir_ + "/nghttpx.log", error)) return false;
  const ChildProcess::WaitResult ready = process_.WaitUntilReady(
      [this] { return Socket::Connect(port_, std::chrono::milliseconds(200)).valid(); },
      std::chrono::seconds(10));
  if (ready != ChildProcess::WaitResult::kReady) {
    *error =
        "nghttpx did not start listening: " + ReadFile(dir_ + "/error.log") + process_.LogTail();
    return false;
  }
  return true;
}

std::vector<NghttpxFront::Request> NghttpxFront::Requests() const {
  std::vector<Request> requests;
  std::istringstream lines(ReadFile(dir_ + "/access.log"));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    Request r;
    if (fields >> r.alpn >> r.remote_port >> r.status >> r.path) requests.push_back(r);
  }
  return requests;
}

std::set<int> NghttpxFront::ConnectionPorts() const {
  std::set<int> ports;
  for (const Request& r : Requests()) ports.insert(r.remote_port);
  return ports;
}

bool NghttpxFront::WaitForRequests(size_t n, Clock::duration timeout) const {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (Requests().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace switchyard::testing
