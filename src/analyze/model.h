/*
 * model.h - the whole organization in memory, loaded once from the server's store for the analyses of
 * `rolegate analyze` (reach, who-can, can): accounts with their OU paths, IAM users with their groups and tags,
 * groups, roles with their compiled trust policies; the identity policies, boundaries and SCP layers that the one
 * engine weighs, loaded as the server's authorization loads them (src/iam/effective.h, src/orgs/orgs.h).
 *
 * Fail closed: a store error, or a stored policy that no longer compiles, makes the load fail (an error exit),
 * never a model with that principal or policy left out.
 */
#ifndef ROLEGATE_ANALYZE_MODEL_H
#define ROLEGATE_ANALYZE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "iam/effective.h"
#include "orgs/orgs.h"
#include "policy/policy.h"
#include "store/db.h"

struct am_account {
	char id[ACCOUNT_ID_LEN + 1];
	char *name;
	char *ou_path;   /* "Root/Workloads/Prod", "" outside an organization */
	bool management;
	struct scp_layers *scp; /* loaded on first use (am_account_scp) */
	size_t *roles;          /* indexes into model.roles, the roles of this account */
	size_t nroles;
};

struct am_group {
	char *id, *name;
	size_t account;
	struct principal_policies pol; /* the group's own policies, with their names (for paths) */
};

struct am_tag {
	char *key, *value;
};

/* A user or a role: someone that makes requests. */
struct am_principal {
	char *id;     /* AIDA... / AROA... */
	char *name;
	char *arn;    /* arn:aws:iam::ACCT:user/PATH/NAME or ...:role/PATH/NAME */
	char *session_arn; /* roles: the ARN of a session of it (arn:aws:sts::ACCT:assumed-role/NAME/rolegate-analyze) */
	size_t account;
	bool is_role;
	size_t *groups; /* users: indexes into model.groups */
	size_t ngroups;
	struct am_tag *tags;
	size_t ntags;
	/* roles */
	char *trust_doc;
	struct policy *trust;
	int max_session_s;
	/* identity policies + boundary, loaded on first use (am_principal_policies) */
	bool loaded;
	struct principal_policies pol;
};

struct am_model {
	struct db *db;
	struct db_tx *tx; /* one read-only transaction: a consistent view for the whole analysis */
	struct am_account *accounts; /* sorted by id */
	size_t naccounts;
	struct am_group *groups; /* sorted by id */
	size_t ngroups;
	struct am_principal *users; /* sorted by account, then name */
	size_t nusers;
	struct am_principal *roles; /* sorted by account, then name */
	size_t nroles;
};

/* Loads the organization from db (read-only). C_OK, or C_ERR said on stderr as "rolegate VERB: ...". */
int am_load(struct am_model *m, struct db *db, const char *verb);
/* Frees everything and ends the transaction (not the db). */
void am_free(struct am_model *m);

/* The account with this id, or NULL. */
struct am_account *am_account_find(struct am_model *m, const char *id);
/* The group with this unique id, or NULL. */
struct am_group *am_group_find(struct am_model *m, const char *id);
/* The user or role whose ARN (or, for a role, a session ARN of it) or unique id is s, or NULL. */
struct am_principal *am_principal_find(struct am_model *m, const char *s);

/* The SCP layers that govern an account (loaded once). NULL on a store error (said on stderr). */
const struct scp_layers *am_account_scp(struct am_model *m, struct am_account *a);
/* A principal's identity policies and boundary (loaded once, as authorization loads them). NULL on error. */
const struct principal_policies *am_principal_policies(struct am_model *m, struct am_principal *p);
/* Where identity policy i of a user comes from, for paths: "group admins / policy EnterEnvs", "user policy X",
 * "managed policy X", written into out. */
void am_policy_origin(struct am_model *m, struct am_principal *p, size_t i, char *out, size_t cap);

/* The policy_set of a request made by p (its identity policies, boundary, its account's SCPs) with resource as the
 * resource policy. C_OK, or C_ERR on a store error. */
int am_policy_set(struct am_model *m, struct am_principal *p, struct policy *resource, struct policy_set *out);

#endif
