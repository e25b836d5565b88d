// Runs a fuzz target's LLVMFuzzerTestOneInput over every file of its seed corpus, as an
// ordinary gtest built with g++ (and under --config=asan). This keeps the fuzz targets
// compiling and their invariants holding in the normal suite, and makes every input in
// the corpus (including each crash the fuzzers ever found) a regression test.
//
// Usage: corpus_replay_test CORPUS_DIR...   (Bazel passes the directories via `args`).
// A broken invariant aborts (tools/fuzz/fuzz_check.h), which fails the test target.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string>& CorpusDirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

TEST(CorpusReplayTest, EveryInputPassesTheFuzzTarget) {
  ASSERT_FALSE(CorpusDirs().empty()) << "pass the corpus directories as arguments";
  size_t inputs = 0;
  for (const std::string& dir : CorpusDirs()) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());  // a reproducible order in the log
    EXPECT_FALSE(files.empty()) << dir << " holds no inputs";
    for (const std::filesystem::path& file : files) {
      SCOPED_TRACE(file.string());
      std::ifstream in(file, std::ios::binary);
      ASSERT_TRUE(in) << "cannot read " << file;
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      EXPECT_EQ(
          LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
      ++inputs;
    }
  }
  RecordProperty("inputs", static_cast<int>(inputs));
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);  // removes the flags it knows
  for (int i = 1; i < argc; ++i) CorpusDirs().emplace_back(argv[i]);
  return RUN_ALL_TESTS();
}
