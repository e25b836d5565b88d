#include "dataplane/io/send_now.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace switchyard::io {

size_t SendNow(Socket& socket, std::span<const boost::asio::const_buffer> buffers,
               boost::system::error_code& ec) {
  // Callers pass a handful of buffers (a head, chunk framing, a body piece).
  constexpr size_t kMaxBuffers = 8;
  std::array<iovec, kMaxBuffers> iov{};
  const size_t count = std::min(buffers.size(), kMaxBuffers);
  for (size_t i = 0; i < count; ++i) {
    iov[i].iov_base = const_cast<void*>(buffers[i].data());  // sendmsg does not write
    iov[i].iov_len = buffers[i].size();
  }
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  for (;;) {
    const ssize_t sent = ::sendmsg(socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<size_t>(sent);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec.assign(errno, boost::system::system_category());
    }
    return 0;
  }
}

std::span<boost::asio::const_buffer> Skip(std::span<boost::asio::const_buffer> buffers,
                                          size_t bytes) {
  size_t first = 0;
  while (first < buffers.size() && bytes >= buffers[first].size()) {
    bytes -= buffers[first].size();
    ++first;
  }
  if (first < buffers.size()) buffers[first] += bytes;
  return buffers.subspan(first);
}

size_t TotalSize(std::span<const boost::asio::const_buffer> buffers) {
  size_t total = 0;
  for (const boost::asio::const_buffer& buffer : buffers) total += buffer.size();
  return total;
}

}  // namespace switchyard::io
