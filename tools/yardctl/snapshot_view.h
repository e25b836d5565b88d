// Tables of a snapshot's resources for `yardctl get` (-o table). These are for people;
// -o yaml and -o json print the complete snapshot for scripts and for `apply`.
#ifndef SWITCHYARD_TOOLS_YARDCTL_SNAPSHOT_VIEW_H_
#define SWITCHYARD_TOOLS_YARDCTL_SNAPSHOT_VIEW_H_

#include <string>

#include "switchyard/v1/admin.pb.h"
#include "switchyard/v1/snapshot.pb.h"
#include "tools/yardctl/table.h"

namespace switchyard::yardctl {

// Long lists (domains, endpoints) show this many items, then "(+N more)".
inline constexpr int kMaxListedItems = 6;

// NAME DOMAINS ROUTES
Table VirtualHostTable(const switchyard::v1::Snapshot& snapshot);
// VHOST ROUTE MATCH CLUSTER(S) TIMEOUT, in match order within each virtual host.
Table RouteTable(const switchyard::v1::Snapshot& snapshot);
// NAME PROTOCOL TLS ENDPOINTS
Table ClusterTable(const switchyard::v1::Snapshot& snapshot);
// NAME DOMAINS SOURCE NOT AFTER CLIENT CERTS. SOURCE is "inline" or the cert_file path;
// NOT AFTER the inline leaf's expiry ("-" for files, which only the proxies read);
// CLIENT CERTS the mode ("-" when OFF), with "+forward" when the identity goes upstream.
// The default certificate's name is marked "(default)".
Table CertificateTable(const switchyard::v1::Snapshot& snapshot);
// NAME GROUPS KEYS: KEYS are the names of the consumer's API keys, never their hashes.
Table ConsumerTable(const switchyard::v1::Snapshot& snapshot);

// One route's match in one line: the path rule, then methods in brackets, then header
// rules: "prefix /users/ [GET,POST] x-tenant=acme !x-debug". Header rules read
// name=value (exact), name^=value (prefix), name~=regex (regex), name (present),
// !name (absent); a leading "!" on the others means inverted.
std::string DescribeMatch(const switchyard::v1::RouteMatch& match);
// "blue", or "blue:90,green:10" for weighted clusters.
std::string DescribeClusters(const switchyard::v1::RouteAction& action);
// The timeout in effect: "15s" when unset (the default), "none" when zero.
std::string DescribeTimeout(const switchyard::v1::RouteAction& action);

// One line about a stored version, e.g.
// "version 7, 2026-11-26 07:01:02Z by alice@ops-1: add shop (rollback to version 3)".
std::string DescribeVersion(const switchyard::v1::VersionInfo& info);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_SNAPSHOT_VIEW_H_
