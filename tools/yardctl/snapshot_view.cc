#include "tools/yardctl/snapshot_view.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "switchyard/config/certificate_pem.h"
#include "tools/yardctl/display.h"

namespace switchyard::yardctl {
namespace {

std::string JoinCapped(const std::vector<std::string>& items, std::string_view separator) {
  if (items.empty()) return "-";
  const size_t shown = std::min<size_t>(items.size(), kMaxListedItems);
  std::string out;
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  if (shown < items.size()) absl::StrAppend(&out, " (+", items.size() - shown, " more)");
  return out;
}

std::string DescribeHeader(const v1::HeaderMatcher& header) {
  const std::string& name = header.name();
  std::string rule;
  bool invert = header.invert();
  switch (header.match_case()) {
    case v1::HeaderMatcher::kExact:
      rule = absl::StrCat(name, "=", header.exact());
      break;
    case v1::HeaderMatcher::kPrefix:
      rule = absl::StrCat(name, "^=", header.prefix());
      break;
    case v1::HeaderMatcher::kRegex:
      rule = absl::StrCat(name, "~=", header.regex());
      break;
    case v1::HeaderMatcher::kPresent:
      // "absent, inverted" is simply "present": show what the rule accepts.
      if (!header.present()) invert = !invert;
      rule = name;
      break;
    case v1::HeaderMatcher::MATCH_NOT_SET:
      rule = name;
      break;
  }
  return invert ? "!" + rule : rule;
}

}  // namespace

std::string DescribeMatch(const v1::RouteMatch& match) {
  std::vector<std::string> parts;
  switch (match.path_specifier_case()) {
    case v1::RouteMatch::kPrefix:
      parts.push_back("prefix " + match.prefix());
      break;
    case v1::RouteMatch::kPath:
      parts.push_back("path " + match.path());
      break;
    case v1::RouteMatch::kRegex:
      parts.push_back("regex " + match.regex());
      break;
    case v1::RouteMatch::PATH_SPECIFIER_NOT_SET:
      parts.push_back("(no path rule)");
      break;
  }
  if (!match.methods().empty()) {
    parts.push_back(absl::StrCat("[", absl::StrJoin(match.methods(), ","), "]"));
  }
  for (const v1::HeaderMatcher& header : match.headers()) parts.push_back(DescribeHeader(header));
  return absl::StrJoin(parts, " ");
}

std::string DescribeClusters(const v1::RouteAction& action) {
  switch (action.cluster_specifier_case()) {
    case v1::RouteAction::kCluster:
      return action.cluster();
    case v1::RouteAction::kWeightedClusters: {
      std::vector<std::string> parts;
      for (const auto& weighted : action.weighted_clusters().clusters()) {
        parts.push_back(absl::StrCat(weighted.name(), ":", weighted.weight()));
      }
      return absl::StrJoin(parts, ",");
    }
    case v1::RouteAction::CLUSTER_SPECIFIER_NOT_SET:
      break;
  }
  return "-";
}

std::string DescribeTimeout(const v1::RouteAction& action) {
  if (!action.has_timeout()) return "15s";
  if (action.timeout().seconds() == 0 && action.timeout().nanos() == 0) return "none";
  return FormatDuration(action.timeout());
}

Table VirtualHostTable(const v1::Snapshot& snapshot) {
  Table table({"NAME", "DOMAINS", "ROUTES"});
  for (const v1::VirtualHost& vhost : snapshot.virtual_hosts()) {
    std::vector<std::string> domains(vhost.domains().begin(), vhost.domains().end());
    table.AddRow({vhost.name(), JoinCapped(domains, ","), absl::StrCat(vhost.routes_size())});
  }
  return table;
}

Table RouteTable(const v1::Snapshot& snapshot) {
  Table table({"VHOST", "ROUTE", "MATCH", "CLUSTER(S)", "TIMEOUT"});
  for (const v1::VirtualHost& vhost : snapshot.virtual_hosts()) {
    for (const v1::Route& route : vhost.routes()) {
      table.AddRow({vhost.name(), route.name(), DescribeMatch(route.match()),
                    DescribeClusters(route.route()), DescribeTimeout(route.route())});
    }
  }
  return table;
}

Table CertificateTable(const v1::Snapshot& snapshot) {
  Table table({"NAME", "DOMAINS", "SOURCE", "NOT AFTER", "CLIENT CERTS"});
  bool marked = false;
  for (const v1::Certificate& certificate : snapshot.certificates()) {
    marked = marked || certificate.default_certificate();
  }
  for (int i = 0; i < snapshot.certificates_size(); ++i) {
    const v1::Certificate& certificate = snapshot.certificates(i);
    std::string name = certificate.name();
    if (certificate.default_certificate() || (!marked && i == 0)) name += " (default)";
    const bool inline_pem = !certificate.cert_pem().empty();
    std::string not_after = "-";
    if (inline_pem) {
      absl::StatusOr<std::vector<config::X509Ptr>> chain =
          config::ParseCertificateChain(certificate.cert_pem());
      not_after =
          chain.ok() ? absl::FormatTime("%Y-%m-%d %H:%M:%SZ",
                                        config::NotAfter(chain->front().get()), absl::UTCTimeZone())
                     : "(does not parse)";
    }
    const v1::ClientCertificates& client = certificate.client_certificates();
    std::string clients = "-";
    if (client.mode() != v1::ClientCertificates::OFF) {
      clients = v1::ClientCertificates::Mode_Name(client.mode());
      if (client.forward_identity()) clients += "+forward";
    }
    std::vector<std::string> domains(certificate.domains().begin(), certificate.domains().end());
    table.AddRow({name, JoinCapped(domains, ","), inline_pem ? "inline" : certificate.cert_file(),
                  not_after, clients});
  }
  return table;
}

Table ConsumerTable(const v1::Snapshot& snapshot) {
  Table table({"NAME", "GROUPS", "KEYS"});
  for (const v1::Consumer& consumer : snapshot.consumers()) {
    std::vector<std::string> groups(consumer.groups().begin(), consumer.groups().end());
    std::vector<std::string> keys;
    keys.reserve(consumer.api_keys_size());
    for (const v1::ApiKey& key : consumer.api_keys()) keys.push_back(key.name());
    table.AddRow({consumer.name(), JoinCapped(groups, ","), JoinCapped(keys, ",")});
  }
  return table;
}

// How a cluster's connections are secured, in a few words: "-" (plaintext), "verify NAME"
// or "verify ip" (the name checked in the certificate), "INSECURE" (no verification at
// all, shouted), with "+ client cert" for mTLS.
std::string DescribeUpstreamTls(const v1::Cluster& cluster) {
  if (!cluster.has_tls()) return "-";
  const v1::UpstreamTls& tls = cluster.tls();
  std::string out = tls.insecure_skip_verify()  ? "INSECURE"
                    : tls.server_name().empty() ? "verify ip"
                                                : "verify " + tls.server_name();
  if (!tls.client_cert_pem().empty() || !tls.client_cert_file().empty()) out += " + client cert";
  return out;
}

Table ClusterTable(const v1::Snapshot& snapshot) {
  Table table({"NAME", "PROTOCOL", "TLS", "ENDPOINTS"});
  for (const v1::Cluster& cluster : snapshot.clusters()) {
    std::vector<std::string> endpoints;
    endpoints.reserve(cluster.endpoints_size());
    for (const v1::Endpoint& endpoint : cluster.endpoints()) {
      endpoints.push_back(FormatEndpoint(endpoint));
    }
    table.AddRow({cluster.name(), v1::Cluster::Protocol_Name(cluster.protocol()),
                  DescribeUpstreamTls(cluster), JoinCapped(endpoints, ", ")});
  }
  return table;
}

std::string DescribeVersion(const v1::VersionInfo& info) {
  std::string out = absl::StrCat("version ", info.version());
  if (info.has_created()) absl::StrAppend(&out, ", ", FormatTimeForTable(info.created()));
  if (!info.author().empty()) absl::StrAppend(&out, " by ", info.author());
  if (!info.message().empty()) absl::StrAppend(&out, ": ", info.message());
  if (info.rolled_back_from() != 0) {
    absl::StrAppend(&out, " (rollback to version ", info.rolled_back_from(), ")");
  }
  // Printed on a line of its own: a newline in a message must not fake another line.
  return EscapeControl(out);
}

}  // namespace switchyard::yardctl
