/*
 * condkeys.h - which condition keys AWS sets for each action rolegate serves (the Service Authorization Reference,
 * generated into condkeys_table.c by tools/gen-condkeys.py), so that the request context carries an action's
 * service-specific keys exactly when AWS's would.
 */
#ifndef ROLEGATE_CONDKEYS_H
#define ROLEGATE_CONDKEYS_H

#include <stdbool.h>
#include <stddef.h>

struct condkeys_action {
	const char *action;        /* "iam:AttachUserPolicy" */
	const char *const *keys;   /* "iam:PolicyARN", "aws:ResourceTag/${TagKey}", ... */
	size_t nkeys;
};

extern const struct condkeys_action condkeys_table[];
extern const size_t condkeys_table_len;
extern const char condkeys_source[];

/* The table's row for "service:Name" (compared without regard to case), or NULL. */
const struct condkeys_action *condkeys_find(const char *action);
/* Whether row a lists key; "aws:ResourceTag/${TagKey}" answers for every "aws:ResourceTag/..." (case-insensitive).
 * A NULL row lists nothing. */
bool condkeys_lists(const struct condkeys_action *a, const char *key);

#endif
