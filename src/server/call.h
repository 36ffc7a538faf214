/*
 * call.h - one API call on its way through the server:
 *
 *   decode -> authenticate -> validate -> authorize (authz.c, the one decision point) -> act (one transaction,
 *   with its audit record) -> encode
 *
 * Handlers (src/iam/, src/sts/) receive a struct call whose `in` is the validated input tree and fill `out`.
 */
#ifndef ROLEGATE_CALL_H
#define ROLEGATE_CALL_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/errors.h"
#include "aws/ids.h"
#include "aws/model.h"
#include "http/http.h"
#include "policy/policy.h"
#include "server/principal.h"
#include "server/server.h"
#include "store/store.h"

struct call;
struct federated;

/* How an action is served. */
struct action {
	const char *service; /* "iam" */
	const char *name;    /* "CreateUser" */
	bool write;          /* runs in a write transaction and is audited */
	/* Writes the ARN the action is performed on (for authorization and the audit trail). May read the store. */
	int (*resource)(struct call *c, char *out, size_t cap);
	/* Performs the action: reads c->in, fills c->out (for operations with output). C_ERR with c->err set. */
	int (*run)(struct call *c);
	/* Writes nothing itself but is audited, granted or refused, and answers only once the record is durable
	 * (sts:AssumeRole, sts:GetSessionToken; the records are group-committed). */
	bool audit_durably;
	/* Optional: whether this very call needs a write transaction although `write` is false (an MFA code given to
	 * sts:AssumeRole is spent in the call's transaction). Such a call is not audited as a write. */
	bool (*writes)(struct call *c);
	/* Optional: called once the call's transaction has ended, outside any transaction (ok: it was committed), for
	 * what must outlive a rollback (a refused MFA code counts toward the device's lockout) or must not delay it. */
	void (*after)(struct call *c, bool ok);
	/* Optional: called before the call's transaction begins, for slow work that must not hold the database's write
	 * lock (hashing a password: ~0.1 s), once the caller is authorized in a read-only transaction (so a refused
	 * caller costs none; the write transaction authorizes again). It may write c->prepared, which the dispatcher
	 * wipes once the call is over. C_ERR with c->err set (or not: ServiceFailure). */
	int (*prepare)(struct call *c);
	/* Optional: the action is called unsigned, as on AWS (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML):
	 * this authenticates the caller from the decoded input (a token, an assertion) instead of SigV4, and sets
	 * c->caller (and c->fed). C_ERR with c->err set. */
	int (*authenticate)(struct call *c);
};

#define CALL_PREPARED_MAX 256

struct call {
	struct rg_server *srv;
	const struct http_request *req;
	const struct service_model *svc;
	const struct operation *op;
	const struct action *action;
	char request_id[REQUEST_ID_LEN + 1];
	int64_t now_ms;
	char region[64];
	json_t *in;  /* owned */
	json_t *out; /* owned; created empty before run() */
	struct db_tx *tx;
	struct policy *session_policy;  /* the caller's session policy (temporary credentials), or NULL; owned */
	struct policy *resource_policy; /* the policy of the resource acted on (a role's trust policy), or NULL; owned */
	int64_t mfa_verified_s;         /* MFA verified by this very request (AssumeRole with TokenCode), else 0 */
	int mfa_rc;                     /* what mfa_check() returned, for action->after (0 when no code was checked) */
	const char *mfa_outcome;        /* its name for the audit trail ("MFAOk", "MFAReplayedCode"...), or NULL */
	char role_used[IAM_ID_MAX];     /* a role whose RoleLastUsed action->after should advance, or "" */
	struct http_wait *wait;         /* the HTTP answer's wait (http.h), or NULL for internal calls */
	bool audit_deferred;            /* the durable audit record was queued with wait: answer once it is written */
	bool audit_expected;            /* auditlog_call_begin was called for it, auditlog_call_end not yet */
	char prepared[CALL_PREPARED_MAX]; /* what action->prepare made outside the transaction (a password hash) */
	/* The reasoning of the call's denial (src/server/explain.h), or NULL: set by authz.c when a decision is a deny,
	 * stored in the audit record; owned by the call (freed with it). */
	json_t *explanation;
	bool dry_run; /* dispatch_authorize_token: an authorization asked about, not a call; no explanation is built */
	int enforce;                    /* the caller's account's enforce_mode (enforce.h), looked up at the first denial */
	bool soft_denied;               /* the policies denied and soft mode let it through: soft_message says what */
	struct federated *fed; /* what an unsigned federation call's authenticate hook verified, or NULL; owned */
	/* The large members come last: call_init() clears what precedes them and only their first bytes. */
	struct aws_err err;
	char resource[ARN_MAX + 1];
	struct principal caller;
	char soft_message[sizeof(((struct aws_err *)0)->message)]; /* the AccessDenied soft mode let through */
};

/* Prepares a call for one request without clearing its kilobytes of buffers. */
void call_init(struct call *c);

/* A family's actions: each src/<service>/<family>.c defines one, and src/server/actions.c lists them all. */
struct action_table {
	const struct action *actions;
	size_t n;
};

#define ACTION_TABLE(name, array) const struct action_table name = {array, sizeof(array) / sizeof((array)[0])}

/* The action table (src/server/actions.c). NULL when rolegate does not serve service:name. */
const struct action *action_find(const char *service, const char *name);
/* The i-th action of the table (0, 1, ... in table order), or NULL past the last: for tests that walk them all. */
const struct action *action_nth(size_t i);
/* The position of a (an entry of the table) in action_nth's order, or (size_t)-1 if it is not one. */
size_t action_index(const struct action *a);

/* Helpers for handlers: the string member `name` of c->in, or NULL. */
const char *call_str(struct call *c, const char *name);
/* The integer member `name` of c->in, or def. */
int64_t call_int(struct call *c, const char *name, int64_t def);

#endif
