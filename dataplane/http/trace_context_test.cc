#include "dataplane/http/trace_context.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesTheSpecificationsExample) {
  TraceParent parsed;
  ASSERT_TRUE(ParseTraceParent(kValid, parsed));
  EXPECT_EQ(parsed.version, "00");
  EXPECT_EQ(parsed.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed.parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(parsed.flags, "01");
}

TEST(TraceContextTest, RefusesWhatTheSpecificationCallsInvalid) {
  TraceParent parsed;
  for (const char* value : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    // short
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // v00 with more
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version ff
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   // not hex
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version, no '-'
       }) {
    EXPECT_FALSE(ParseTraceParent(value, parsed)) << value;
  }
  // A later version with more fields is read for what version 00 defines.
  EXPECT_TRUE(ParseTraceParent(
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next", parsed));
}

TEST(TraceContextTest, AValidContextIsPassedOnUnchanged) {
  HeaderMap headers;
  headers.Add("traceparent", kValid);
  headers.Add("tracestate", "congo=t61rcWkgMzE");
  std::mt19937_64 random(1);
  std::string trace_id;
  EXPECT_FALSE(ContinueOrStartTrace(headers, random, trace_id));
  EXPECT_EQ(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(*headers.Get("traceparent"), kValid);
  EXPECT_EQ(*headers.Get("tracestate"), "congo=t61rcWkgMzE");
}

TEST(TraceContextTest, AMissingOrBrokenContextStartsANewTraceAndDropsTracestate) {
  std::mt19937_64 random(7);
  for (const bool duplicate : {false, true}) {
    HeaderMap headers;
    if (duplicate) {
      headers.Add("traceparent", kValid);
      headers.Add("traceparent", kValid);
    } else {
      headers.Add("traceparent", "garbage");
    }
    headers.Add("tracestate", "congo=t61rcWkgMzE");
    std::string trace_id;
    EXPECT_TRUE(ContinueOrStartTrace(headers, random, trace_id));
    ASSERT_EQ(trace_id.size(), 32u);
    TraceParent parsed;
    ASSERT_TRUE(ParseTraceParent(*headers.Get("traceparent"), parsed))
        << *headers.Get("traceparent");
    EXPECT_EQ(parsed.trace_id, trace_id);
    EXPECT_EQ(parsed.flags, "00");
    EXPECT_NE(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_FALSE(headers.Has("tracestate"));
    size_t traceparents = 0;
    for (const HeaderField& field : headers) traceparents += field.name == "traceparent";
    EXPECT_EQ(traceparents, 1u);
  }
  // Two new traces differ.
  HeaderMap a;
  HeaderMap b;
  std::string id_a;
  std::string id_b;
  ContinueOrStartTrace(a, random, id_a);
  ContinueOrStartTrace(b, random, id_b);
  EXPECT_NE(id_a, id_b);
}

}  // namespace
}  // namespace switchyard::http
