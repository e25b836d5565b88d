// yardctl, the operator's CLI for Switchyard. Everything but this call lives in
// :yardctl_lib (yardctl.h) so tests run the same code in-process.
#include <string>
#include <vector>

#include "tools/yardctl/context.h"
#include "tools/yardctl/yardctl.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return switchyard::yardctl::RunYardctl(args, switchyard::yardctl::ProcessEnvironment());
}
