/*
 * rootpw.c - `rolegate root-password` (rootpw.h): the operator's way to give an account's root user a console
 * password (AWS sets it at account creation by e-mail; rolegate has no e-mail). The password is read from stdin,
 * never from the command line (it would be in ps and the shell's history), hashed as IAM users' passwords are
 * (iam_password_hash) and wiped.
 */
#include "console/rootpw.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "iam/iam.h"
#include "server/cli_store.h"
#include "store/console.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/timeutil.h"

#define ROOT_PASSWORD_MIN 8
#define ROOT_PASSWORD_MAX 128

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate root-password [--data DIR | --postgres CONNINFO] [--account ID] [--delete]\n"
	        "  Sets the web console password of an account's root user (default: the management account),\n"
	        "  read from stdin (one line; twice, without echo, on a terminal). --delete removes it.\n");
	return status;
}

/* Reads one line from stdin into out (without its newline); on a terminal, prompts without echo. */
static int read_line(const char *prompt, char *out, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t n;
	char *ok;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(out, (int)cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return C_ERR;
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == cap - 1)
		return C_ERR; /* longer than any allowed password */
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return C_OK;
}

int root_password_main(int argc, char **argv)
{
	const char *dir = "./data", *account = NULL, *pg = NULL;
	char acct[ACCOUNT_ID_LEN + 1], pw[ROOT_PASSWORD_MAX + 2], again[ROOT_PASSWORD_MAX + 2], hash[PASSWORD_HASH_MAX + 1];
	bool del = false;
	struct db *db = NULL;
	struct db_tx *tx;
	struct store_account a;
	int status = 1, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0 && i + 1 < argc)
			pg = argv[++i];
		else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
			account = argv[++i];
		else if (strcmp(argv[i], "--delete") == 0)
			del = true;
		else
			return usage(2);
	}
	if (crypto_init() != C_OK)
		return 1;
	db = cli_store_open("root-password", dir, pg);
	if (!db || store_migrate(db) != C_OK) {
		fprintf(stderr, "rolegate root-password: cannot open %s\n", cli_store_where(dir, pg));
		goto out;
	}
	if (db_begin(db, false, &tx) != C_OK)
		goto out;
	rc = account ? (snprintf(acct, sizeof(acct), "%s", account), C_OK)
	             : store_meta_get(tx, "management_account_id", acct, sizeof(acct));
	if (rc == C_OK)
		rc = store_account_get(tx, acct, &a);
	db_rollback(tx);
	if (rc != C_OK) {
		fprintf(stderr, "rolegate root-password: no account %s in %s\n", account ? account : "(management)",
		        cli_store_where(dir, pg));
		goto out;
	}
	if (!del) {
		if (read_line("New root password: ", pw, sizeof(pw)) != C_OK) {
			fprintf(stderr, "rolegate root-password: no password on stdin (or longer than %d characters)\n",
			        ROOT_PASSWORD_MAX);
			goto out;
		}
		if (isatty(STDIN_FILENO) && (read_line("Again: ", again, sizeof(again)) != C_OK || strcmp(pw, again) != 0)) {
			fprintf(stderr, "rolegate root-password: the passwords differ\n");
			goto out;
		}
		if (strlen(pw) < ROOT_PASSWORD_MIN || strlen(pw) > ROOT_PASSWORD_MAX) {
			fprintf(stderr, "rolegate root-password: the password must have %d to %d characters\n",
			        ROOT_PASSWORD_MIN, ROOT_PASSWORD_MAX);
			goto out;
		}
		if (iam_password_hash(pw, hash, sizeof(hash)) != C_OK)
			goto out;
	}
	if (db_begin(db, true, &tx) != C_OK)
		goto out;
	rc = del ? store_root_login_delete(tx, acct) : store_root_login_set(tx, acct, hash, now_ms());
	if (rc != C_OK) {
		db_rollback(tx);
		fprintf(stderr, "rolegate root-password: %s\n",
		        rc == STORE_NOT_FOUND ? "the root user has no console password" : "cannot write it");
		goto out;
	}
	if (db_commit(tx) != C_OK)
		goto out;
	printf(del ? "removed the console password of the root user of %s\n"
	           : "set the console password of the root user of %s\n", acct);
	status = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	explicit_bzero(hash, sizeof(hash));
	if (db)
		db_close(db);
	crypto_cleanup();
	return status;
}
