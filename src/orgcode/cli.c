/*
 * cli.c - `rolegate export terraform OUTDIR [--data DIR | --postgres CONNINFO]` and
 * `rolegate import authorization-details FILE --account ID [--data DIR | --postgres CONNINFO]` (cli.h).
 * export only reads (one read transaction, beside a running server); import writes one transaction.
 */
#include "orgcode/cli.h"

#include <stdio.h>
#include <string.h>

#include "orgcode/export_tf.h"
#include "orgcode/import_authz.h"
#include "util/common.h"

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate export terraform OUTDIR [--data DIR | --postgres CONNINFO]\n"
	        "       rolegate import authorization-details FILE --account ID [--data DIR | --postgres CONNINFO]\n");
	return status;
}

/* Reads --data/--postgres/--account and the two positional arguments. */
static int parse(int argc, char **argv, const char **dir, const char **pg, const char **account, const char *pos[2])
{
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 0;
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			*dir = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0 && i + 1 < argc)
			*pg = argv[++i];
		else if (account && strcmp(argv[i], "--account") == 0 && i + 1 < argc)
			*account = argv[++i];
		else if (argv[i][0] != '-' && npos < 2)
			pos[npos++] = argv[i];
		else
			return 2;
	}
	return npos == 2 ? -1 : 2;
}

int export_main(int argc, char **argv)
{
	const char *dir = "./data", *pg = NULL, *pos[2] = {NULL, NULL};
	struct oc_session s;
	int rc = parse(argc, argv, &dir, &pg, NULL, pos);

	if (rc >= 0 || strcmp(pos[0], "terraform") != 0)
		return usage(rc >= 0 ? rc : 2);
	if (oc_open(&s, "export", dir, pg, false) != C_OK)
		return 1;
	rc = export_terraform(&s, pos[1]);
	oc_close(&s, false);
	if (rc == C_OK)
		printf("rolegate export: wrote %s (terraform init && terraform plan)\n", pos[1]);
	return rc == C_OK ? 0 : 1;
}

int import_main(int argc, char **argv)
{
	const char *dir = "./data", *pg = NULL, *account = NULL, *pos[2] = {NULL, NULL};
	struct oc_session s;
	int rc = parse(argc, argv, &dir, &pg, &account, pos);

	if (rc >= 0 || strcmp(pos[0], "authorization-details") != 0 || !account)
		return usage(rc >= 0 ? rc : 2);
	if (oc_open(&s, "import", dir, pg, true) != C_OK)
		return 1;
	rc = import_authorization_details(&s, pos[1], account);
	if (oc_close(&s, rc == C_OK) != C_OK) {
		fprintf(stderr, "rolegate import: the transaction could not be committed: nothing was written\n");
		return 1;
	}
	if (rc == C_OK)
		printf("rolegate import: account %s built from %s\n", account, pos[1]);
	return rc == C_OK ? 0 : 1;
}
