#include <cstdio>

#include "daemon/commands.h"

namespace newswatch::daemon {

// Placeholder until the component lands; exits with a clear message.
int cmd_parse_feed(const Args&) {
  std::fprintf(stderr, "newswatch: this command is not built yet\n");
  return kExitFailure;
}

}  // namespace newswatch::daemon
