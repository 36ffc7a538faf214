/*
 * federated.c - what an unsigned federation call verified (federated.h).
 */
#include "sts/federated.h"

#include <stdlib.h>

struct federated *federated_new(enum federated_kind kind)
{
	struct federated *f = calloc(1, sizeof(*f));

	if (f)
		f->kind = kind;
	return f;
}

void federated_free(struct federated *f)
{
	if (!f)
		return;
	json_decref(f->claims);
	json_decref(f->keys);
	free(f);
}
