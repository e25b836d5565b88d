#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "gtest/gtest.h"

namespace switchyard {
namespace {

// Each case runs in a forked child, so blocking signals and ignoring SIGPIPE do not leak
// into the test runner. Returns what the child exited with, or -1 if it did not exit
// normally (e.g. a stop signal killed it).
int InChild(int (*body)()) {
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(StopSignalsTest, WaitReturnsTheSignalSentToTheProcess) {
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              kill(getpid(), SIGTERM);
              return WaitForSignal();
            }),
            SIGTERM);
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              kill(getpid(), SIGINT);
              return WaitForSignal();
            }),
            SIGINT);
}

TEST(StopSignalsTest, SighupIsTakenButIsNotAStop) {
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              kill(getpid(), SIGHUP);
              return WaitForSignal();
            }),
            SIGHUP);
  EXPECT_FALSE(IsStopSignal(SIGHUP));
  EXPECT_TRUE(IsStopSignal(SIGTERM));
  EXPECT_TRUE(IsStopSignal(SIGINT));
}

TEST(StopSignalsTest, TimedWaitReturnsZeroWithoutASignalAndTheSignalWithOne) {
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              return WaitForSignalFor(std::chrono::milliseconds(20));
            }),
            0);
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              kill(getpid(), SIGINT);
              return WaitForSignalFor(std::chrono::seconds(60));
            }),
            SIGINT);
}

TEST(StopSignalsTest, ThreadsStartedAfterwardsDoNotTakeTheSignal) {
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              std::thread worker([] {
                sigset_t mask;
                pthread_sigmask(SIG_BLOCK, nullptr, &mask);
                if (sigismember(&mask, SIGTERM) != 1) _exit(100);
              });
              worker.join();
              kill(getpid(), SIGTERM);
              return WaitForSignal();
            }),
            SIGTERM);
}

TEST(StopSignalsTest, SigpipeIsIgnored) {
  EXPECT_EQ(InChild([] {
              BlockServerSignals();
              int fds[2];
              if (pipe(fds) != 0) return 1;
              close(fds[0]);
              // With SIGPIPE at its default this write would kill the child.
              const bool epipe = write(fds[1], "x", 1) < 0 && errno == EPIPE;
              return epipe ? 0 : 2;
            }),
            0);
}

}  // namespace
}  // namespace switchyard
