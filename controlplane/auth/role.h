// What an operator may do on the admin API. Each role includes the ones below it.
#ifndef SWITCHYARD_CONTROLPLANE_AUTH_ROLE_H_
#define SWITCHYARD_CONTROLPLANE_AUTH_ROLE_H_

#include <optional>
#include <string_view>

namespace switchyard::controlplane {

enum class Role {
  kViewer = 1,    // Get, Validate, Diff, History, Status
  kOperator = 2,  // + Apply, Rollback
  kAdmin = 3,     // + CreateToken, ListTokens, RevokeToken
};

constexpr std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

constexpr std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

constexpr bool Includes(Role held, Role needed) {
  return static_cast<int>(held) >= static_cast<int>(needed);
}

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_AUTH_ROLE_H_
