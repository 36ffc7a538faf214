/*
 * rewrite.h - rewriting the principals a policy document names, byte-exact elsewhere (iam/principal_ids.c stores
 * and shows trust policies with it).
 */
#ifndef ROLEGATE_POLICY_REWRITE_H
#define ROLEGATE_POLICY_REWRITE_H

#include <stddef.h>

/* Gives the replacement for one Principal "AWS" value: writes it to repl (cap bytes), or leaves repl "" to keep the
 * value. C_ERR stops the rewrite. */
typedef int (*principal_map_fn)(void *ctx, const char *value, char *repl, size_t cap);

/* Rewrites the values of the "AWS" member of each statement's "Principal" in the policy doc (valid JSON) through
 * fn, leaving every other byte of doc as it was. *out (the caller frees it) is the new text. C_ERR when doc is not
 * JSON, nests deeper than 64, has a value over 4095 bytes, fn fails, or memory runs out (*out is then NULL). */
int policy_map_aws_principals(const char *doc, principal_map_fn fn, void *ctx, char **out);

#endif
