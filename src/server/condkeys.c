/*
 * condkeys.c - look-ups in the generated table of condition keys per action (condkeys.h).
 */
#include "server/condkeys.h"

#include <string.h>
#include <strings.h>

const struct condkeys_action *condkeys_find(const char *action)
{
	for (size_t i = 0; i < condkeys_table_len; i++)
		if (strcasecmp(condkeys_table[i].action, action) == 0)
			return &condkeys_table[i];
	return NULL;
}

bool condkeys_lists(const struct condkeys_action *a, const char *key)
{
	if (!a)
		return false;
	for (size_t i = 0; i < a->nkeys; i++) {
		const char *k = a->keys[i], *var = strstr(k, "/${");
		if (var ? strncasecmp(k, key, (size_t)(var - k) + 1) == 0 : strcasecmp(k, key) == 0)
			return true;
	}
	return false;
}
