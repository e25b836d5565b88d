#include "dataplane/http/path_normalizer.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

// Counts every allocation made through the global operator new, so a test can show that
// the common path allocates nothing.
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

// Not inlined: g++ would otherwise warn that free() receives memory from operator new.
[[gnu::noinline]] void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t /*size*/) noexcept { std::free(p); }

namespace switchyard::http {
namespace {

constexpr PathNormalizationOptions kDefault{};
constexpr PathNormalizationOptions kMerge{.merge_slashes = true};
constexpr PathNormalizationOptions kKeepSlashes{.escaped_slashes = EscapedSlashes::kKeep};
constexpr PathNormalizationOptions kDecodeSlashes{.escaped_slashes = EscapedSlashes::kDecode};

// The path a route would see: the input itself when unchanged, `out` when normalized,
// and the result's name otherwise.
std::string Normalized(std::string_view path, const PathNormalizationOptions& options = kDefault) {
  std::string out;
  const PathResult result = NormalizePath(path, options, out);
  switch (result) {
    case PathResult::kUnchanged:
      return std::string(path);
    case PathResult::kNormalized:
      return out;
    default:
      return "error:" + std::string(PathResultName(result));
  }
}

PathResult ResultOf(std::string_view path, const PathNormalizationOptions& options = kDefault) {
  std::string out;
  return NormalizePath(path, options, out);
}

TEST(PathNormalizerTest, NormalPathsAreUnchangedAndOutIsNotTouched) {
  for (const char* path : {"/", "/a", "/a/b", "/a/b/", "/a.b/c..d/.e/..f/...", "/a//b", "/~x_y-z",
                           "/a\\..\\b", "/.well-known/x", "/..a/b.."}) {
    std::string out = "sentinel";
    EXPECT_EQ(NormalizePath(path, kDefault, out), PathResult::kUnchanged) << path;
    EXPECT_EQ(out, "sentinel") << path;
  }
}

TEST(PathNormalizerTest, CommonPathAllocatesNothing) {
  std::string out;
  const std::string path = "/api/v1/users/1234567890/orders/abcdefghijklmnopqrstuvwxyz";
  const size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(NormalizePath(path, kMerge, out), PathResult::kUnchanged);
  }
  EXPECT_EQ(g_allocations.load(), before);
}

TEST(PathNormalizerTest, WarmBufferIsReusedWithoutAllocating) {
  std::string out;
  const std::string path = "/public/../admin/%7esecret.txt/./x/../y";
  ASSERT_EQ(NormalizePath(path, kDefault, out), PathResult::kNormalized);
  const size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(NormalizePath(path, kDefault, out), PathResult::kNormalized);
  }
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_EQ(out, "/admin/~secret.txt/y");
}

TEST(PathNormalizerTest, DotSegmentsAreRemoved) {
  EXPECT_EQ(Normalized("/public/../admin/secret.txt"), "/admin/secret.txt");
  EXPECT_EQ(Normalized("/a/./b"), "/a/b");
  EXPECT_EQ(Normalized("/a/b/."), "/a/b/");
  EXPECT_EQ(Normalized("/a/b/.."), "/a/");
  EXPECT_EQ(Normalized("/a/b/../"), "/a/");
  EXPECT_EQ(Normalized("/a/.."), "/");
  EXPECT_EQ(Normalized("/."), "/");
  EXPECT_EQ(Normalized("/./"), "/");
  EXPECT_EQ(Normalized("/a/./../b/./c/."), "/b/c/");
  EXPECT_EQ(Normalized("/a/b/c/../../d"), "/a/d");
  // Without merging, an empty segment is a segment (RFC 3986): ".." removes it.
  EXPECT_EQ(Normalized("/a//../b"), "/a/b");
  EXPECT_EQ(Normalized("//.."), "/");
}

TEST(PathNormalizerTest, ClimbingAboveTheRootIsAnError) {
  for (const char* path :
       {"/..", "/../", "/../a", "/x/../../", "/public/../../a", "/./../", "/a/./../..", "/%2e%2e",
        "/%2E%2E/", "/public/%2e%2e/%2E%2E/etc/passwd", "/.%2e/", "/%2e./x"}) {
    EXPECT_EQ(ResultOf(path), PathResult::kAboveRoot) << path;
    EXPECT_EQ(ResultOf(path, kMerge), PathResult::kAboveRoot) << path;
  }
  EXPECT_EQ(ResultOf("/public/..%2f..%2fetc/passwd", kDecodeSlashes), PathResult::kAboveRoot);
  EXPECT_EQ(ResultOf("/a//../../..", kMerge), PathResult::kAboveRoot);
}

TEST(PathNormalizerTest, EncodedDotsAreDecodedThenRemoved) {
  EXPECT_EQ(Normalized("/public/%2e%2e/admin"), "/admin");
  EXPECT_EQ(Normalized("/public/%2E%2E/admin"), "/admin");
  EXPECT_EQ(Normalized("/public/.%2e/admin"), "/admin");
  EXPECT_EQ(Normalized("/public/%2e/admin"), "/public/admin");
}

TEST(PathNormalizerTest, UnreservedEscapesAreDecodedOthersUpperCased) {
  EXPECT_EQ(Normalized("/%7Euser/%41%62%2d%5f%30"), "/~user/Ab-_0");
  EXPECT_EQ(Normalized("/caf%c3%a9"), "/caf%C3%A9");
  EXPECT_EQ(Normalized("/a%20b%3f%25"), "/a%20b%3F%25");
  // Decoding happens once: "%252e" is an escaped '%' followed by "2e", not a dot.
  EXPECT_EQ(Normalized("/%252e%252e/x"), "/%252e%252e/x");
  // Already-normal escapes need no new string.
  EXPECT_EQ(ResultOf("/a%20b/%C3%A9"), PathResult::kUnchanged);
  EXPECT_EQ(ResultOf("/a%20b/%c3%A9"), PathResult::kNormalized);
}

TEST(PathNormalizerTest, MalformedEscapesAreErrors) {
  for (const char* path : {"/%", "/a%2", "/a%zz", "/%g0", "/%0g/", "/a%%41", "/%-1"}) {
    EXPECT_EQ(ResultOf(path), PathResult::kBadEscape) << path;
    EXPECT_EQ(ResultOf(path, kKeepSlashes), PathResult::kBadEscape) << path;
  }
}

TEST(PathNormalizerTest, EscapedSlashesAreRejectedByDefault) {
  for (const char* path : {"/a%2fb", "/a%2Fb", "/a%5cb", "/a%5Cb", "/public/..%2fadmin"}) {
    EXPECT_EQ(ResultOf(path), PathResult::kEscapedSlash) << path;
  }
}

TEST(PathNormalizerTest, EscapedSlashesKept) {
  EXPECT_EQ(Normalized("/a%2fb%5cc", kKeepSlashes), "/a%2Fb%5Cc");
  EXPECT_EQ(ResultOf("/a%2Fb", kKeepSlashes), PathResult::kUnchanged);
  // Kept encoded, "..%2F" is not a dot segment, so there is nothing to climb.
  EXPECT_EQ(Normalized("/public/..%2fadmin", kKeepSlashes), "/public/..%2Fadmin");
}

TEST(PathNormalizerTest, EscapedSlashesDecodedBeforeDotSegments) {
  EXPECT_EQ(Normalized("/a%2fb", kDecodeSlashes), "/a/b");
  EXPECT_EQ(Normalized("/a%5Cb", kDecodeSlashes), "/a\\b");
  EXPECT_EQ(Normalized("/public/..%2fadmin", kDecodeSlashes), "/admin");
  EXPECT_EQ(Normalized("/public/%2e%2e%2Fadmin", kDecodeSlashes), "/admin");
}

TEST(PathNormalizerTest, MergeSlashes) {
  EXPECT_EQ(Normalized("//a///b//", kMerge), "/a/b/");
  EXPECT_EQ(Normalized("//", kMerge), "/");
  EXPECT_EQ(Normalized("/a//../b", kMerge), "/b");
  EXPECT_EQ(Normalized("/a/.//b", kMerge), "/a/b");
  EXPECT_EQ(
      Normalized("/a%2f%2fb", {.merge_slashes = true, .escaped_slashes = EscapedSlashes::kDecode}),
      "/a/b");
  // Without the option, "//" stays.
  EXPECT_EQ(ResultOf("//a//b"), PathResult::kUnchanged);
}

TEST(PathNormalizerTest, PathMustBeAbsolute) {
  for (const char* path : {"", "a/b", "*", "..", "%2F", "http://x/y"}) {
    EXPECT_EQ(ResultOf(path), PathResult::kNotAbsolute) << path;
  }
}

TEST(PathNormalizerTest, ResultNames) {
  EXPECT_EQ(PathResultName(PathResult::kAboveRoot), "above_root");
  EXPECT_EQ(PathResultName(PathResult::kUnchanged), "unchanged");
  EXPECT_FALSE(PathAccepted(PathResult::kBadEscape));
  EXPECT_TRUE(PathAccepted(PathResult::kNormalized));
}

// Random paths over the characters that matter: whatever is accepted comes out absolute,
// free of dot segments and of escapes of unreserved characters, and is a fixed point.
TEST(PathNormalizerTest, RandomPathsNormalizeToFixedPoints) {
  static constexpr char kAlphabet[] = "/./.%2eEfF5cC7a%/";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::uniform_int_distribution<size_t> length(0, 24);
  const std::vector<PathNormalizationOptions> all_options = {
      kDefault,
      kMerge,
      kKeepSlashes,
      kDecodeSlashes,
      {.merge_slashes = true, .escaped_slashes = EscapedSlashes::kDecode}};
  std::string out;
  std::string again;
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string path = "/";
    for (size_t n = length(rng); n > 0; --n) path += kAlphabet[pick(rng)];
    for (const PathNormalizationOptions& options : all_options) {
      const PathResult result = NormalizePath(path, options, out);
      if (!PathAccepted(result)) continue;
      ++accepted;
      const std::string normal = result == PathResult::kUnchanged ? path : out;
      ASSERT_FALSE(normal.empty()) << path;
      ASSERT_EQ(normal.front(), '/') << path;
      ASSERT_EQ((normal + "/").find("/./"), std::string::npos) << path << " -> " << normal;
      ASSERT_EQ((normal + "/").find("/../"), std::string::npos) << path << " -> " << normal;
      if (options.merge_slashes) {
        ASSERT_EQ(normal.find("//"), std::string::npos) << path;
      }
      ASSERT_EQ(NormalizePath(normal, options, again), PathResult::kUnchanged)
          << path << " -> " << normal << " -> " << again;
    }
  }
  EXPECT_GT(accepted, 10000u);
}

}  // namespace
}  // namespace switchyard::http
