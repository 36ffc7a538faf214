/*
 * tokens.c - sealing and opening session tokens. The claims travel as compact JSON inside AES-256-GCM.
 */
#include "server/tokens.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/crypto.h"

#define TOKEN_PREFIX "RGT1."

void claims_clear(struct session_claims *c)
{
	free(c->session_policy);
	c->session_policy = NULL;
	explicit_bzero(c->secret, sizeof(c->secret));
	c->ntags = c->tags_len = 0;
}

int claims_add_tag(struct session_claims *c, const char *key, const char *value, bool transitive)
{
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;

	if (c->ntags == SESSION_TAGS_MAX || c->tags_len + kl + vl + 2 > sizeof(c->tags))
		return C_ERR;
	memcpy(c->tags + c->tags_len, key, kl);
	memcpy(c->tags + c->tags_len + kl, value, vl);
	c->tags[c->tags_len + kl + vl] = transitive ? '1' : '0';
	c->tags[c->tags_len + kl + vl + 1] = '\0';
	c->tags_len += kl + vl + 2;
	c->ntags++;
	return C_OK;
}

int tags_next(const char *buf, size_t len, size_t *off, const char **key, const char **value, bool *transitive)
{
	if (*off >= len)
		return C_ERR;
	*key = buf + *off;
	*value = *key + strlen(*key) + 1;
	*transitive = (*value)[strlen(*value) + 1] == '1';
	*off += strlen(*key) + strlen(*value) + 4;
	return C_OK;
}

int claims_next_tag(const struct session_claims *c, size_t *off, const char **key, const char **value,
                    bool *transitive)
{
	return tags_next(c->tags, c->tags_len, off, key, value, transitive);
}

static void copy(char *dst, size_t cap, json_t *v)
{
	snprintf(dst, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int token_issue(struct keyring *k, struct db_tx *tx, const struct session_claims *c, char *out, size_t cap)
{
	char kid[KEY_ID_LEN + 1], aad[32];
	uint8_t key[AEAD_KEY_LEN], *sealed = NULL;
	json_t *j, *tags;
	char *plain = NULL, *b64 = NULL;
	size_t plen;
	int rc = C_ERR;

	if (keyring_issuing(k, tx, kid, key) != C_OK)
		return C_ERR;
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:b}", "k",
	              c->kind == 'R' ? "R" : "U", "a", c->account_id, "ak", c->access_key_id, "sk", c->secret, "ri",
	              c->role_id, "rn", c->role_name, "rp", c->role_path, "sn", c->session_name, "ui", c->user_id, "src",
	              c->source_arn, "iat", (json_int_t)c->issued_s, "exp", (json_int_t)c->expires_s, "mfa",
	              (json_int_t)c->mfa_s, "si", c->source_identity, "ch", c->chained);
	if (!j)
		goto done;
	if (c->session_policy)
		json_object_set_new(j, "sp", json_string(c->session_policy));
	if (c->ntags) {
		size_t off = 0;
		const char *tk, *tv;
		bool tt;
		tags = json_array();
		while (claims_next_tag(c, &off, &tk, &tv, &tt) == C_OK)
			json_array_append_new(tags, json_pack("[s, s, b]", tk, tv, tt));
		json_object_set_new(j, "t", tags);
	}
	plain = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!plain)
		goto done;
	plen = strlen(plain);
	sealed = malloc(plen + AEAD_OVERHEAD);
	snprintf(aad, sizeof(aad), TOKEN_PREFIX "%s", kid);
	if (!sealed || aead_seal(key, aad, strlen(aad), plain, plen, sealed) != C_OK)
		goto done;
	b64 = base64_encode(sealed, plen + AEAD_OVERHEAD);
	if (!b64)
		goto done;
	if ((size_t)snprintf(out, cap, TOKEN_PREFIX "%s.%s", kid, b64) >= cap)
		goto done;
	rc = C_OK;
done:
	explicit_bzero(key, sizeof(key));
	if (plain) {
		explicit_bzero(plain, strlen(plain));
		free(plain);
	}
	free(sealed);
	free(b64);
	return rc;
}

int token_open(struct keyring *k, const char *token, struct session_claims *out)
{
	const char *p, *dot;
	char kid[KEY_ID_LEN + 1], aad[32];
	uint8_t key[AEAD_KEY_LEN], *raw = NULL;
	char *plain = NULL;
	size_t rawlen = 0;
	json_t *j = NULL, *tags, *t;
	int rc = C_ERR;

	memset(out, 0, offsetof(struct session_claims, tags));
	out->tags_len = out->ntags = 0;
	if (strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return C_ERR;
	p = token + strlen(TOKEN_PREFIX);
	dot = strchr(p, '.');
	if (!dot || dot - p != KEY_ID_LEN)
		return C_ERR;
	memcpy(kid, p, KEY_ID_LEN);
	kid[KEY_ID_LEN] = '\0';
	if (keyring_find(k, kid, key) != C_OK)
		return C_ERR;
	raw = base64_decode(dot + 1, strlen(dot + 1), &rawlen);
	if (!raw || rawlen < AEAD_OVERHEAD)
		goto done;
	plain = malloc(rawlen - AEAD_OVERHEAD + 1);
	snprintf(aad, sizeof(aad), TOKEN_PREFIX "%s", kid);
	if (!plain || aead_open(key, aad, strlen(aad), raw, rawlen, (uint8_t *)plain) != C_OK)
		goto done;
	plain[rawlen - AEAD_OVERHEAD] = '\0';
	j = json_loads(plain, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j))
		goto done;
	out->kind = json_is_string(json_object_get(j, "k")) && strcmp(json_string_value(json_object_get(j, "k")), "R") == 0
	                ? 'R'
	                : 'U';
	copy(out->account_id, sizeof(out->account_id), json_object_get(j, "a"));
	copy(out->access_key_id, sizeof(out->access_key_id), json_object_get(j, "ak"));
	copy(out->secret, sizeof(out->secret), json_object_get(j, "sk"));
	copy(out->role_id, sizeof(out->role_id), json_object_get(j, "ri"));
	copy(out->role_name, sizeof(out->role_name), json_object_get(j, "rn"));
	copy(out->role_path, sizeof(out->role_path), json_object_get(j, "rp"));
	copy(out->session_name, sizeof(out->session_name), json_object_get(j, "sn"));
	copy(out->user_id, sizeof(out->user_id), json_object_get(j, "ui"));
	copy(out->source_arn, sizeof(out->source_arn), json_object_get(j, "src"));
	copy(out->source_identity, sizeof(out->source_identity), json_object_get(j, "si"));
	out->issued_s = json_integer_value(json_object_get(j, "iat"));
	out->expires_s = json_integer_value(json_object_get(j, "exp"));
	out->mfa_s = json_integer_value(json_object_get(j, "mfa"));
	out->chained = json_is_true(json_object_get(j, "ch"));
	if (json_is_string(json_object_get(j, "sp")) && !(out->session_policy = strdup(json_string_value(json_object_get(j, "sp")))))
		goto done;
	tags = json_object_get(j, "t");
	if (json_is_array(tags)) {
		size_t i;
		json_array_foreach(tags, i, t)
		{
			const char *tk = json_string_value(json_array_get(t, 0)), *tv = json_string_value(json_array_get(t, 1));
			if (!tk || !tv || claims_add_tag(out, tk, tv, json_is_true(json_array_get(t, 2))) != C_OK)
				goto done;
		}
	}
	rc = out->access_key_id[0] && out->secret[0] && out->expires_s ? C_OK : C_ERR;
done:
	explicit_bzero(key, sizeof(key));
	if (plain) {
		explicit_bzero(plain, rawlen > AEAD_OVERHEAD ? rawlen - AEAD_OVERHEAD : 0);
		free(plain);
	}
	free(raw);
	json_decref(j);
	if (rc != C_OK)
		claims_clear(out);
	return rc;
}
