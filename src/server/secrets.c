/*
 * secrets.c - master key handling and sealing.
 */
#include "server/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/common.h"
#include "util/crypto.h"
#include "util/file.h"
#include "util/log.h"

static uint8_t master[AEAD_KEY_LEN];
static int loaded;

/* Reads exactly n bytes from path. ours: the key is DATA/master.key, which rolegate made 0600; a looser mode (an
 * earlier version, a copy) is tightened. A key file the operator names is only warned about. */
static int read_file_exact(const char *path, uint8_t *out, size_t n, bool ours)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t r;

	if (fd < 0) {
		log_error("cannot open master key %s", path);
		return C_ERR;
	}
	if (fstat(fd, &st) != 0 || st.st_size != (off_t)n) {
		log_errorx("master key %s must hold exactly %zu bytes", path, n);
		close(fd);
		return C_ERR;
	}
	if ((st.st_mode & 077) && ours && fchmod(fd, 0600) == 0)
		log_warnx("master key %s was readable by others (mode %03o): made it 0600", path,
		          (unsigned)(st.st_mode & 0777));
	else if (st.st_mode & 077)
		log_warnx("master key %s is readable by others (mode %03o); it should be 0600", path,
		          (unsigned)(st.st_mode & 0777));
	r = read(fd, out, n);
	close(fd);
	if (r != (ssize_t)n) {
		log_errorx("master key %s must hold exactly %zu bytes", path, n);
		return C_ERR;
	}
	return C_OK;
}

/* Creates path with mode 0600 holding a new random key; fails if it exists. */
static int create_key_file(const char *path)
{
	if (crypto_random(master, sizeof(master)) != C_OK) {
		errno = EIO;
		return C_ERR;
	}
	return file_create_private(path, master, sizeof(master));
}

int secrets_load_master_key(const char *path, const char *data_dir)
{
	char def[4096], db[4096];

	if (path)
		return (loaded = read_file_exact(path, master, sizeof(master), false) == C_OK) ? C_OK : C_ERR;
	snprintf(def, sizeof(def), "%s/master.key", data_dir);
	if (access(def, F_OK) != 0) {
		/* A directory with a database but no key (a restored snapshot, a key moved away): a new key would open
		 * nothing in it, and the secrets sealed under the real one would look lost. Only a new directory gets a
		 * new key. */
		snprintf(db, sizeof(db), "%s/rolegate.db", data_dir);
		if (access(db, F_OK) == 0) {
			log_errorx("%s has a database but no master key (%s): supply the key it was sealed with, "
			           "--master-key-file FILE or a copy at %s (mode 0600); a snapshot does not hold it",
			           data_dir, def, def);
			return C_ERR;
		}
		if (create_key_file(def) == C_OK) {
			if (file_fsync_dir(data_dir) != C_OK)
				log_warn("cannot sync the directory of %s", def);
			log_info("generated a new master key in %s", def);
			loaded = 1;
			return C_OK;
		}
		if (errno != EEXIST) {
			log_error("cannot create master key %s", def);
			return C_ERR;
		}
	}
	return (loaded = read_file_exact(def, master, sizeof(master), true) == C_OK) ? C_OK : C_ERR;
}

void secrets_key_id_of(const uint8_t key[AEAD_KEY_LEN], char out[MASTER_KEY_ID_LEN + 1])
{
	static const char label[] = "rolegate master key id";
	uint8_t mac[SHA256_LEN];

	crypto_hmac_sha256(key, AEAD_KEY_LEN, label, strlen(label), mac);
	hex_encode(mac, MASTER_KEY_ID_LEN / 2, out);
	out[MASTER_KEY_ID_LEN] = '\0';
	explicit_bzero(mac, sizeof(mac));
}

int secrets_key_id(char out[MASTER_KEY_ID_LEN + 1])
{
	if (!loaded)
		return C_ERR;
	secrets_key_id_of(master, out);
	return C_OK;
}

int secrets_reseal(const uint8_t newkey[AEAD_KEY_LEN], const char *id, const uint8_t *sealed, size_t len,
                   uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t plain[SECRETS_RESEAL_MAX];
	int rc = C_ERR;

	if (!loaded || len < AEAD_OVERHEAD || len - AEAD_OVERHEAD > sizeof(plain) || cap < len)
		return C_ERR;
	if (aead_open(master, id, strlen(id), sealed, len, plain) == C_OK &&
	    aead_seal(newkey, id, strlen(id), plain, len - AEAD_OVERHEAD, out) == C_OK) {
		*outlen = len;
		rc = C_OK;
	}
	explicit_bzero(plain, sizeof(plain));
	return rc;
}

void secrets_wipe(void)
{
	explicit_bzero(master, sizeof(master));
	loaded = 0;
}

int secrets_seal(const char *id, const void *secret, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	if (!loaded || cap < len + AEAD_OVERHEAD)
		return C_ERR;
	if (aead_seal(master, id, strlen(id), secret, len, out) != C_OK)
		return C_ERR;
	*outlen = len + AEAD_OVERHEAD;
	return C_OK;
}

int secrets_open(const char *id, const uint8_t *sealed, size_t len, char *out, size_t cap)
{
	if (!loaded || len < AEAD_OVERHEAD || len - AEAD_OVERHEAD >= cap)
		return C_ERR;
	if (aead_open(master, id, strlen(id), sealed, len, (uint8_t *)out) != C_OK)
		return C_ERR;
	out[len - AEAD_OVERHEAD] = '\0';
	return C_OK;
}
