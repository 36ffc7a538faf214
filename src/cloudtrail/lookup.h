/*
 * lookup.h - CloudTrail actions (src/cloudtrail/lookup.c: LookupEvents over the audit trail).
 */
#ifndef ROLEGATE_CLOUDTRAIL_LOOKUP_H
#define ROLEGATE_CLOUDTRAIL_LOOKUP_H

#include "server/call.h"

/* CloudTrail's actions (see src/server/actions.c). */
extern const struct action_table cloudtrail_actions;

#endif
