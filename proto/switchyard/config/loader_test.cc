#include "switchyard/config/loader.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Debian's absl::string_view is not std::string_view, which gmock's matchers want.
std::string Message(const absl::StatusOr<v1::Snapshot>& s) {
  return std::string(s.status().message());
}

constexpr const char* kFullYaml = R"yaml(
version: 42
virtual_hosts:
  - name: api
    domains: ["api.example.com", "*.api.example.com"]
    routes:
      - name: users
        match:
          prefix: /users/
          methods: [GET, POST]
          headers:
            - name: x-canary
              exact: "1"
            - name: x-debug
              present: false
            - name: x-tenant
              regex: "t-[0-9]+"
              invert: true
        route:
          cluster: backend
          prefix_rewrite: /v2/users/
          host_rewrite: users.internal
          timeout: 1.5s
      - name: split
        match: {path: /split}
        route:
          weighted_clusters:
            clusters:
              - {name: backend, weight: 90}
              - {name: canary, weight: 10}
clusters:
  - name: backend
    endpoints:
      - {address: 10.0.0.1, port: 8080, weight: 3}
      - {address: "::1", port: "8081"}
    connect_timeout: 0.25s
    max_idle_connections: 0
  - name: canary
    endpoints: [{address: 10.0.0.2, port: 80}]
)yaml";

TEST(ParseSnapshotTest, ReadsEveryKindOfField) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(kFullYaml, "full.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->version(), 42u);
  ASSERT_EQ(s->virtual_hosts_size(), 1);
  const v1::VirtualHost& vh = s->virtual_hosts(0);
  EXPECT_EQ(vh.name(), "api");
  EXPECT_THAT(vh.domains(), ::testing::ElementsAre("api.example.com", "*.api.example.com"));
  ASSERT_EQ(vh.routes_size(), 2);
  const v1::Route& users = vh.routes(0);
  EXPECT_EQ(users.match().prefix(), "/users/");
  EXPECT_THAT(users.match().methods(), ::testing::ElementsAre("GET", "POST"));
  ASSERT_EQ(users.match().headers_size(), 3);
  EXPECT_EQ(users.match().headers(0).exact(), "1");
  EXPECT_EQ(users.match().headers(1).match_case(), v1::HeaderMatcher::kPresent);
  EXPECT_FALSE(users.match().headers(1).present());
  EXPECT_EQ(users.match().headers(2).regex(), "t-[0-9]+");
  EXPECT_TRUE(users.match().headers(2).invert());
  EXPECT_EQ(users.route().cluster(), "backend");
  EXPECT_EQ(users.route().prefix_rewrite(), "/v2/users/");
  EXPECT_EQ(users.route().host_rewrite(), "users.internal");
  EXPECT_EQ(users.route().timeout().seconds(), 1);
  EXPECT_EQ(users.route().timeout().nanos(), 500000000);
  const v1::Route& split = vh.routes(1);
  EXPECT_EQ(split.match().path(), "/split");
  ASSERT_EQ(split.route().weighted_clusters().clusters_size(), 2);
  EXPECT_EQ(split.route().weighted_clusters().clusters(1).name(), "canary");
  EXPECT_EQ(split.route().weighted_clusters().clusters(1).weight(), 10u);
  ASSERT_EQ(s->clusters_size(), 2);
  const v1::Cluster& backend = s->clusters(0);
  EXPECT_EQ(backend.endpoints(0).address(), "10.0.0.1");
  EXPECT_EQ(backend.endpoints(0).port(), 8080u);
  EXPECT_EQ(backend.endpoints(0).weight(), 3u);
  EXPECT_EQ(backend.endpoints(1).address(), "::1");
  EXPECT_EQ(backend.endpoints(1).port(), 8081u);  // quoted numbers are accepted
  EXPECT_EQ(backend.connect_timeout().nanos(), 250000000);
  EXPECT_TRUE(backend.has_max_idle_connections());  // explicit 0 is kept
  EXPECT_EQ(backend.max_idle_connections(), 0u);
  EXPECT_FALSE(s->clusters(1).has_max_idle_connections());
}

constexpr const char* kAuthYaml = R"yaml(
consumers:
  - name: acme
    groups: [partners]
    metadata: {owner: team-a}
    api_keys: [{name: k1, sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]
auth_policies:
  - name: partners-only
    api_key: {header: x-api-key}
    rules: [{allow: {groups: [partners]}}]
virtual_hosts:
  - name: api
    domains: ["*"]
    auth_policy: partners-only
    routes:
      - {name: health, match: {path: /health}, route: {cluster: b}, skip_auth: true}
      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: partners-only}
clusters: [{name: b, endpoints: [{address: 127.0.0.1, port: 8080}]}]
)yaml";

TEST(ParseSnapshotTest, ReadsConsumersAndAuthPolicies) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(kAuthYaml, "auth.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->consumers_size(), 1);
  const v1::Consumer& acme = s->consumers(0);
  EXPECT_EQ(acme.name(), "acme");
  EXPECT_THAT(acme.groups(), ::testing::ElementsAre("partners"));
  ASSERT_EQ(acme.metadata_size(), 1);
  EXPECT_EQ(acme.metadata().at("owner"), "team-a");
  ASSERT_EQ(acme.api_keys_size(), 1);
  EXPECT_EQ(acme.api_keys(0).name(), "k1");
  EXPECT_EQ(acme.api_keys(0).sha256(),
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

  ASSERT_EQ(s->auth_policies_size(), 1);
  const v1::AuthPolicy& policy = s->auth_policies(0);
  EXPECT_EQ(policy.name(), "partners-only");
  ASSERT_TRUE(policy.has_api_key());
  EXPECT_EQ(policy.api_key().header(), "x-api-key");
  EXPECT_EQ(policy.api_key().query(), "");
  EXPECT_FALSE(policy.api_key().hide_credentials());
  ASSERT_EQ(policy.rules_size(), 1);
  ASSERT_TRUE(policy.rules(0).has_allow());
  EXPECT_FALSE(policy.rules(0).has_deny());
  EXPECT_THAT(policy.rules(0).allow().groups(), ::testing::ElementsAre("partners"));
  EXPECT_EQ(policy.default_action(), v1::AuthPolicy::ACTION_UNSPECIFIED);

  ASSERT_EQ(s->virtual_hosts_size(), 1);
  const v1::VirtualHost& vh = s->virtual_hosts(0);
  EXPECT_EQ(vh.auth_policy(), "partners-only");
  ASSERT_EQ(vh.routes_size(), 2);
  EXPECT_EQ(vh.routes(0).name(), "health");
  EXPECT_TRUE(vh.routes(0).skip_auth());
  EXPECT_EQ(vh.routes(0).auth_policy(), "");
  EXPECT_EQ(vh.routes(1).name(), "all");
  EXPECT_FALSE(vh.routes(1).skip_auth());
  EXPECT_EQ(vh.routes(1).auth_policy(), "partners-only");

  // And back: what `yardctl get -o yaml` writes reads as the same snapshot.
  const std::string yaml = SnapshotToYaml(*s);
  ASSERT_FALSE(yaml.empty());
  absl::StatusOr<v1::Snapshot> again = ParseSnapshot(yaml, "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*again, *s)) << yaml;
}

TEST(ParseSnapshotTest, ReadsAuthEnumsAndQueryKeys) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"yaml(
auth_policies:
  - name: office
    api_key: {query: api_key, hide_credentials: true}
    rules:
      - deny: {client_ips: [10.0.0.0/8], methods: [DELETE], path_prefixes: [/admin/]}
      - allow: {consumers: [acme]}
    default_action: DENY
)yaml",
                                                 "office.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  const v1::AuthPolicy& policy = s->auth_policies(0);
  EXPECT_EQ(policy.api_key().query(), "api_key");
  EXPECT_TRUE(policy.api_key().hide_credentials());
  EXPECT_EQ(policy.default_action(), v1::AuthPolicy::DENY);
  ASSERT_TRUE(policy.rules(0).has_deny());
  EXPECT_THAT(policy.rules(0).deny().client_ips(), ::testing::ElementsAre("10.0.0.0/8"));
  EXPECT_THAT(policy.rules(0).deny().methods(), ::testing::ElementsAre("DELETE"));
  EXPECT_THAT(policy.rules(0).deny().path_prefixes(), ::testing::ElementsAre("/admin/"));
  EXPECT_THAT(policy.rules(1).allow().consumers(), ::testing::ElementsAre("acme"));
}

TEST(ParseSnapshotTest, ReadsJsonWithJsonNames) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"json({
    "version": "18446744073709551615",
    "virtualHosts": [{"name": "a", "domains": ["*"],
                      "routes": [{"name": "r", "match": {"prefix": "/"},
                                  "route": {"cluster": "c", "prefixRewrite": "/x"}}]}],
    "clusters": [{"name": "c", "endpoints": [{"address": "10.0.0.1", "port": 1}],
                  "connectTimeout": "2s", "maxIdleConnections": 5}]
  })json",
                                                 "snap.json");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->version(), 18446744073709551615u);
  EXPECT_EQ(s->virtual_hosts(0).routes(0).route().prefix_rewrite(), "/x");
  EXPECT_EQ(s->clusters(0).connect_timeout().seconds(), 2);
  EXPECT_EQ(s->clusters(0).max_idle_connections(), 5u);
}

TEST(ParseSnapshotTest, PlainScalarsInStringFieldsStayStrings) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"yaml(
virtual_hosts:
  - name: 123
    domains: [1.5]
    routes:
      - name: true
        match:
          prefix: /
          headers: [{name: x-v, exact: 1.0}, {name: x-w, prefix: null}, {name: x-z, exact: 007}]
        route: {cluster: no}
)yaml",
                                                 "strings.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  const v1::VirtualHost& vh = s->virtual_hosts(0);
  EXPECT_EQ(vh.name(), "123");
  EXPECT_EQ(vh.domains(0), "1.5");
  EXPECT_EQ(vh.routes(0).name(), "true");
  EXPECT_EQ(vh.routes(0).match().headers(0).exact(), "1.0");  // the text, not a number
  EXPECT_EQ(vh.routes(0).match().headers(1).match_case(), v1::HeaderMatcher::MATCH_NOT_SET);
  EXPECT_EQ(vh.routes(0).match().headers(2).exact(), "007");
  EXPECT_EQ(vh.routes(0).route().cluster(), "no");
}

TEST(ParseSnapshotTest, NullLeavesFieldsUnset) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"yaml(
version: ~
virtual_hosts:
clusters:
  - name: c
    endpoints: []
    connect_timeout:
    max_idle_connections: null
)yaml",
                                                 "null.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->version(), 0u);
  EXPECT_EQ(s->virtual_hosts_size(), 0);
  EXPECT_FALSE(s->clusters(0).has_connect_timeout());
  EXPECT_FALSE(s->clusters(0).has_max_idle_connections());
}

TEST(ParseSnapshotTest, BoolFieldsTakeYamlBooleans) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"yaml(
virtual_hosts:
  - name: a
    routes:
      - match: {headers: [{name: x, present: True, invert: false}]}
)yaml",
                                                 "b.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->virtual_hosts(0).routes(0).match().headers(0).present());
}

TEST(ParseSnapshotTest, UnknownFieldIsAnErrorFromProtobuf) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"yaml(
virtual_hosts:
  - name: a
    routes:
      - match: {prefx: /}
)yaml",
                                                 "typo.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), StartsWith("typo.yaml: "));
  EXPECT_EQ(Message(s), "typo.yaml: (virtual_hosts[0].routes[0].match) prefx: Cannot find field.");
}

TEST(ParseSnapshotTest, WrongTypeIsAnErrorFromProtobuf) {
  for (const char* bad :
       {"port: abc", "port: -1", "port: 1.5", "port: [1]", "weight: 99999999999"}) {
    const std::string yaml =
        std::string("clusters: [{name: c, endpoints: [{address: 10.0.0.1, ") + bad + "}]}]";
    absl::StatusOr<v1::Snapshot> s = ParseSnapshot(yaml, "type.yaml");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(s), StartsWith("type.yaml: ")) << bad;
  }
}

TEST(ParseSnapshotTest, DurationNeedsAUnit) {
  absl::StatusOr<v1::Snapshot> s =
      ParseSnapshot("clusters: [{name: c, connect_timeout: 5}]", "d.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), StartsWith("d.yaml: "));
}

TEST(ParseSnapshotTest, YamlSyntaxErrorNamesLineAndColumn) {
  absl::StatusOr<v1::Snapshot> s =
      ParseSnapshot("virtual_hosts:\n  - name: a\n    domains: [x\n", "broken.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), ::testing::MatchesRegex("broken\\.yaml:[0-9]+:[0-9]+: .+"));
}

TEST(ParseSnapshotTest, TabIndentationIsASyntaxError) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot("clusters:\n\t- name: a\n", "tab.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), StartsWith("tab.yaml:2:"));
}

TEST(ParseSnapshotTest, DuplicateKeyIsAnError) {
  absl::StatusOr<v1::Snapshot> s =
      ParseSnapshot("clusters:\n  - name: a\n    name: b\n", "dup.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(Message(s), "dup.yaml:3:5: duplicate key \"name\"");
}

// yaml-cpp's map iterator hands out its key through a temporary proxy: the converter once
// kept a reference to it past the statement (stack-use-after-scope, found by
// --config=asan on every YAML mapping). Each kind of mapping reports a duplicate key at
// the key's own position, which reads the key after its loop statement.
TEST(ParseSnapshotTest, DuplicateKeyInAFreeFormValueIsAnError) {
  absl::StatusOr<v1::Snapshot> s =
      ParseSnapshot("clusters:\n  - name: a\n    extra:\n      k: 1\n      k: 2\n", "dup.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(Message(s), "dup.yaml:5:7: duplicate key \"k\"");
}

TEST(ParseSnapshotTest, ProtoAndJsonSpellingOfOneFieldAreDuplicates) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(
      "clusters:\n  - name: a\n    max_idle_connections: 1\n    maxIdleConnections: 2\n",
      "dup.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(Message(s), "dup.yaml:4:5: duplicate key \"max_idle_connections\"");
}

TEST(ParseSnapshotTest, EmptyDocumentIsAnError) {
  for (const char* text : {"", "   \n", "# only a comment\n", "---\n", "~\n"}) {
    absl::StatusOr<v1::Snapshot> s = ParseSnapshot(text, "empty.yaml");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(Message(s), "empty.yaml: document is empty") << text;
  }
}

TEST(ParseSnapshotTest, EmptyMappingIsAnEmptySnapshot) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot("{}", "e.json");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ByteSizeLong(), 0u);
}

TEST(ParseSnapshotTest, MoreThanOneDocumentIsAnError) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot("version: 1\n---\nversion: 2\n", "two.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("expected one YAML document, found 2"));
}

TEST(ParseSnapshotTest, TopLevelMustBeAMapping) {
  for (const char* text : {"[1, 2]", "hello", "42"}) {
    absl::StatusOr<v1::Snapshot> s = ParseSnapshot(text, "top.yaml");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(Message(s), "top.yaml:1:1: the document must be a mapping of Snapshot fields");
  }
}

TEST(ParseSnapshotTest, NonScalarKeyIsAnError) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot("? [a, b]\n: 1\n", "key.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("mapping keys must be scalars"));
}

TEST(ParseSnapshotTest, AliasExpansionIsBounded) {
  // Each level doubles: 2^40 nodes if expanded naively.
  std::string yaml = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 40; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  yaml += "virtual_hosts: [{name: n, domains: *a40}]\n";
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(yaml, "bomb.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("nodes (through aliases?)"));
}

TEST(ParseSnapshotTest, DeepNestingIsBounded) {
  std::string yaml =
      "virtual_hosts: [{name: " + std::string(100, '[') + std::string(100, ']') + "}]";
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(yaml, "deep.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("nesting deeper than"));
}

TEST(ParseSnapshotTest, InvalidUtf8IsAnErrorNotACrash) {
  absl::StatusOr<v1::Snapshot> s =
      ParseSnapshot("clusters: [{name: \"a\xff\xfe\"}]\n", "utf8.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(Message(s), "utf8.yaml:1:19: text is not valid UTF-8");
}

TEST(ParseSnapshotTest, OversizedInputIsRefused) {
  std::string big(kMaxSnapshotBytes + 1, ' ');
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(big, "big.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), StartsWith("big.yaml: larger than"));
}

TEST(SnapshotToYamlTest, RoundTrips) {
  absl::StatusOr<v1::Snapshot> original = ParseSnapshot(kFullYaml, "full.yaml");
  ASSERT_TRUE(original.ok()) << original.status();
  // Strings that YAML would otherwise read as other types.
  original->mutable_virtual_hosts(0)->add_domains("123");
  original->mutable_virtual_hosts(0)->mutable_routes(0)->set_name("true");
  original->mutable_virtual_hosts(0)->mutable_routes(1)->set_name("null");
  original->mutable_clusters(1)->set_name("yes");

  const std::string yaml = SnapshotToYaml(*original);
  EXPECT_THAT(yaml, HasSubstr("virtual_hosts:"));
  EXPECT_THAT(yaml, HasSubstr("\"true\""));
  absl::StatusOr<v1::Snapshot> again = ParseSnapshot(yaml, "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*original, *again)) << yaml;
}

// Found by tools/fuzz: yaml-cpp writes a string ending in CR as a plain scalar, and its
// parser then drops the CR as a line break. Control characters and the Unicode line
// breaks must come back byte for byte.
TEST(SnapshotToYamlTest, ControlCharactersAndLineBreaksRoundTrip) {
  for (const std::string& text : std::vector<std::string>{"\r",
                                                          "a\r",
                                                          "\r\r",
                                                          "-\r",
                                                          "a\r\nb",
                                                          "\t",
                                                          "a\n",
                                                          "\x1b",
                                                          "\x7f",
                                                          "\xc2\x85",
                                                          "\xe2\x80\xa8",
                                                          "\xe2\x80\xa9",
                                                          "\xef\xbb\xbf",
                                                          " a ",
                                                          std::string("a\0b", 3),
                                                          std::string("m8u\xef\xbf\xbf\0W", 7),
                                                          "\xef\xbf\xbe",
                                                          "\"quoted\" \\ back",
                                                          "key: value",
                                                          "# not a comment",
                                                          "*.example.com",
                                                          "caf\xc3\xa9"}) {
    v1::Snapshot original;
    original.add_clusters()->set_name(text);
    original.add_virtual_hosts()->add_domains(text);
    const std::string yaml = SnapshotToYaml(original);
    absl::StatusOr<v1::Snapshot> again = ParseSnapshot(yaml, "again.yaml");
    ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(original, *again))
        << absl::CEscape(text) << " became " << absl::CEscape(again->clusters(0).name())
        << " through\n"
        << yaml;
  }
}

TEST(SnapshotToYamlTest, WritesBlockStyleAndQuotesOnlyWhatNeedsIt) {
  absl::StatusOr<v1::Snapshot> original = ParseSnapshot(R"yaml(
version: 7
virtual_hosts:
  - name: api
    domains: ["api.example.com", "*.api.example.com"]
    routes:
      - name: users
        match: {prefix: /users/, methods: [GET]}
        route: {cluster: backend, timeout: 1.5s}
clusters:
  - name: backend
    endpoints: [{address: 10.0.0.1, port: 8080}]
)yaml",
                                                        "in.yaml");
  ASSERT_TRUE(original.ok()) << original.status();
  EXPECT_EQ(SnapshotToYaml(*original), R"yaml(version: "7"
virtual_hosts:
  - name: api
    domains:
      - api.example.com
      - "*.api.example.com"
    routes:
      - name: users
        match:
          prefix: /users/
          methods:
            - GET
        route:
          cluster: backend
          timeout: "1.500s"
clusters:
  - name: backend
    endpoints:
      - address: "10.0.0.1"
        port: 8080
)yaml");
}

TEST(SnapshotToYamlTest, EmptySnapshot) {
  const std::string yaml = SnapshotToYaml(v1::Snapshot());
  absl::StatusOr<v1::Snapshot> again = ParseSnapshot(yaml, "again.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
}

TEST(SnapshotToJsonTest, IsIndentedWithProtoNamesAndRoundTrips) {
  absl::StatusOr<v1::Snapshot> original = ParseSnapshot(kFullYaml, "full.yaml");
  ASSERT_TRUE(original.ok()) << original.status();
  const std::string json = SnapshotToJson(*original);
  EXPECT_THAT(json, StartsWith("{\n  \"version\": \"42\",\n  \"virtual_hosts\": [\n"));
  EXPECT_THAT(json, HasSubstr("\"1.500s\""));
  absl::StatusOr<v1::Snapshot> again = ParseSnapshot(json, "again.json");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*original, *again));
}

TEST(SnapshotToJsonTest, OutOfRangeDurationGivesEmptyString) {
  v1::Snapshot s;
  s.add_clusters()->mutable_connect_timeout()->set_seconds(400000000000);
  EXPECT_EQ(SnapshotToJson(s), "");
  EXPECT_EQ(SnapshotToYaml(s), "");
}

TEST(LoadSnapshotFileTest, ReadsAFileAndNamesItInErrors) {
  const std::string path = ::testing::TempDir() + "/snapshot.yaml";
  {
    std::ofstream out(path);
    out << "clusters: [{name: c, endpoints: [{address: 10.0.0.1, port: 80}]}]\n";
  }
  absl::StatusOr<v1::Snapshot> s = LoadSnapshotFile(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->clusters(0).endpoints(0).port(), 80u);

  {
    std::ofstream out(path);
    out << "clusters: [{nme: c}]\n";
  }
  s = LoadSnapshotFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), StartsWith(path + ": "));
}

TEST(LoadSnapshotFileTest, MissingFileIsNotFound) {
  absl::StatusOr<v1::Snapshot> s = LoadSnapshotFile(::testing::TempDir() + "/no-such-file.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(s), HasSubstr("no-such-file.yaml"));
}

TEST(LoadSnapshotFileTest, DirectoryIsRefused) {
  absl::StatusOr<v1::Snapshot> s = LoadSnapshotFile(::testing::TempDir());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("not a regular file"));
}

}  // namespace
// Found by tools/fuzz (snapshot_loader): yaml-cpp 0.7 never returned on these 28 bytes,
// allocating all the while. A document starting with '{' is now read as JSON.
TEST(ParseSnapshotTest, MalformedFlowMappingFailsFast) {
  absl::StatusOr<v1::Snapshot> s = ParseSnapshot(R"({"vhaaa.0.1",ot}"bbb.1",o"t)", "f.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), StartsWith("f.json:1:"));
}

TEST(ParseSnapshotTest, JsonErrorsNameThePositionAndDuplicateKeys) {
  absl::StatusOr<v1::Snapshot> s =
      ParseSnapshot("{\n  \"clusters\": [\n    {\"name\": }\n", "j.json");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), StartsWith("j.json:3:"));
  s = ParseSnapshot(R"({"clusters": [{"name": "a", "name": "b"}]})", "d.json");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("duplicate key \"name\""));
  s = ParseSnapshot(R"({"version": 1e999})", "big.json");  // found by tools/fuzz: threw
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), StartsWith("big.json: "));
  // The same key in two objects is no duplicate.
  s = ParseSnapshot(R"({"clusters": [{"name": "a"}, {"name": "b"}]})", "ok.json");
  EXPECT_TRUE(s.ok()) << s.status();
}

// Also found by tools/fuzz: yaml-cpp's LoadAll never returned on a stray ','.
TEST(ParseSnapshotTest, AStrayCommaFailsFast) {
  for (const char* text : {",", " ,", "- a\n,", "\"a\",", "version: 1\n- a\n,"}) {
    absl::StatusOr<v1::Snapshot> s = ParseSnapshot(text, "c.yaml");
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_THAT(Message(s), StartsWith("c.yaml")) << text;
  }
}

}  // namespace switchyard::config
