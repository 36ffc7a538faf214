/*
 * snapshot.c - `rolegate snapshot`: a consistent copy of a data directory's databases, taken while the server runs.
 *
 *   rolegate snapshot save [--data DIR] FILE
 *   rolegate snapshot restore FILE --data NEWDIR
 *
 * save copies DIR/rolegate.db and DIR/audit.db (when present) with SQLite's online backup API into memory (one
 * sqlite3_backup_step(-1) each: a single read transaction, so each database is one committed state; a WAL reader
 * never blocks the server's writers), checks each copy with PRAGMA integrity_check, and writes both into FILE, one
 * container (snapshot.h: magic, members, SHA-256), created 0600 under a temporary name, fsynced, renamed over FILE
 * and the directory fsynced: FILE is either the previous file or the whole new snapshot, never a part. The two
 * databases are copied one after the other (rolegate.db first), so audit.db may hold records a little newer than
 * rolegate.db's state. The master key (DIR/master.key or --master-key-file) is NOT in the snapshot: a snapshot and
 * its key kept apart, one stolen is no secret disclosed.
 *
 * restore checks the whole file (checksum, integrity_check of each database) before writing anything, refuses a
 * data directory that exists and is not empty, creates it 0700 (an empty one is made 0700) and writes each database
 * 0600 (temporary name, fsync, rename, directory fsync). The server then runs on NEWDIR with the original master
 * key: --master-key-file, or a copy at NEWDIR/master.key (mode 0600).
 */
#include "server/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/node.h"
#include "util/common.h"
#include "util/file.h"
#include "util/crypto.h"

static const char *const member_names[] = {"rolegate.db", "audit.db"};

static bool known_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(member_names); i++)
		if (strlen(member_names[i]) == len && memcmp(member_names[i], name, len) == 0)
			return true;
	return false;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

int snapshot_encode(const struct snapshot_member *m, size_t n, uint8_t **out, size_t *outlen)
{
	size_t total = 8 + 4 + SHA256_LEN, off;
	uint8_t *buf;

	*out = NULL;
	if (n > SNAPSHOT_MAX_MEMBERS)
		return C_ERR;
	for (size_t i = 0; i < n; i++) {
		if (!known_name(m[i].name, strlen(m[i].name)) || m[i].len > SIZE_MAX - total - 10 - strlen(m[i].name))
			return C_ERR;
		total += 2 + strlen(m[i].name) + 8 + m[i].len;
	}
	if (!(buf = malloc(total)))
		return C_ERR;
	memcpy(buf, SNAPSHOT_MAGIC, 8);
	put_be(buf + 8, n, 4);
	off = 12;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(m[i].name);
		put_be(buf + off, nl, 2);
		memcpy(buf + off + 2, m[i].name, nl);
		off += 2 + nl;
		put_be(buf + off, m[i].len, 8);
		off += 8;
		if (m[i].len)
			memcpy(buf + off, m[i].data, m[i].len);
		off += m[i].len;
	}
	crypto_sha256(buf, off, buf + off);
	*out = buf;
	*outlen = total;
	return C_OK;
}

int snapshot_decode(const uint8_t *buf, size_t len, struct snapshot_member *m, size_t cap, size_t *n)
{
	uint8_t sum[SHA256_LEN];
	size_t off = 12, body, count;
	bool main_db = false;

	*n = 0;
	if (len < 12 + SHA256_LEN || memcmp(buf, SNAPSHOT_MAGIC, 8) != 0)
		return C_ERR;
	body = len - SHA256_LEN;
	crypto_sha256(buf, body, sum);
	if (!crypto_equal(sum, buf + body, SHA256_LEN))
		return C_ERR;
	count = get_be(buf + 8, 4);
	if (count > cap || count > SNAPSHOT_MAX_MEMBERS)
		return C_ERR;
	for (size_t i = 0; i < count; i++) {
		size_t nl;
		uint64_t dl;
		if (body - off < 2)
			return C_ERR;
		nl = get_be(buf + off, 2);
		off += 2;
		if (body - off < nl + 8 || !known_name((const char *)buf + off, nl))
			return C_ERR;
		for (size_t j = 0; j < i; j++)
			if (strlen(m[j].name) == nl && memcmp(m[j].name, buf + off, nl) == 0)
				return C_ERR;
		for (size_t k = 0; k < ARRAY_LEN(member_names); k++)
			if (strlen(member_names[k]) == nl && memcmp(member_names[k], buf + off, nl) == 0)
				m[i].name = member_names[k];
		main_db |= strcmp(m[i].name, "rolegate.db") == 0;
		off += nl;
		dl = get_be(buf + off, 8);
		off += 8;
		if (dl > body - off)
			return C_ERR;
		m[i].data = buf + off;
		m[i].len = (size_t)dl;
		off += (size_t)dl;
	}
	if (off != body || !main_db)
		return C_ERR;
	*n = count;
	return C_OK;
}

/* ---- SQLite ------------------------------------------------------------------------------------------------------ */

/* "ok" from PRAGMA integrity_check on h. */
static bool integrity_ok(sqlite3 *h)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		ok = t && strcmp(t, "ok") == 0 && sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return ok;
}

/* Copies the database at path, one committed state of it, into *out (malloc'd; *len bytes). */
static int backup_to_memory(const char *path, uint8_t **out, size_t *len)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 size = 0;
	unsigned char *bytes = NULL;
	char pragma[64];
	int rc = C_ERR, step;

	*out = NULL;
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "rolegate snapshot: cannot open %s: %s\n", path, src ? sqlite3_errmsg(src) : "no memory");
		goto done;
	}
	sqlite3_busy_timeout(src, 10000);
	if (sqlite3_open_v2(":memory:", &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto done;
	/* an in-memory destination must have the source's page size */
	if (sqlite3_prepare_v2(src, "PRAGMA page_size", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		goto sqlerr;
	snprintf(pragma, sizeof(pragma), "PRAGMA page_size=%d", sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(dst, pragma, NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	if (!(b = sqlite3_backup_init(dst, "main", src, "main")))
		goto sqlerr;
	for (int tries = 0; (step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED; tries++) {
		if (tries == 200)
			break;
		usleep(50 * 1000);
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE)
		goto sqlerr;
	if (!integrity_ok(dst)) {
		fprintf(stderr, "rolegate snapshot: the copy of %s fails PRAGMA integrity_check\n", path);
		goto done;
	}
	if (!(bytes = sqlite3_serialize(dst, "main", &size, 0)) || size <= 0 || !(*out = malloc((size_t)size)))
		goto done;
	memcpy(*out, bytes, (size_t)size);
	*len = (size_t)size;
	/* the copy keeps the source's WAL flag (header bytes 18, 19 = 2); a file without its -wal is a rollback one */
	if (*len >= 100 && (*out)[18] == 2 && (*out)[19] == 2)
		(*out)[18] = (*out)[19] = 1;
	rc = C_OK;
	goto done;
sqlerr:
	fprintf(stderr, "rolegate snapshot: cannot copy %s: %s\n", path, sqlite3_errmsg(dst ? dst : src));
done:
	sqlite3_finalize(st);
	if (bytes) {
		explicit_bzero(bytes, (size_t)size);
		sqlite3_free(bytes);
	}
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc;
}

/* PRAGMA integrity_check of a database image, read-only in memory. */
static bool image_ok(const uint8_t *data, size_t len)
{
	sqlite3 *h = NULL;
	bool ok = false;

	if (sqlite3_open_v2(":memory:", &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_deserialize(h, "main", (unsigned char *)data, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_READONLY) == SQLITE_OK)
		ok = integrity_ok(h);
	sqlite3_close(h);
	return ok;
}

/* ---- files ------------------------------------------------------------------------------------------------------- */

/* Writes data to path through path.tmp (0600, O_EXCL, fsync, rename, directory fsync). */
static int write_atomic(const char *path, const uint8_t *data, size_t len)
{
	char tmp[4200], dir[4096];
	const char *slash;
	size_t off = 0;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= sizeof(tmp))
		return C_ERR;
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fprintf(stderr, "rolegate snapshot: cannot create %s: %s\n", tmp, strerror(errno));
		return C_ERR;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if (file_fsync_dir(dir) != C_OK) {
		fprintf(stderr, "rolegate snapshot: cannot fsync %s: %s\n", dir, strerror(errno));
		return C_ERR;
	}
	return C_OK;
fail:
	fprintf(stderr, "rolegate snapshot: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return C_ERR;
}

/* Reads the whole of path into *out (malloc'd). */
static int read_all(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(*out = malloc(st.st_size ? st.st_size : 1)))
		goto fail;
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, *out + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto fail;
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return C_OK;
fail:
	fprintf(stderr, "rolegate snapshot: cannot read %s: %s\n", path, errno ? strerror(errno) : "not a file");
	if (fd >= 0)
		close(fd);
	free(*out);
	*out = NULL;
	return C_ERR;
}

/* Creates dir 0700, or accepts an existing empty one (made 0700). C_ERR with a message otherwise. */
static int prepare_data_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	bool empty = true;

	if (mkdir(dir, 0700) == 0)
		return C_OK;
	if (errno != EEXIST) {
		fprintf(stderr, "rolegate snapshot restore: cannot create %s: %s\n", dir, strerror(errno));
		return C_ERR;
	}
	if (!(d = opendir(dir))) {
		fprintf(stderr, "rolegate snapshot restore: %s: %s\n", dir, strerror(errno));
		return C_ERR;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty) {
		fprintf(stderr, "rolegate snapshot restore: %s is not empty: restore into a new (or empty) directory\n", dir);
		return C_ERR;
	}
	if (chmod(dir, 0700) != 0) {
		fprintf(stderr, "rolegate snapshot restore: cannot make %s private: %s\n", dir, strerror(errno));
		return C_ERR;
	}
	return C_OK;
}

/* ---- the verb ---------------------------------------------------------------------------------------------------- */

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate snapshot save [--data DIR] FILE\n"
	        "       rolegate snapshot restore FILE --data NEWDIR\n"
	        "save copies DIR's databases (rolegate.db, audit.db) while the server runs, into FILE (mode 0600).\n"
	        "restore writes them into NEWDIR, which must not exist or be empty. The master key is not in the\n"
	        "snapshot: keep it apart, and start the restored server with the original key (see\n"
	        "rolegate server --master-key-file), or copy it to NEWDIR/master.key, mode 0600.\n"
	        "The PostgreSQL store of rolegate server --postgres is backed up with pg_dump or pg_basebackup.\n");
	return status;
}

static int save(const char *dir, const char *file)
{
	struct snapshot_member m[SNAPSHOT_MAX_MEMBERS];
	uint8_t *images[SNAPSHOT_MAX_MEMBERS] = {0}, *out = NULL;
	size_t n = 0, outlen = 0;
	int status = 1;

	if (store_node_is_postgres(dir)) {
		fprintf(stderr, "rolegate snapshot save: %s is a PostgreSQL node's directory: its database is PostgreSQL's "
		                "(back it up with pg_dump or pg_basebackup)\n", dir);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(member_names); i++) {
		char path[4096];
		size_t len;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, member_names[i]) >= sizeof(path))
			goto out;
		if (access(path, F_OK) != 0) {
			if (i == 0) {
				fprintf(stderr, "rolegate snapshot save: no rolegate.db in %s\n", dir);
				goto out;
			}
			continue; /* audit.db appears with the first AssumeRole or GetSessionToken */
		}
		if (backup_to_memory(path, &images[n], &len) != C_OK)
			goto out;
		m[n] = (struct snapshot_member){.name = member_names[i], .data = images[n], .len = len};
		n++;
	}
	if (snapshot_encode(m, n, &out, &outlen) != C_OK || write_atomic(file, out, outlen) != C_OK)
		goto out;
	printf("snapshot %s:", file);
	for (size_t i = 0; i < n; i++)
		printf(" %s (%zu bytes)", m[i].name, m[i].len);
	printf("; the master key is not in it\n");
	status = 0;
out:
	for (size_t i = 0; i < n; i++) {
		explicit_bzero(images[i], m[i].len);
		free(images[i]);
	}
	if (out) {
		explicit_bzero(out, outlen);
		free(out);
	}
	return status;
}

static int restore(const char *file, const char *dir)
{
	struct snapshot_member m[SNAPSHOT_MAX_MEMBERS];
	uint8_t *buf = NULL;
	size_t len = 0, n;
	int status = 1;

	if (read_all(file, &buf, &len) != C_OK)
		return 1;
	if (snapshot_decode(buf, len, m, ARRAY_LEN(m), &n) != C_OK) {
		fprintf(stderr, "rolegate snapshot restore: %s is not a whole rolegate snapshot (damaged or truncated)\n",
		        file);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!image_ok(m[i].data, m[i].len)) {
			fprintf(stderr, "rolegate snapshot restore: %s in %s fails PRAGMA integrity_check\n", m[i].name, file);
			goto out;
		}
	if (prepare_data_dir(dir) != C_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, m[i].name) >= sizeof(path) ||
		    write_atomic(path, m[i].data, m[i].len) != C_OK) {
			/* never half a restore: take back what was written (the directory was empty) */
			for (size_t j = 0; j < i; j++)
				if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, m[j].name) < sizeof(path))
					unlink(path);
			goto out;
		}
	}
	printf("restored %s into %s; start the server there with the original master key (--master-key-file)\n", file,
	       dir);
	status = 0;
out:
	explicit_bzero(buf, len);
	free(buf);
	return status;
}

int snapshot_main(int argc, char **argv)
{
	const char *dir = NULL, *file = NULL, *cmd;
	int status;

	if (argc < 1)
		return usage(2);
	cmd = argv[0];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return usage(0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0) {
			/* Not a copy of PostgreSQL's files: its own tools back it up consistently, and restore into it. */
			fprintf(stderr, "rolegate snapshot: --postgres: rolegate snapshot copies a data directory's SQLite "
			                "databases; back up a PostgreSQL database with PostgreSQL's own tools: use pg_dump "
			                "(or pg_basebackup and WAL archiving) / PostgreSQL's own backups, and keep the master "
			                "key apart from them\n");
			return 2;
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return usage(2);
	}
	if (!file)
		return usage(2);
	if (strcmp(cmd, "save") != 0 && strcmp(cmd, "restore") != 0)
		return usage(2);
	if (strcmp(cmd, "restore") == 0 && !dir) {
		fprintf(stderr, "rolegate snapshot restore: --data NEWDIR is required\n");
		return 2;
	}
	if (crypto_init() != C_OK)
		return 1;
	status = strcmp(cmd, "save") == 0 ? save(dir ? dir : "./data", file) : restore(file, dir);
	crypto_cleanup();
	return status;
}
