/*
 * bootstrap.h - makes a data directory ready: management account, root credentials.
 */
#ifndef ROLEGATE_BOOTSTRAP_H
#define ROLEGATE_BOOTSTRAP_H

#include <stdint.h>

#include "server/server.h"

/* Checks what bootstrap() takes from the options and the environment (--account-id, ROLEGATE_ROOT_*), before
 * anything is written: C_OK, or C_ERR (logged at level=error). */
int bootstrap_check(const struct server_config *cfg);
/* Creates what the first start creates; applies ROLEGATE_ROOT_* on every start. Fills srv->management_account. */
int bootstrap(struct rg_server *srv, int64_t now_ms);

#endif
