// Writing without waiting, for the request path's small writes (heads, short bodies).
//
// A write through Asio, even one the socket takes at once, allocates an operation, posts
// its completion through the scheduler and resumes the coroutine from there (and with
// Boost 1.74's use_awaitable, allocates a coroutine frame as well). Most heads and small
// bodies fit the socket's send buffer, so the request path first offers them to the
// socket directly (SendNow) and falls back to an asynchronous write of the rest (Skip)
// only when the socket could not take everything.
#ifndef SWITCHYARD_DATAPLANE_IO_SEND_NOW_H_
#define SWITCHYARD_DATAPLANE_IO_SEND_NOW_H_

#include <cstddef>
#include <span>

#include "boost/asio/buffer.hpp"
#include "boost/system/error_code.hpp"
#include "dataplane/io/io_types.h"

namespace switchyard::io {

// Writes as much of `buffers` as the socket takes now (one sendmsg, MSG_DONTWAIT), and
// returns how many bytes that was. `ec` is set only on a real failure (the peer is gone);
// a full send buffer is not one: the result is then short, possibly 0.
size_t SendNow(Socket& socket, std::span<const boost::asio::const_buffer> buffers,
               boost::system::error_code& ec);

// Removes the first `bytes` bytes from the front of `buffers` and returns the part still
// to be written (a sub-span of `buffers`, whose first element may be shortened).
std::span<boost::asio::const_buffer> Skip(std::span<boost::asio::const_buffer> buffers,
                                          size_t bytes);

// The total size of `buffers`.
size_t TotalSize(std::span<const boost::asio::const_buffer> buffers);

}  // namespace switchyard::io

#endif  // SWITCHYARD_DATAPLANE_IO_SEND_NOW_H_
