/*
 * accounts_cli.c - `rolegate accounts` (accounts_cli.h):
 *
 *   set-enforcement ACCOUNT strict|soft|inherit   the account's own enforcement mode (src/server/enforce.h);
 *                                                 inherit removes it: its Organizations tag, then --enforce, decide
 *   list-enforcement                              every account: its own setting and its rolegate:enforcement tag
 *
 * Both take --data DIR or --postgres CONNINFO (src/server/cli_store.h). The running server reads the setting when a
 * policy denies (fresh from the database), so a change holds from the next call, on every node.
 */
#include "server/accounts_cli.h"

#include <stdio.h>
#include <string.h>

#include "server/cli_store.h"
#include "store/store.h"
#include "util/common.h"
#include "util/timeutil.h"

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate accounts set-enforcement ACCOUNT strict|soft|inherit [--data DIR | --postgres CONNINFO]\n"
	        "       rolegate accounts list-enforcement [--data DIR | --postgres CONNINFO]\n"
	        "  An account's enforcement mode: strict refuses what the policies deny (AccessDenied); soft lets it\n"
	        "  through, audited as soft-denied, logged and counted. inherit removes the account's own setting: its\n"
	        "  Organizations tag " ENFORCEMENT_TAG_KEY " (strict|soft) decides, else the server's flag\n"
	        "  (see rolegate server --help: --enforce).\n");
	return status;
}

static int print_one(void *ctx, const char *account_id, const char *name, const char *own, const char *tag)
{
	UNUSED(ctx);
	printf("%-12s  %-8s  %-8s  %s\n", account_id, own[0] ? own : "-", tag[0] ? tag : "-", name);
	return C_OK;
}

static int set_enforcement(struct db *db, const char *where, const char *account, const char *mode)
{
	struct db_tx *tx;
	struct store_account a;
	int rc;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	rc = store_account_get(tx, account, &a);
	if (rc == STORE_NOT_FOUND) {
		db_rollback(tx);
		fprintf(stderr, "rolegate accounts: no account %s in %s\n", account, where);
		return C_ERR;
	}
	if (rc != C_OK || store_enforcement_set(tx, account, strcmp(mode, "inherit") == 0 ? NULL : mode, now_ms()) != C_OK) {
		db_rollback(tx);
		fprintf(stderr, "rolegate accounts: cannot write the setting\n");
		return C_ERR;
	}
	if (db_commit(tx) != C_OK) {
		fprintf(stderr, "rolegate accounts: cannot write the setting\n");
		return C_ERR;
	}
	if (strcmp(mode, "inherit") == 0)
		printf("account %s inherits its enforcement mode (tag " ENFORCEMENT_TAG_KEY ", else --enforce)\n", account);
	else
		printf("account %s: enforcement %s\n", account, mode);
	return C_OK;
}

static int list_enforcement(struct db *db)
{
	struct db_tx *tx;
	int rc;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	printf("%-12s  %-8s  %-8s  %s\n", "ACCOUNT", "OWN", "TAG", "NAME");
	rc = store_enforcement_list(tx, print_one, NULL);
	db_rollback(tx);
	if (rc != C_OK)
		fprintf(stderr, "rolegate accounts: cannot read the accounts\n");
	return rc;
}

int accounts_main(int argc, char **argv)
{
	const char *dir = "./data", *pg = NULL, *pos[3] = {NULL, NULL, NULL};
	size_t npos = 0;
	struct db *db;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0 && i + 1 < argc)
			pg = argv[++i];
		else if (argv[i][0] != '-' && npos < ARRAY_LEN(pos))
			pos[npos++] = argv[i];
		else
			return usage(2);
	}
	if (npos == 3 && strcmp(pos[0], "set-enforcement") == 0) {
		if (strlen(pos[1]) != ACCOUNT_ID_LEN || strspn(pos[1], "0123456789") != ACCOUNT_ID_LEN) {
			fprintf(stderr, "rolegate accounts: '%s' is not a 12-digit account id\n", pos[1]);
			return 2;
		}
		if (strcmp(pos[2], "strict") != 0 && strcmp(pos[2], "soft") != 0 && strcmp(pos[2], "inherit") != 0) {
			fprintf(stderr, "rolegate accounts: the mode is strict, soft or inherit, not '%s'\n", pos[2]);
			return 2;
		}
	} else if (!(npos == 1 && strcmp(pos[0], "list-enforcement") == 0)) {
		return usage(2);
	}
	db = cli_store_open("accounts", dir, pg);
	if (!db || store_migrate(db) != C_OK) {
		fprintf(stderr, "rolegate accounts: cannot open %s\n", cli_store_where(dir, pg));
		if (db)
			db_close(db);
		return 1;
	}
	rc = npos == 3 ? set_enforcement(db, cli_store_where(dir, pg), pos[1], pos[2]) : list_enforcement(db);
	db_close(db);
	return rc == C_OK ? 0 : 1;
}
