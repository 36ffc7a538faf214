/*
 * example.h - built-in examples a server can make on an empty data directory (`rolegate server --example seed`).
 */
#ifndef ROLEGATE_EXAMPLE_H
#define ROLEGATE_EXAMPLE_H

#include "server/server.h"

/*
 * Makes the example `name` ("seed": the seed article's organization) through the API's own code path, prints its
 * profiles and MFA seeds and keeps them in DIR/example-seed.txt; port is the one the server listens on (for the
 * profiles' endpoint_url). On a data directory where it was made before, does nothing. C_OK, or C_ERR (logged).
 */
int example_run(struct rg_server *srv, const char *name, unsigned port);

#endif
