// The grpc++ Echo server (tests/support/echo_server.h) as a program, for
// tools/bench/grpc_unary.sh: serves on 127.0.0.1:<ephemeral>, writes the port to the file
// named by its one argument once it serves, and runs until SIGTERM or SIGINT.
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "tests/support/echo_server.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: grpc_echo READY_FILE\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  // Blocked before gRPC starts its threads, so that only sigwait below receives them.
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  switchyard::testing::EchoServer server;
  {
    std::ofstream ready(argv[1]);
    ready << server.port() << "\n";
  }
  int signal = 0;
  sigwait(&stop, &signal);
  return 0;
}
