#include "common/grpc_tls/loopback.h"

#include "gtest/gtest.h"

namespace switchyard {
namespace {

TEST(IsLoopbackAddressTest, LoopbackHostsAndUnixSockets) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:18000"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:18000"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:18000"));
  EXPECT_TRUE(IsLoopbackAddress("ipv4:127.0.0.1:18000"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/switchyard/control.sock"));
}

TEST(IsLoopbackAddressTest, WildcardsAndOtherHostsAreNot) {
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:18000"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:18000"));
  EXPECT_FALSE(IsLoopbackAddress(":18000"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:18000"));
  EXPECT_FALSE(IsLoopbackAddress("128.0.0.1:18000"));
  EXPECT_FALSE(IsLoopbackAddress("control.example:18000"));
  EXPECT_FALSE(IsLoopbackAddress("localhost.example:18000"));
  EXPECT_FALSE(IsLoopbackAddress("[::ffff:10.0.0.1]:18000"));
}

TEST(IsLoopbackAddressTest, WhatDoesNotParseIsNot) {
  EXPECT_FALSE(IsLoopbackAddress(""));
  EXPECT_FALSE(IsLoopbackAddress("[::1"));
  EXPECT_FALSE(IsLoopbackAddress("::1:18000"));  // unbracketed IPv6 is ambiguous
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1.nip.example:80"));
}

}  // namespace
}  // namespace switchyard
