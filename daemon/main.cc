#include "daemon/commands.h"

int main(int argc, char** argv) { return newswatch::daemon::run_cli(argc, argv); }
