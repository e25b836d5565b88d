// Asio types bound to a worker's io_context executor.
//
// Asio's defaults (tcp::socket, awaitable<T>) carry a type-erased any_io_executor whose
// copies and calls show up in every socket operation's cost. Each worker runs exactly one
// io_context, so the concrete executor type is known and the erasure buys nothing.
#ifndef SWITCHYARD_DATAPLANE_IO_IO_TYPES_H_
#define SWITCHYARD_DATAPLANE_IO_IO_TYPES_H_

#include <utility>  // before awaitable.hpp: Boost 1.74 uses std::exchange without including it

#include "boost/asio/awaitable.hpp"
#include "boost/asio/basic_socket_acceptor.hpp"
#include "boost/asio/basic_stream_socket.hpp"
#include "boost/asio/basic_waitable_timer.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/redirect_error.hpp"
#include "boost/asio/use_awaitable.hpp"

namespace switchyard::io {

using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using SteadyTimer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

template <typename T>
using Awaitable = boost::asio::awaitable<T, Executor>;

// Completion token for co_await that stores the error in `ec` instead of throwing: the
// request path uses error codes, never exceptions.
inline auto AwaitInto(boost::system::error_code& ec) {
  return boost::asio::redirect_error(boost::asio::use_awaitable_t<Executor>(), ec);
}

}  // namespace switchyard::io

#endif  // SWITCHYARD_DATAPLANE_IO_IO_TYPES_H_
