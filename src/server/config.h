/*
 * config.h - parsing `rolegate server` options (the table is in config.c).
 */
#ifndef ROLEGATE_CONFIG_H
#define ROLEGATE_CONFIG_H

#include <stdio.h>

#include "server/server.h"

/* Fills cfg with defaults, then argv. C_OK, 1 when --help was printed, or C_ERR (message printed). */
int config_parse(struct server_config *cfg, int argc, char **argv);
void config_usage(FILE *out);
void config_free(struct server_config *cfg);

#endif
