// One read from a socket into a Beast flat_buffer, for coroutines on the request path.
#ifndef SWITCHYARD_DATAPLANE_IO_READ_SOME_H_
#define SWITCHYARD_DATAPLANE_IO_READ_SOME_H_

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "boost/asio/error.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "dataplane/io/io_types.h"

namespace switchyard::io {

// Bytes read per socket read; also the most a body piece in flight holds per direction.
inline constexpr size_t kReadChunk = size_t{16} * 1024;

inline std::string_view Readable(const boost::beast::flat_buffer& buffer) {
  const auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

}  // namespace switchyard::io

// Reads once from `socket` into `buffer`, never past its max_size (flat_buffer would
// throw): on a full buffer `ec` is no_buffer_space. A macro rather than a coroutine: a
// nested coroutine frame per read is measurable per request. Use inside a coroutine.
#define SWITCHYARD_READ_SOME(socket, buffer, ec)                                   \
  do {                                                                             \
    const size_t switchyard_room = (buffer).max_size() - (buffer).size();          \
    if (switchyard_room == 0) {                                                    \
      (ec) = ::boost::asio::error::no_buffer_space;                                \
      break;                                                                       \
    }                                                                              \
    const size_t switchyard_got = co_await (socket).async_read_some(               \
        (buffer).prepare(std::min(switchyard_room, ::switchyard::io::kReadChunk)), \
        ::switchyard::io::AwaitInto(ec));                                          \
    (buffer).commit(switchyard_got);                                               \
  } while (false)

#endif  // SWITCHYARD_DATAPLANE_IO_READ_SOME_H_
