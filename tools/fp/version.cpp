#include "tools/fp/cli.hpp"

#include <cstdio>

#ifndef FP_GIT_SHA
#define FP_GIT_SHA "unknown"
#endif

namespace fp::tools {

exit_code version(const args&) {
  std::printf("fp %s\n", FP_GIT_SHA);
  return exit_code::ok;
}

} // namespace fp::tools
