/*
 * session.h - an operator's session on the store for `rolegate export` and `rolegate import` (src/orgcode/): the
 * store opened from --data or --postgres, one transaction, and the API's own actions performed in it as an
 * account's root (dispatch_invoke_tx: validation, the handlers, the audit records of writes; no policy decides).
 */
#ifndef ROLEGATE_ORGCODE_SESSION_H
#define ROLEGATE_ORGCODE_SESSION_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/errors.h"
#include "server/server.h"
#include "store/store.h"

struct oc_session {
	struct rg_server srv;
	struct db *db;
	struct db_tx *tx;
	const char *verb; /* "export", for messages */
	char management[ACCOUNT_ID_LEN + 1];
};

/* Opens the store (dir or conninfo, as cli_store_open) and begins one transaction (write: for import, which first
 * migrates the schema; a reader never does). C_OK, or C_ERR said on stderr. */
int oc_open(struct oc_session *s, const char *verb, const char *dir, const char *conninfo, bool write);
/* Commits (commit) or rolls back the transaction and closes the store. C_OK when the commit (if any) succeeded. */
int oc_close(struct oc_session *s, bool commit);
/* One action as the root of account; *out the result (the caller owns it). C_ERR with err. */
int oc_call(struct oc_session *s, const char *account, const char *service, const char *op, json_t *in, json_t **out,
            struct aws_err *err);
/* Every item of the list member `member` across all pages (IAM's Marker/IsTruncated, Organizations' NextToken). in
 * (borrowed, NULL for none) holds the other parameters. A new array, or NULL with the error said on stderr. */
json_t *oc_list(struct oc_session *s, const char *account, const char *service, const char *op, json_t *in,
                const char *member);

/* A new array of array's members (each referenced again) in cmp's order (qsort's comparison of two json_t *const
 * *). NULL when out of memory: never a shorter or empty copy, so a caller cannot mistake it for a smaller list. */
json_t *oc_sorted(json_t *array, int (*cmp)(const void *, const void *));

/* A policy document as IAM returns it (URL-encoded) or as given plain: decoded when it does not start with '{'
 * (after white space). The caller frees the result; NULL on bad escapes or out of memory. */
char *oc_document(const char *doc);
#endif
