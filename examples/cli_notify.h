/*
 * usnmp trap, inform and trapd (examples/cli_notify.c).
 */
#ifndef USNMP_CLI_NOTIFY_H
#define USNMP_CLI_NOTIFY_H

#include <usnmp.h>

/* Runs `usnmp trap|inform|trapd ARGS...` (argv[1] is the command) and
 * returns the exit status. */
int usnmp__cli_notify_main(int argc, char **argv);

#endif
