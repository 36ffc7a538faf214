/*
 * config.h - parsing `rolegate server` options (the table is in config.c).
 */
#ifndef ROLEGATE_CONFIG_H
#define ROLEGATE_CONFIG_H

#include <stdio.h>

#include "server/server.h"

/* Fills cfg from argv, the config file it names (--config) and the defaults (see config.c for the precedence). C_OK;
 * 1 when --help or --print-config was printed to out (nothing to start); C_ERR with the reason printed to err. */
int config_load(struct server_config *cfg, int argc, char **argv, FILE *out, FILE *err);
/* config_load to stdout and stderr. */
int config_parse(struct server_config *cfg, int argc, char **argv);
/* Prints --help. */
void config_usage(FILE *out);
/* Frees what config_load allocated in cfg (cfg itself is the caller's). */
void config_free(struct server_config *cfg);

#endif
