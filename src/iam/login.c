/*
 * login.c - console passwords and the account password policy: CreateLoginProfile, GetLoginProfile,
 * UpdateLoginProfile, DeleteLoginProfile, UpdateAccountPasswordPolicy, GetAccountPasswordPolicy,
 * DeleteAccountPasswordPolicy, ChangePassword (a user's own; clears PasswordResetRequired).
 *
 * A password is checked against the account's password policy (or, when it has none, AWS's default policy),
 * stored only as a salted PBKDF2-HMAC-SHA256 hash, and wiped. The web console (src/console/signin.c) signs users in
 * with it (iam_password_verify). AllowUsersToChangePassword lets every user ChangePassword its own (the grant is
 * src/server/authz.c's); MaxPasswordAge, HardExpiry and PasswordReusePrevention are kept and reported as set, not
 * enforced.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam/iam.h"
#include "store/login.h"
#include "util/common.h"
#include "util/crypto.h"

/* PBKDF2-HMAC-SHA256 as OWASP recommends it (2023): 600 000 iterations, a 16-byte random salt, 32 bytes out. */
#define PBKDF2_ITERATIONS 600000
#define PBKDF2_SALT_LEN 16
#define PBKDF2_HASH_LEN 32
#define HASH_SCHEME "pbkdf2-sha256"

/* The symbols a password policy counts (AWS's list). */
static const char policy_symbols[] = "!@#$%^&*()_+-=[]{}|'";

/* The password policy of an account; AWS's values when UpdateAccountPasswordPolicy leaves a field out. */
struct password_policy {
	int64_t min_length;        /* 6 */
	bool symbols, numbers, upper, lower;
	bool allow_change;
	int64_t max_age;           /* 0: passwords never expire */
	int64_t reuse_prevention;  /* 0: not set */
	bool hard_expiry;
};

static pthread_once_t kdf_once = PTHREAD_ONCE_INIT;
static EVP_KDF *kdf_pbkdf2;

static void kdf_fetch(void)
{
	kdf_pbkdf2 = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
}

/* ---- hashing ------------------------------------------------------------------------------------------------- */

/* out = PBKDF2-HMAC-SHA256(password, salt, iterations). */
static int pbkdf2(const char *password, const uint8_t *salt, size_t salt_len, unsigned int iterations,
                  uint8_t out[PBKDF2_HASH_LEN])
{
	OSSL_PARAM params[5];
	EVP_KDF_CTX *ctx;
	int rc = C_ERR;

	pthread_once(&kdf_once, kdf_fetch);
	if (!kdf_pbkdf2 || !(ctx = EVP_KDF_CTX_new(kdf_pbkdf2)))
		return C_ERR;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, strlen(password));
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	params[2] = OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iterations);
	params[3] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, PBKDF2_HASH_LEN, params) == 1)
		rc = C_OK;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

/* Writes "pbkdf2-sha256$ITERATIONS$SALT$HASH" (base64 parts) of password with a new random salt into out. */
int iam_password_hash(const char *password, char *out, size_t cap)
{
	uint8_t salt[PBKDF2_SALT_LEN], hash[PBKDF2_HASH_LEN];
	char *salt_b64 = NULL, *hash_b64 = NULL;
	int rc = C_ERR, n;

	if (crypto_random(salt, sizeof(salt)) != C_OK || pbkdf2(password, salt, sizeof(salt), PBKDF2_ITERATIONS, hash))
		goto done;
	salt_b64 = base64_encode(salt, sizeof(salt));
	hash_b64 = base64_encode(hash, sizeof(hash));
	if (!salt_b64 || !hash_b64)
		goto done;
	n = snprintf(out, cap, HASH_SCHEME "$%d$%s$%s", PBKDF2_ITERATIONS, salt_b64, hash_b64);
	if (n > 0 && (size_t)n < cap)
		rc = C_OK;
done:
	explicit_bzero(hash, sizeof(hash));
	if (hash_b64)
		explicit_bzero(hash_b64, strlen(hash_b64));
	free(salt_b64);
	free(hash_b64);
	return rc;
}

int iam_password_verify(const char *password, const char *stored)
{
	char scheme[16], salt_b64[64], hash_b64[64];
	uint8_t *salt = NULL, *want = NULL, got[PBKDF2_HASH_LEN];
	size_t salt_len = 0, want_len = 0;
	unsigned iterations = 0;
	int rc = C_ERR;

	if (sscanf(stored, "%15[^$]$%u$%63[^$]$%63s", scheme, &iterations, salt_b64, hash_b64) != 4 ||
	    strcmp(scheme, HASH_SCHEME) != 0 || iterations < 1000 || iterations > 10000000)
		return C_ERR;
	salt = base64_decode(salt_b64, strlen(salt_b64), &salt_len);
	want = base64_decode(hash_b64, strlen(hash_b64), &want_len);
	if (salt && want && want_len == PBKDF2_HASH_LEN && pbkdf2(password, salt, salt_len, iterations, got) == C_OK &&
	    crypto_equal(got, want, PBKDF2_HASH_LEN) == 1)
		rc = C_OK;
	explicit_bzero(got, sizeof(got));
	if (want)
		explicit_bzero(want, want_len);
	free(salt);
	free(want);
	return rc;
}

/* ---- the password policy ------------------------------------------------------------------------------------- */

static void policy_defaults(struct password_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->min_length = 6;
}

/* Loads the account's policy: C_OK, STORE_NOT_FOUND when it has none, C_ERR. */
static int policy_load(struct call *c, struct password_policy *p)
{
	char text[1024];
	json_t *j;
	int rc = store_password_policy_get(c->tx, c->caller.account_id, text, sizeof(text));

	policy_defaults(p);
	if (rc != C_OK)
		return rc;
	j = json_loads(text, 0, NULL);
	if (!j)
		return C_ERR;
	p->min_length = json_integer_value(json_object_get(j, "MinimumPasswordLength"));
	p->symbols = json_is_true(json_object_get(j, "RequireSymbols"));
	p->numbers = json_is_true(json_object_get(j, "RequireNumbers"));
	p->upper = json_is_true(json_object_get(j, "RequireUppercaseCharacters"));
	p->lower = json_is_true(json_object_get(j, "RequireLowercaseCharacters"));
	p->allow_change = json_is_true(json_object_get(j, "AllowUsersToChangePassword"));
	p->max_age = json_integer_value(json_object_get(j, "MaxPasswordAge"));
	p->reuse_prevention = json_integer_value(json_object_get(j, "PasswordReusePrevention"));
	p->hard_expiry = json_is_true(json_object_get(j, "HardExpiry"));
	json_decref(j);
	return C_OK;
}

/* The characters of a UTF-8 string (the model allows U+0009..U+00FF, some of which take two bytes). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Appends a requirement to msg ("A, B, C"). */
static void append_requirement(char *msg, size_t cap, const char *req)
{
	size_t len = strlen(msg);

	snprintf(msg + len, cap - len, "%s%s", len ? ", " : "", req);
}

/*
 * Checks password against the account's policy, or AWS's default policy when the account has none (at least 8
 * characters, three of the four kinds, not the account's name or email address). PasswordPolicyViolation with
 * the unmet requirements in AWS's words.
 */
static int check_password(struct call *c, const char *password)
{
	struct password_policy p;
	struct store_account a;
	char msg[512] = "";
	const char *s;
	bool upper = false, lower = false, number = false, symbol = false;
	int rc = policy_load(c, &p), kinds;

	if (rc != C_OK && rc != STORE_NOT_FOUND)
		return C_ERR;
	for (s = password; *s; s++) {
		upper |= *s >= 'A' && *s <= 'Z';
		lower |= *s >= 'a' && *s <= 'z';
		number |= *s >= '0' && *s <= '9';
		symbol |= strchr(policy_symbols, *s) != NULL;
	}
	if (rc == STORE_NOT_FOUND) {
		/* AWS's default password policy */
		if (utf8_chars(password) < 8)
			return aws_err_set(&c->err, ERR_PASSWORD_POLICY_VIOLATION, "Password should have a minimum length of 8");
		kinds = upper + lower + number + symbol;
		if (kinds < 3) {
			if (!upper)
				append_requirement(msg, sizeof(msg), "Password should have at least one uppercase letter");
			if (!lower)
				append_requirement(msg, sizeof(msg), "Password should have at least one lowercase letter");
			if (!number)
				append_requirement(msg, sizeof(msg), "Password should have at least one number");
			if (!symbol)
				append_requirement(msg, sizeof(msg), "Password should have at least one symbol");
			return aws_err_set(&c->err, ERR_PASSWORD_POLICY_VIOLATION,
			                   "Password should meet %d more of the following requirements: %s", 3 - kinds, msg);
		}
		if (store_account_get(c->tx, c->caller.account_id, &a) != C_OK)
			return C_ERR;
		if ((a.name[0] && strcmp(password, a.name) == 0) || (a.email[0] && strcmp(password, a.email) == 0))
			return aws_err_set(&c->err, ERR_PASSWORD_POLICY_VIOLATION,
			                   "Password should not be identical to the account name or email address");
		return C_OK;
	}
	if ((int64_t)utf8_chars(password) < p.min_length) {
		char req[64];
		snprintf(req, sizeof(req), "Password should have a minimum length of %lld", (long long)p.min_length);
		append_requirement(msg, sizeof(msg), req);
	}
	if (p.upper && !upper)
		append_requirement(msg, sizeof(msg), "Password should have at least one uppercase letter");
	if (p.lower && !lower)
		append_requirement(msg, sizeof(msg), "Password should have at least one lowercase letter");
	if (p.numbers && !number)
		append_requirement(msg, sizeof(msg), "Password should have at least one number");
	if (p.symbols && !symbol)
		append_requirement(msg, sizeof(msg), "Password should have at least one symbol");
	if (msg[0])
		return aws_err_set(&c->err, ERR_PASSWORD_POLICY_VIOLATION, "%s", msg);
	return C_OK;
}

/* ---- login profiles ------------------------------------------------------------------------------------------ */

/* Wipes the Password of the input once it has been checked and hashed (the audit record holds "***"). */
static void wipe_password(struct call *c)
{
	json_t *pw = json_object_get(c->in, "Password");

	if (json_is_string(pw))
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
}

/* The prepare hook of the actions that set a password: hashes Password into c->prepared before the transaction
 * (PBKDF2 takes a tenth of a second; inside the transaction it would hold every other write that long). The
 * password itself is checked against the policy, which needs the transaction, in the action. */
static int prepare_password_hash(struct call *c)
{
	const char *password = call_str(c, "Password");

	_Static_assert(CALL_PREPARED_MAX >= PASSWORD_HASH_MAX + 1, "a password hash fits in call.prepared");
	if (!password)
		return C_OK;
	return iam_password_hash(password, c->prepared, sizeof(c->prepared));
}

/* The after hook of those actions: the password is wiped however the call ended (refused before the action ran,
 * too). */
static void after_password(struct call *c, bool ok)
{
	UNUSED(ok);
	wipe_password(c);
}

/* The user named by UserName, or the calling user when it is absent. */
static int profile_user(struct call *c, struct store_user *u)
{
	return iam_load_named_or_self(c, call_str(c, "UserName"), u);
}

static int no_such_profile(struct call *c, const char *user)
{
	return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Login Profile for User %s cannot be found.", user);
}

static int profile_json(struct call *c, const struct store_user *u, const struct store_login_profile *p)
{
	json_t *j = json_pack("{s:s, s:I, s:b}", "UserName", u->name, "CreateDate", (json_int_t)(p->created_ms / 1000),
	                      "PasswordResetRequired", p->reset_required);

	if (!j)
		return C_ERR;
	json_object_set_new(c->out, "LoginProfile", j);
	return C_OK;
}

static int create_login_profile(struct call *c)
{
	const char *password = call_str(c, "Password");
	struct store_user u;
	struct store_login_profile p;
	int rc = C_ERR;

	memset(&p, 0, sizeof(p));
	if (profile_user(c, &u) != C_OK)
		goto done;
	if (!password) {
		rc = aws_err_set(&c->err, ERR_VALIDATION,
		                 "1 validation error detected: Value null at 'password' failed to satisfy constraint: "
		                 "Member must not be null");
		goto done;
	}
	rc = store_login_get(c->tx, u.user_id, &p);
	if (rc == C_OK) {
		rc = aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "Login Profile for user %s already exists.", u.name);
		goto done;
	}
	if (rc != STORE_NOT_FOUND) {
		rc = C_ERR;
		goto done;
	}
	rc = C_ERR;
	if (check_password(c, password) != C_OK)
		goto done;
	if (!c->prepared[0]) /* hashed by prepare_password_hash, before the transaction */
		goto done;
	snprintf(p.password_hash, sizeof(p.password_hash), "%s", c->prepared);
	snprintf(p.user_id, sizeof(p.user_id), "%s", u.user_id);
	p.reset_required = json_is_true(json_object_get(c->in, "PasswordResetRequired"));
	p.created_ms = c->now_ms;
	if (store_login_create(c->tx, &p) == C_OK && profile_json(c, &u, &p) == C_OK)
		rc = C_OK;
done:
	explicit_bzero(p.password_hash, sizeof(p.password_hash));
	wipe_password(c);
	return rc;
}

static int get_login_profile(struct call *c)
{
	struct store_user u;
	struct store_login_profile p;
	int rc = C_ERR;

	if (profile_user(c, &u) != C_OK)
		return C_ERR;
	rc = store_login_get(c->tx, u.user_id, &p);
	explicit_bzero(p.password_hash, sizeof(p.password_hash));
	if (rc == STORE_NOT_FOUND)
		return no_such_profile(c, u.name);
	if (rc != C_OK)
		return C_ERR;
	return profile_json(c, &u, &p);
}

static int update_login_profile(struct call *c)
{
	const char *password = call_str(c, "Password");
	json_t *reset = json_object_get(c->in, "PasswordResetRequired");
	struct store_user u;
	struct store_login_profile p;
	int rc = C_ERR;

	if (profile_user(c, &u) != C_OK)
		goto done;
	rc = store_login_get(c->tx, u.user_id, &p);
	explicit_bzero(p.password_hash, sizeof(p.password_hash));
	if (rc == STORE_NOT_FOUND) {
		rc = no_such_profile(c, u.name);
		goto done;
	}
	rc = C_ERR;
	/* the hash was made by prepare_password_hash, before the transaction */
	if (password && (check_password(c, password) != C_OK || !c->prepared[0]))
		goto done;
	if (store_login_update(c->tx, u.user_id, password ? c->prepared : NULL, reset ? json_is_true(reset) : -1) ==
	    C_OK)
		rc = C_OK;
done:
	wipe_password(c);
	return rc;
}

static int delete_login_profile(struct call *c)
{
	struct store_user u;
	int rc;

	if (profile_user(c, &u) != C_OK)
		return C_ERR;
	rc = store_login_delete(c->tx, u.user_id);
	if (rc == STORE_NOT_FOUND)
		return no_such_profile(c, u.name);
	return rc == C_OK ? C_OK : C_ERR;
}

/* ---- ChangePassword: an IAM user changes its own password ----------------------------------------------------- */

/* c->prepared of ChangePassword: the new password's hash, a NUL, then the stored hash OldPassword matched ("" when
 * it matched none). Both are made before the transaction (PBKDF2 twice); run() checks that the stored hash is still
 * the one verified. */
static int prepare_change_password(struct call *c)
{
	const char *old = call_str(c, "OldPassword"), *new_pw = call_str(c, "NewPassword");
	struct store_login_profile p;
	struct db_tx *tx;
	size_t n;
	int rc;

	memset(c->prepared, 0, sizeof(c->prepared));
	if (c->caller.kind != PRINCIPAL_USER || !old || !new_pw)
		return C_OK; /* run() refuses */
	if (iam_password_hash(new_pw, c->prepared, sizeof(c->prepared)) != C_OK)
		return C_ERR;
	n = strlen(c->prepared) + 1;
	if (db_begin(c->srv->db, false, &tx) != C_OK)
		return C_ERR;
	rc = store_login_get(tx, c->caller.id, &p);
	db_rollback(tx);
	if (rc == C_OK && n + strlen(p.password_hash) < sizeof(c->prepared) &&
	    iam_password_verify(old, p.password_hash) == C_OK)
		memcpy(c->prepared + n, p.password_hash, strlen(p.password_hash) + 1);
	explicit_bzero(&p, sizeof(p));
	return rc == C_OK || rc == STORE_NOT_FOUND ? C_OK : C_ERR;
}

static void after_change_password(struct call *c, bool ok)
{
	static const char *const fields[] = {"OldPassword", "NewPassword"};

	UNUSED(ok);
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		json_t *pw = json_object_get(c->in, fields[i]);
		if (json_is_string(pw))
			explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
	}
}

/* The calling user (ChangePassword acts on the caller only: authorized on its own ARN). */
static int resource_caller(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "%s", c->caller.arn) < (int)cap ? C_OK : C_ERR;
}

static int change_password(struct call *c)
{
	const char *new_pw = call_str(c, "NewPassword");
	const char *new_hash = c->prepared, *verified = c->prepared + strlen(c->prepared) + 1;
	struct store_login_profile p;
	int rc;

	if (c->caller.kind != PRINCIPAL_USER)
		return aws_err_set(&c->err, ERR_INVALID_USER_TYPE,
		                   "The request was rejected because the type of user for the transaction was incorrect.");
	rc = store_login_get(c->tx, c->caller.id, &p);
	if (rc == STORE_NOT_FOUND)
		return no_such_profile(c, c->caller.name);
	if (rc != C_OK)
		return C_ERR;
	rc = C_ERR;
	if (!verified[0]) {
		aws_err_set(&c->err, ERR_ACCESS_DENIED, "The old password is incorrect.");
		goto done;
	}
	if (strcmp(verified, p.password_hash) != 0) { /* changed since it was verified, by another request */
		aws_err_set(&c->err, ERR_ENTITY_TEMPORARILY_UNMODIFIABLE,
		            "Login Profile for User %s cannot be modified while it is being changed. Try again.", c->caller.name);
		goto done;
	}
	if (!new_pw || check_password(c, new_pw) != C_OK || !new_hash[0])
		goto done;
	if (store_login_update(c->tx, c->caller.id, new_hash, 0) == C_OK)
		rc = C_OK;
done:
	explicit_bzero(&p, sizeof(p));
	return rc;
}

/* ---- the account password policy ----------------------------------------------------------------------------- */

static int update_account_password_policy(struct call *c)
{
	struct password_policy p;
	json_t *j;
	char *text;
	int rc;

	/* Every field left out takes AWS's default: the call replaces the whole policy. */
	policy_defaults(&p);
	p.min_length = call_int(c, "MinimumPasswordLength", 6);
	p.symbols = json_is_true(json_object_get(c->in, "RequireSymbols"));
	p.numbers = json_is_true(json_object_get(c->in, "RequireNumbers"));
	p.upper = json_is_true(json_object_get(c->in, "RequireUppercaseCharacters"));
	p.lower = json_is_true(json_object_get(c->in, "RequireLowercaseCharacters"));
	p.allow_change = json_is_true(json_object_get(c->in, "AllowUsersToChangePassword"));
	p.max_age = call_int(c, "MaxPasswordAge", 0);
	p.reuse_prevention = call_int(c, "PasswordReusePrevention", 0);
	p.hard_expiry = json_is_true(json_object_get(c->in, "HardExpiry"));
	j = json_pack("{s:I, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:b}", "MinimumPasswordLength", (json_int_t)p.min_length,
	              "RequireSymbols", p.symbols, "RequireNumbers", p.numbers, "RequireUppercaseCharacters", p.upper,
	              "RequireLowercaseCharacters", p.lower, "AllowUsersToChangePassword", p.allow_change,
	              "MaxPasswordAge", (json_int_t)p.max_age, "PasswordReusePrevention",
	              (json_int_t)p.reuse_prevention, "HardExpiry", p.hard_expiry);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!text)
		return C_ERR;
	rc = store_password_policy_put(c->tx, c->caller.account_id, text);
	free(text);
	return rc == C_OK ? C_OK : C_ERR;
}

static int get_account_password_policy(struct call *c)
{
	struct password_policy p;
	json_t *j;
	int rc = policy_load(c, &p);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The Password Policy with domain name %s cannot be found.",
		                   c->caller.account_id);
	if (rc != C_OK)
		return C_ERR;
	j = json_pack("{s:I, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "MinimumPasswordLength", (json_int_t)p.min_length,
	              "RequireSymbols", p.symbols, "RequireNumbers", p.numbers, "RequireUppercaseCharacters", p.upper,
	              "RequireLowercaseCharacters", p.lower, "AllowUsersToChangePassword", p.allow_change,
	              "ExpirePasswords", p.max_age > 0, "HardExpiry", p.hard_expiry);
	if (!j)
		return C_ERR;
	/* AWS leaves out what was never set */
	if (p.max_age > 0)
		json_object_set_new(j, "MaxPasswordAge", json_integer((json_int_t)p.max_age));
	if (p.reuse_prevention > 0)
		json_object_set_new(j, "PasswordReusePrevention", json_integer((json_int_t)p.reuse_prevention));
	json_object_set_new(c->out, "PasswordPolicy", j);
	return C_OK;
}

static int delete_account_password_policy(struct call *c)
{
	int rc = store_password_policy_delete(c->tx, c->caller.account_id);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The account policy with name PasswordPolicy cannot be found.");
	return rc == C_OK ? C_OK : C_ERR;
}

/* Password policies are not on a resource: "*". */
static int resource_account(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

static const struct action actions[] = {
	{"iam", "CreateLoginProfile", true, iam_resource_user, create_login_profile, .after = after_password,
	 .prepare = prepare_password_hash},
	{"iam", "GetLoginProfile", false, iam_resource_user, get_login_profile},
	{"iam", "UpdateLoginProfile", true, iam_resource_user, update_login_profile, .after = after_password,
	 .prepare = prepare_password_hash},
	{"iam", "DeleteLoginProfile", true, iam_resource_user, delete_login_profile},
	{"iam", "UpdateAccountPasswordPolicy", true, resource_account, update_account_password_policy},
	{"iam", "GetAccountPasswordPolicy", false, resource_account, get_account_password_policy},
	{"iam", "DeleteAccountPasswordPolicy", true, resource_account, delete_account_password_policy},
	{"iam", "ChangePassword", true, resource_caller, change_password, .after = after_change_password,
	 .prepare = prepare_change_password},
};

ACTION_TABLE(iam_login_actions, actions);
