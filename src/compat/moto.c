/*
 * moto.c - `rolegate server --compat moto` (see moto.h): its checks, its account and POST /moto-api/reset.
 */
#include "compat/moto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define MAX_TABLES 128
#define IDENT_MAX 64

/* Tables the reset leaves alone: the schema's own, meta (master key check, management account id), the keys that
 * seal session tokens. */
static const char *const kept[] = {"schema_migrations", "meta", "server_keys"};

/* The tables emptied first, children before the tables their foreign keys name; a table of the store not named
 * here or in kept[] is emptied after them (a new table with foreign keys belongs in this list: the reset fails,
 * logged, until it is), and accounts last. */
static const char *const order[] = {
	"federation_signin_tokens", "console_recent_roles", "console_sessions", "console_signin_failures", "root_logins",
	"org_policy_targets", "org_policy_types", "org_policies", "create_account_status", "org_accounts", "org_units",
	"organizations", "account_aliases", "password_policies", "mfa_devices", "login_profiles",
	"instance_profile_roles", "instance_profiles", "policy_attachments", "policy_versions", "managed_policies",
	"inline_policies", "group_members", "groups", "access_keys", "tags", "users", "roles", "audit",
};

/* The session tokens of the STS credentials issued in compat mode, by access key id: a ring, the oldest replaced. */
struct compat_keys {
	pthread_mutex_t mu;
	size_t next;
	struct {
		char akid[32];
		char *token; /* owned; NULL: free slot */
	} slot[COMPAT_KEYS_MAX];
};

static struct compat_keys *compat_keys_new(void)
{
	struct compat_keys *k = calloc(1, sizeof(*k));

	if (k && pthread_mutex_init(&k->mu, NULL) != 0) {
		free(k);
		return NULL;
	}
	return k;
}

static void compat_keys_clear(struct compat_keys *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < COMPAT_KEYS_MAX; i++) {
		free(k->slot[i].token);
		k->slot[i].token = NULL;
		k->slot[i].akid[0] = '\0';
	}
	k->next = 0;
	pthread_mutex_unlock(&k->mu);
}

void compat_keys_free(struct compat_keys *k)
{
	if (!k)
		return;
	compat_keys_clear(k);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

void compat_keys_remember(struct compat_keys *k, const char *akid, const char *token)
{
	char *copy;

	if (!k || strlen(akid) >= sizeof(k->slot[0].akid) || strlen(token) >= 4096 || !(copy = strdup(token)))
		return;
	pthread_mutex_lock(&k->mu);
	free(k->slot[k->next].token);
	k->slot[k->next].token = copy;
	snprintf(k->slot[k->next].akid, sizeof(k->slot[0].akid), "%s", akid);
	k->next = (k->next + 1) % COMPAT_KEYS_MAX;
	pthread_mutex_unlock(&k->mu);
}

bool compat_keys_token(struct compat_keys *k, const char *akid, char *out, size_t cap)
{
	bool found = false;

	if (!k)
		return false;
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < COMPAT_KEYS_MAX && !found; i++) {
		if (k->slot[i].token && strcmp(k->slot[i].akid, akid) == 0 && strlen(k->slot[i].token) < cap) {
			memcpy(out, k->slot[i].token, strlen(k->slot[i].token) + 1);
			found = true;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return found;
}

static bool valid_account_id(const char *s)
{
	if (!s || strlen(s) != ACCOUNT_ID_LEN)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int compat_check(const struct server_config *cfg)
{
	if (!cfg->compat)
		return C_OK;
	if (strcmp(cfg->compat, "moto") != 0) {
		log_errorx("--compat %s: the only mode is moto", cfg->compat);
		return C_ERR;
	}
	if (!valid_account_id(cfg->compat_account)) {
		log_errorx("--compat-account must be 12 digits");
		return C_ERR;
	}
	if (!http_listen_is_loopback(cfg->listen)) {
		log_errorx("refusing --compat moto on non-loopback address %s: compat mode has NO AUTHENTICATION (any access "
		           "key signs as the root user of account %s), so it listens on loopback only (127.0.0.1, [::1]), "
		           "with or without TLS", cfg->listen, cfg->compat_account);
		return C_ERR;
	}
	if (cfg->trusted_proxies.n) {
		log_errorx("refusing --compat moto with --trusted-proxy: compat mode has NO AUTHENTICATION; a proxy would "
		           "open it to the network");
		return C_ERR;
	}
	return C_OK;
}

int compat_start(struct rg_server *srv)
{
	const char *id = srv->cfg->compat_account;
	struct store_account a;
	struct db_tx *tx;
	int rc;

	if (!srv->cfg->compat)
		return C_OK;
	if (db_begin(srv->db, true, &tx) != C_OK)
		return C_ERR;
	rc = store_account_get(tx, id, &a);
	if (rc == STORE_NOT_FOUND) {
		memset(&a, 0, sizeof(a));
		snprintf(a.account_id, sizeof(a.account_id), "%s", id);
		snprintf(a.name, sizeof(a.name), "moto");
		snprintf(a.status, sizeof(a.status), "ACTIVE");
		a.created_ms = now_ms();
		rc = store_account_create(tx, &a);
		if (rc == C_OK)
			log_info("--compat moto: created account %s", id);
	}
	if (rc != C_OK || db_commit(tx) != C_OK) {
		if (rc != C_OK)
			db_rollback(tx);
		log_errorx("--compat moto: cannot create account %s", id);
		return C_ERR;
	}
	if (!(srv->compat_keys = compat_keys_new()))
		return C_ERR;
	log_warnx("--compat moto: AUTHENTICATION IS OFF for access keys this server does not know: any key id with any "
	          "secret acts as the root user of account %s; POST /moto-api/reset deletes everything. A test tool: "
	          "never put real secrets or real users behind it", id);
	return C_OK;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static bool has_table(char names[][IDENT_MAX], size_t n, const char *name)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(names[j], name) == 0)
			return true;
	return false;
}

static bool plain_ident(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_') || n >= IDENT_MAX - 1)
			return false;
	return n > 0;
}

/* The tables of tx's database into names (at most MAX_TABLES). C_OK or C_ERR (a name that is not a plain identifier
 * too: it would have to be quoted into SQL). */
static int list_tables(struct db_tx *tx, char names[MAX_TABLES][IDENT_MAX], size_t *n)
{
	struct db_rows *r = db_tx_is_postgres(tx)
	                            ? db_query_fresh(tx, "SELECT table_name FROM information_schema.tables WHERE "
	                                                 "table_schema = current_schema() AND table_type = 'BASE TABLE'",
	                                             DB_NOARGS)
	                            : db_query_fresh(tx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
	                                                 "LIKE 'sqlite_%'", DB_NOARGS);
	int rc;

	*n = 0;
	while ((rc = db_step(r)) == DB_ROW) {
		const char *name = db_col_text(r, 0);
		if (*n == MAX_TABLES || !name || !plain_ident(name)) {
			log_warnx("moto-api/reset: unexpected table %s", name && plain_ident(name) ? name : "(unusual name)");
			db_rows_done(r);
			return C_ERR;
		}
		snprintf(names[(*n)++], IDENT_MAX, "%s", name);
	}
	db_rows_done(r);
	return rc == C_ERR ? C_ERR : C_OK;
}

/* Empties table (its rows of the kept accounts aside, for accounts and access_keys). db_exec takes only SQL that
 * lives as long as the process (its statement cache is keyed on the pointer): the two kept-account statements are
 * literals, and the plain DELETEs, whose table name varies, go through db_exec_script. */
static int empty_table(struct db_tx *tx, const char *table, const char *mgmt, const char *compat)
{
	char sql[128];
	int rc;

	if (strcmp(table, "accounts") == 0)
		rc = db_exec(tx, "DELETE FROM accounts WHERE account_id NOT IN (?1, ?2)",
		             DB_ARGS(db_text(mgmt), db_text(compat)), NULL);
	else if (strcmp(table, "access_keys") == 0) /* the root users' keys of the kept accounts stay */
		rc = db_exec(tx, "DELETE FROM access_keys WHERE user_id IS NOT NULL OR account_id NOT IN (?1, ?2)",
		             DB_ARGS(db_text(mgmt), db_text(compat)), NULL);
	else
		rc = db_exec_script(tx, (snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", table), sql));
	if (rc != C_OK) {
		log_warnx("moto-api/reset: cannot empty table %s (a new table with foreign keys belongs in compat/moto.c's "
		          "order[])", table);
		return C_ERR;
	}
	return C_OK;
}

/* Empties the tables of db (see order[]) in one transaction. */
static int reset_db(struct db *db, const char *mgmt, const char *compat)
{
	char names[MAX_TABLES][IDENT_MAX];
	size_t n = 0;
	struct db_tx *tx;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	if (list_tables(tx, names, &n) != C_OK)
		goto fail;
	for (size_t i = 0; i < ARRAY_LEN(order); i++)
		if (has_table(names, n, order[i]) && empty_table(tx, order[i], mgmt, compat) != C_OK)
			goto fail;
	for (size_t j = 0; j < n; j++)
		if (!in_list(names[j], order, ARRAY_LEN(order)) && !in_list(names[j], kept, ARRAY_LEN(kept)) &&
		    strcmp(names[j], "accounts") != 0 && empty_table(tx, names[j], mgmt, compat) != C_OK)
			goto fail;
	for (size_t j = 0; j < n; j++)
		if (strcmp(names[j], "accounts") == 0 && empty_table(tx, names[j], mgmt, compat) != C_OK)
			goto fail;
	return db_commit(tx);
fail:
	db_rollback(tx);
	return C_ERR;
}

int compat_reset(struct rg_server *srv)
{
	const char *mgmt = srv->management_account, *compat = srv->cfg->compat_account;

	if (reset_db(srv->db, mgmt, compat) != C_OK || (srv->audit_db && reset_db(srv->audit_db, mgmt, compat) != C_OK))
		return C_ERR;
	compat_keys_clear(srv->compat_keys);
	log_info("moto-api/reset: every resource and the audit trail deleted (accounts %s and %s kept)", mgmt, compat);
	return C_OK;
}

static void answer(struct http_response *resp, int status, const char *body)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	if (buf_append(&resp->body, body, strlen(body)) != C_OK)
		buf_reset(&resp->body);
}

bool compat_route(struct rg_server *srv, const struct http_request *req, struct http_response *resp)
{
	static const char path[] = "/moto-api/reset";

	if (!srv->cfg->compat || req->path_len != sizeof(path) - 1 || memcmp(req->path, path, sizeof(path) - 1) != 0)
		return false;
	if (strcmp(req->method, "POST") != 0) /* moto's answer, word for word */
		answer(resp, 400, "{\"Error\": \"Need to POST to reset Moto\"}");
	else if (compat_reset(srv) == C_OK)
		answer(resp, 200, "{\"status\": \"ok\"}");
	else
		answer(resp, 500, "{\"Error\": \"The reset failed; see the server's log\"}");
	return true;
}
