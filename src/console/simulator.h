/*
 * simulator.h - the policy simulator page's helpers (simulator.c, simulator_doc.c).
 */
#ifndef ROLEGATE_CONSOLE_SIMULATOR_H
#define ROLEGATE_CONSOLE_SIMULATOR_H

#include <jansson.h>

#include "console/console.h"

/*
 * The text of the statement a MatchedStatements entry names ("{...}", as written in its policy), read through the
 * API as the active identity (GetUserPolicy, GetRolePolicy, GetGroupPolicy, GetPolicyVersion...). NULL when the
 * identity may not read it or it cannot be found (the page shows the statement's place only). Caller frees.
 */
char *simulator_statement_text(struct console_req *cr, json_t *matched);

#endif
