// FUZZ_CHECK: the invariant assertion of the fuzz targets in tools/fuzz.
//
// A broken invariant must look like a crash to every driver: libFuzzer saves the input as
// crash-<sha1> and stops, and the corpus-replay gtests (corpus_replay_test.cc, built with
// g++) die, which Bazel reports as a failed test. So a failure prints what broke and
// aborts; it never throws (the code under test does not use exceptions on this path).
#ifndef SWITCHYARD_TOOLS_FUZZ_FUZZ_CHECK_H_
#define SWITCHYARD_TOOLS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)

#endif  // SWITCHYARD_TOOLS_FUZZ_FUZZ_CHECK_H_
