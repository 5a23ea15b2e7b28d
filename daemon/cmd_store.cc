#include <cstdio>

#include "daemon/commands.h"

namespace newswatch::daemon {

int cmd_check_config(const Args&) { return kExitFailure; }
int cmd_list(const Args&) { return kExitFailure; }
int cmd_show(const Args&) { return kExitFailure; }

}  // namespace newswatch::daemon
