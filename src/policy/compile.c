/*
 * compile.c - policy JSON -> validated, immutable struct policy.
 *
 * Validation follows IAM's rules per kind of policy and answers with IAM's MalformedPolicyDocument messages.
 * Everything a compiled policy holds lives in one arena freed with the policy. Compiled policies are cached by
 * the SHA-256 of (kind, document): the same document compiles once however many principals it is attached to.
 */
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/utf8.h"

#define MAX_DOC_BYTES (128 * 1024) /* far above any kind's limit: bounds the work before validation */
#define MAX_LIST 1000               /* entries in one Action / Resource / Principal / condition value list */
#define MAX_STATEMENTS 1000
#define MAX_TOKENS 256

/* ---- arena ------------------------------------------------------------------------------------------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

struct arena {
	struct arena_block *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t align = sizeof(max_align_t);

	n = (n + align - 1) / align * align;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	b->used += n;
	return memset((char *)b->data + b->used - n, 0, n);
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
}

/* ---- compile state ------------------------------------------------------------------------------------------- */

struct cstate {
	struct arena arena;
	enum policy_kind kind;
	unsigned flags;
	bool v2012;
	char *error;
	bool failed;
	bool action_colons; /* an action of this statement has a second colon: refused once its resources are checked */
};

static int fail(struct cstate *cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct cstate *cs, const char *fmt, ...)
{
	va_list ap;

	if (!cs->failed) {
		va_start(ap, fmt);
		vsnprintf(cs->error, POLICY_ERROR_MAX, fmt, ap);
		va_end(ap);
		cs->failed = true;
	}
	return C_ERR;
}

static int oom(struct cstate *cs)
{
	return fail(cs, "Out of memory compiling the policy.");
}

/* ---- tokens ------------------------------------------------------------------------------------------------ */

/*
 * Splits s into tokens. wild: '*' and '?' are wildcards. vars: ${...} are variables (2012-10-17 only; ${*}, ${?}
 * and ${$} stand for the literal characters). Otherwise everything is literal text.
 */
static int tokenize(struct cstate *cs, const char *s, size_t len, bool wild, bool vars, struct pstr *out)
{
	struct ptok toks[MAX_TOKENS];
	size_t n = 0, i = 0, lit = 0;
	struct ptok *dst;

	memset(out, 0, sizeof(*out));
	out->raw = arena_strndup(&cs->arena, s, len);
	if (!out->raw)
		return oom(cs);
	out->rawlen = (uint32_t)len;
	s = out->raw;
#define FLUSH_LIT(end)                                                                                              \
	do {                                                                                                        \
		if ((end) > lit) {                                                                                  \
			if (n == MAX_TOKENS)                                                                        \
				return fail(cs, "Policy string is too complex.");                                    \
			toks[n++] = (struct ptok){.kind = TOK_LIT, .s = s + lit, .len = (uint32_t)((end) - lit)};   \
		}                                                                                                   \
	} while (0)
	while (i < len) {
		char c = s[i];
		if (wild && (c == '*' || c == '?')) {
			FLUSH_LIT(i);
			if (n == MAX_TOKENS)
				return fail(cs, "Policy string is too complex.");
			toks[n++] = (struct ptok){.kind = c == '*' ? TOK_STAR : TOK_QMARK};
			out->has_wild = true;
			lit = ++i;
			continue;
		}
		if (vars && c == '$' && i + 1 < len && s[i + 1] == '{') {
			const char *close = memchr(s + i + 2, '}', len - i - 2);
			size_t inner, end;
			const char *in;
			if (!close) {
				i++;
				continue;
			}
			FLUSH_LIT(i);
			in = s + i + 2;
			inner = (size_t)(close - in);
			end = (size_t)(close - s) + 1;
			if (n == MAX_TOKENS)
				return fail(cs, "Policy string is too complex.");
			if (inner == 1 && (in[0] == '*' || in[0] == '?' || in[0] == '$')) {
				toks[n++] = (struct ptok){.kind = TOK_LIT, .s = in, .len = 1};
			} else {
				/* ${key} or ${key, 'default'} */
				const char *comma = NULL;
				struct ptok t = {.kind = TOK_VAR};
				for (size_t k = 0; k + 1 < inner; k++)
					if (in[k] == ',' && in[k + 1] == ' ') {
						comma = in + k;
						break;
					}
				if (comma) {
					const char *d = comma + 2;
					size_t dl = (size_t)(in + inner - d);
					if (dl >= 2 && d[0] == '\'' && d[dl - 1] == '\'') {
						t.has_def = true;
						t.def = d + 1;
						t.deflen = (uint32_t)(dl - 2);
					}
				}
				{
					const char *k0 = in, *k1 = comma ? comma : in + inner;
					while (k0 < k1 && isspace((unsigned char)*k0))
						k0++;
					while (k1 > k0 && isspace((unsigned char)k1[-1]))
						k1--;
					t.s = k0;
					t.len = (uint32_t)(k1 - k0);
				}
				toks[n++] = t;
				out->has_var = true;
			}
			lit = i = end;
			continue;
		}
		i++;
	}
	FLUSH_LIT(len);
#undef FLUSH_LIT
	dst = arena_alloc(&cs->arena, (n ? n : 1) * sizeof(*dst));
	if (!dst)
		return oom(cs);
	memcpy(dst, toks, n * sizeof(*dst));
	out->t = dst;
	out->n = (uint16_t)n;
	return C_OK;
}

/* ---- string-or-list elements --------------------------------------------------------------------------------- */

typedef int (*item_fn)(struct cstate *cs, const char *s, size_t len, void *out);

/* Calls fn for each string of a string-or-list element; out advances by size per item. */
static int each_string(struct cstate *cs, json_t *v, const char *field, item_fn fn, void *arr, size_t size,
                       size_t *count)
{
	size_t i, n = 0;
	json_t *item;

	if (json_is_string(v)) {
		*count = 1;
		return fn(cs, json_string_value(v), json_string_length(v), arr);
	}
	if (!json_is_array(v))
		return fail(cs, "Syntax errors in policy.");
	if (json_array_size(v) > MAX_LIST)
		return fail(cs, "The %s element has too many entries.", field);
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return fail(cs, "Syntax errors in policy.");
		if (fn(cs, json_string_value(item), json_string_length(item), (char *)arr + n * size) != C_OK)
			return C_ERR;
		n++;
	}
	*count = n;
	return C_OK;
}

static size_t list_len(json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : 1;
}

/* ---- actions ----------------------------------------------------------------------------------------------- */

static int compile_action(struct cstate *cs, const char *s, size_t len, void *out)
{
	const char *colon = memchr(s, ':', len);

	if (!(len == 1 && s[0] == '*')) {
		if (!colon || colon == s)
			return fail(cs, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
		for (const char *p = s; p < colon; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '*' || *p == '?'))
				return fail(cs, "Vendor %.*s is not valid", (int)(colon - s), s);
		if (memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) /* "s3:List:Bucket" */
			cs->action_colons = true;
	}
	return tokenize(cs, s, len, true, false, out);
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

static bool all_stars(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '*')
			return false;
	return true;
}

/* How a short ARN (fewer than six ':'-separated parts) is treated, per kind of policy. */
enum short_arn { SHORT_EXPAND, SHORT_NOMATCH, SHORT_REJECT };

static enum short_arn short_arn_rule(enum policy_kind kind, bool wildcard)
{
	switch (kind) {
	case POLICY_RESOURCE:
	case POLICY_TRUST:
		return wildcard ? SHORT_EXPAND : SHORT_NOMATCH;
	case POLICY_SCP:
		return wildcard ? SHORT_EXPAND : SHORT_REJECT;
	case POLICY_RCP:
		return SHORT_REJECT;
	default:
		return SHORT_EXPAND;
	}
}

static int compile_resource(struct cstate *cs, const char *s, size_t len, void *out)
{
	struct pres *r = out;
	char buf[4096];
	const char *seg[6];
	size_t seglen[6], nseg = 0, start = 0;
	size_t blen = len;

	memset(r, 0, sizeof(*r));
	r->raw = arena_strndup(&cs->arena, s, len);
	if (!r->raw)
		return oom(cs);
	if (all_stars(s, len)) {
		r->all = true;
		return C_OK;
	}
	if (len < 4 || strncmp(s, "arn:", 4) != 0)
		return fail(cs, "Resource %.*s must be in ARN format or \"*\".", (int)(len > 200 ? 200 : len), s);
	if (len + 16 >= sizeof(buf))
		return fail(cs, "Resource %.64s... is too long.", s);
	memcpy(buf, s, len);
	/* Split at the first five colons; the sixth part keeps any further colons. */
	for (size_t i = 0; i <= blen && nseg < 6; i++) {
		if (i == blen || (buf[i] == ':' && nseg < 5)) {
			seg[nseg] = buf + start;
			seglen[nseg] = i - start;
			nseg++;
			start = i + 1;
		}
	}
	if (nseg < 6) {
		/* A short ARN: expanded with '*' parts, or never matching, or refused, depending on the kind. */
		const char *last = seg[nseg - 1];
		bool trailing = seglen[nseg - 1] && last[seglen[nseg - 1] - 1] == '*';
		bool any = memchr(s, '*', len) != NULL;
		enum short_arn rule = short_arn_rule(cs->kind, cs->kind == POLICY_SCP ? trailing : any);
		if (rule == SHORT_REJECT)
			return fail(cs, "Resource %.*s must be in ARN format or \"*\".", (int)(len > 200 ? 200 : len), s);
		if (rule == SHORT_NOMATCH) {
			r->nomatch = true;
			return C_OK;
		}
		while (nseg < 6) {
			seg[nseg] = "*";
			seglen[nseg] = 1;
			nseg++;
		}
		r->expanded = true;
	}
	for (int k = 0; k < 4; k++)
		if (tokenize(cs, seg[k + 1], seglen[k + 1], true, false, &r->seg[k]) != C_OK)
			return C_ERR;
	{
		/* The resource type prefix (up to the first '/' or ':') allows no wildcards: it is matched literally. S3
		 * bucket and object ARNs (no region, no account) have none, and it ends before any ${variable} (whose
		 * key has a ':' of its own: "arn:aws:sqs:us-east-2:*:${aws:username}-queue" has no prefix). */
		const char *res = seg[5];
		size_t rlen = seglen[5], split = 0, lim = rlen;
		bool s3 = seglen[2] == 2 && memcmp(seg[2], "s3", 2) == 0 && seglen[3] == 0 && seglen[4] == 0;
		if (cs->v2012) {
			const char *var = memmem(res, rlen, "${", 2);
			if (var)
				lim = (size_t)(var - res);
		}
		if (!s3) {
			const char *slash = memchr(res, '/', lim), *colon = memchr(res, ':', lim);
			const char *first = slash && colon ? (slash < colon ? slash : colon) : (slash ? slash : colon);
			if (first)
				split = (size_t)(first - res) + 1;
		}
		r->product = arena_strndup(&cs->arena, res, split);
		if (!r->product)
			return oom(cs);
		r->product_len = (uint32_t)split;
		return tokenize(cs, res + split, rlen - split, true, cs->v2012, &r->id);
	}
}

/* ---- principals ---------------------------------------------------------------------------------------------- */

static bool is_account_id(const char *s, size_t len)
{
	if (len != 12)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

struct prin_ctx {
	struct cstate *cs;
	uint8_t kind;
	const char *type; /* "AWS", "Service" ... for messages */
};

/* Checks an AWS principal ARN: arn:aws:iam::ACCT:(root|user/...|role/...|federated-user/...) or
 * arn:aws:sts::ACCT:(assumed-role/ROLE/SESSION|federated-user/NAME). */
static bool valid_aws_arn(const char *s, size_t len)
{
	char buf[2100];
	char *p[6];
	size_t n = 0;

	if (len >= sizeof(buf) || len < 4 || strncmp(s, "arn:", 4) != 0)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p[n++] = buf;
	for (char *c = buf; *c && n < 6; c++)
		if (*c == ':') {
			*c = '\0';
			p[n++] = c + 1;
		}
	if (n != 6 || !*p[1] || strchr(s, '*') || strchr(s, '?'))
		return false;
	if (!is_account_id(p[4], strlen(p[4])))
		return false;
	if (strcmp(p[2], "iam") == 0)
		return strcmp(p[5], "root") == 0 || (strncmp(p[5], "user/", 5) == 0 && p[5][5]) ||
		       (strncmp(p[5], "role/", 5) == 0 && p[5][5]) ||
		       (strncmp(p[5], "federated-user/", 15) == 0 && p[5][15]);
	if (strcmp(p[2], "sts") == 0) {
		const char *r = p[5];
		if (strncmp(r, "assumed-role/", 13) == 0) {
			const char *slash = strchr(r + 13, '/');
			return slash && slash > r + 13 && slash[1];
		}
		return strncmp(r, "federated-user/", 15) == 0 && r[15];
	}
	return false;
}

bool policy_is_principal_id(const char *s, size_t len)
{
	if (len != 21 || (memcmp(s, "AIDA", 4) != 0 && memcmp(s, "AROA", 4) != 0))
		return false;
	for (size_t i = 4; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static int compile_principal_value(struct cstate *cs, const char *s, size_t len, void *out, uint8_t kind,
                                   const char *type)
{
	struct pprin *p = out;

	p->raw = arena_strndup(&cs->arena, s, len);
	if (!p->raw)
		return oom(cs);
	if (len == 1 && s[0] == '*' && kind == PP_ARN) {
		p->kind = PP_STAR;
		p->value = p->raw;
		return C_OK;
	}
	p->kind = kind;
	if (kind == PP_ARN) {
		if (is_account_id(s, len)) {
			p->kind = PP_ACCOUNT;
			p->value = p->raw;
			return C_OK;
		}
		if (policy_is_principal_id(s, len)) {
			p->kind = PP_UNIQUE_ID;
			p->value = p->raw;
			return C_OK;
		}
		if (!valid_aws_arn(s, len))
			return fail(cs, "Invalid principal in policy: \"%s\":\"%.*s\"", type, (int)(len > 300 ? 300 : len), s);
		if (len > 5 && memcmp(s + len - 5, ":root", 5) == 0 && memmem(s, len, ":iam::", 6)) {
			/* arn:aws:iam::ACCT:root means the account, like the bare account id. */
			p->kind = PP_ACCOUNT;
			p->value = arena_strndup(&cs->arena, s + len - 17, 12);
			return p->value ? C_OK : oom(cs);
		}
		p->value = p->raw;
		return C_OK;
	}
	if (len == 0 || len > 1024)
		return fail(cs, "Invalid principal in policy: \"%s\":\"%.*s\"", type, (int)(len > 300 ? 300 : len), s);
	p->value = p->raw;
	return C_OK;
}

static int prin_aws(struct cstate *cs, const char *s, size_t len, void *out)
{
	return compile_principal_value(cs, s, len, out, PP_ARN, "AWS");
}
static int prin_service(struct cstate *cs, const char *s, size_t len, void *out)
{
	return compile_principal_value(cs, s, len, out, PP_SERVICE, "Service");
}
static int prin_federated(struct cstate *cs, const char *s, size_t len, void *out)
{
	return compile_principal_value(cs, s, len, out, PP_FEDERATED, "Federated");
}
static int prin_canonical(struct cstate *cs, const char *s, size_t len, void *out)
{
	return compile_principal_value(cs, s, len, out, PP_CANONICAL, "CanonicalUser");
}

static int compile_principals(struct cstate *cs, json_t *v, struct pstmt *st)
{
	const char *type;
	json_t *val;
	size_t total = 0, n = 0, count;
	struct pprin *arr;

	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "*") != 0)
			return fail(cs, "Invalid principal in policy: \"%.300s\"", json_string_value(v));
		arr = arena_alloc(&cs->arena, sizeof(*arr));
		if (!arr)
			return oom(cs);
		arr[0].kind = PP_STAR;
		arr[0].raw = arr[0].value = "*";
		st->principals = arr;
		st->nprincipals = 1;
		return C_OK;
	}
	if (!json_is_object(v) || json_object_size(v) == 0)
		return fail(cs, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in "
		                "policy has a statement with no principals!");
	json_object_foreach(v, type, val) total += list_len(val);
	if (total > MAX_LIST)
		return fail(cs, "The Principal element has too many entries.");
	arr = arena_alloc(&cs->arena, total * sizeof(*arr));
	if (!arr)
		return oom(cs);
	json_object_foreach(v, type, val)
	{
		item_fn fn;
		if (strcmp(type, "AWS") == 0)
			fn = prin_aws;
		else if (strcmp(type, "Service") == 0)
			fn = prin_service;
		else if (strcmp(type, "Federated") == 0)
			fn = prin_federated;
		else if (strcmp(type, "CanonicalUser") == 0)
			fn = prin_canonical;
		else
			return fail(cs, "Invalid principal in policy: \"%.64s\"", type);
		if (each_string(cs, val, "Principal", fn, arr + n, sizeof(*arr), &count) != C_OK)
			return C_ERR;
		n += count;
	}
	st->principals = arr;
	st->nprincipals = (uint16_t)n;
	return C_OK;
}

/* ---- conditions ------------------------------------------------------------------------------------------------ */

/* Splits "ForAnyValue:StringEqualsIfExists" into set qualifier, operator and IfExists. */
static int parse_operator(struct cstate *cs, const char *name, struct pcond *c)
{
	size_t len = strlen(name);
	const char *base = name;
	int op;

	c->set = SET_NONE;
	if (strncasecmp(base, "ForAllValues:", 13) == 0) {
		c->set = SET_FOR_ALL_VALUES;
		base += 13;
	} else if (strncasecmp(base, "ForAnyValue:", 12) == 0) {
		c->set = SET_FOR_ANY_VALUE;
		base += 12;
	}
	len = strlen(base);
	op = cond_op_parse(base, len);
	if (op < 0 && len > 8 && strcasecmp(base + len - 8, "IfExists") == 0) {
		op = cond_op_parse(base, len - 8);
		c->if_exists = true;
	}
	if (op < 0 || (op == OP_NULL && (c->if_exists || c->set != SET_NONE)))
		return fail(cs, "Invalid Condition type : %.128s", name);
	c->op = (uint8_t)op;
	c->op_raw = arena_strndup(&cs->arena, name, strlen(name));
	return c->op_raw ? C_OK : oom(cs);
}

/* Text of a condition value: JSON strings as they are; booleans and numbers as AWS reads them. */
static int value_text(json_t *v, char *buf, size_t cap, const char **s, size_t *len)
{
	if (json_is_string(v)) {
		*s = json_string_value(v);
		*len = json_string_length(v);
		return C_OK;
	}
	if (json_is_true(v) || json_is_false(v)) {
		*s = json_is_true(v) ? "true" : "false";
		*len = strlen(*s);
		return C_OK;
	}
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(buf, cap, "%.17g", json_real_value(v));
	} else {
		return C_ERR;
	}
	*s = buf;
	*len = strlen(buf);
	return C_OK;
}

static int compile_value(struct cstate *cs, struct pcond *c, json_t *v, struct pval *out)
{
	char tmp[64];
	const char *s;
	size_t len;
	int op = c->op;

	if (value_text(v, tmp, sizeof(tmp), &s, &len) != C_OK)
		return fail(cs, "Syntax errors in policy.");
	if (tokenize(cs, s, len, cond_op_allows_wildcards(op), cs->v2012 && cond_op_allows_variables(op), &out->s) !=
	    C_OK)
		return C_ERR;
	switch (op) {
	case OP_NUMERIC_EQUALS:
	case OP_NUMERIC_NOT_EQUALS:
	case OP_NUMERIC_LESS_THAN:
	case OP_NUMERIC_LESS_THAN_EQUALS:
	case OP_NUMERIC_GREATER_THAN:
	case OP_NUMERIC_GREATER_THAN_EQUALS:
		out->ok = parse_number(s, len, &out->num) == C_OK;
		break;
	case OP_DATE_EQUALS:
	case OP_DATE_NOT_EQUALS:
	case OP_DATE_LESS_THAN:
	case OP_DATE_LESS_THAN_EQUALS:
	case OP_DATE_GREATER_THAN:
	case OP_DATE_GREATER_THAN_EQUALS:
		out->ok = parse_date_ms(s, len, &out->date_ms) == C_OK;
		break;
	case OP_IP_ADDRESS:
	case OP_NOT_IP_ADDRESS: {
		char ip[128];
		out->ok = len < sizeof(ip);
		if (out->ok) {
			memcpy(ip, s, len);
			ip[len] = '\0';
			out->ok = parse_cidr(ip, &out->net) == C_OK;
		}
		break;
	}
	default:
		out->ok = true;
		break;
	}
	if (!out->ok && !(cs->flags & POLICY_LENIENT_VALUES)) {
		static const char *const what[] = {"a number", "a date (ISO 8601 or epoch seconds)", "an IP address or CIDR"};
		int kind = op <= OP_NUMERIC_GREATER_THAN_EQUALS ? 0 : op <= OP_DATE_GREATER_THAN_EQUALS ? 1 : 2;
		return fail(cs, "The condition value \"%.*s\" of %s is not %s.", (int)(len > 128 ? 128 : len), s,
		            c->op_raw, what[kind]);
	}
	return C_OK;
}

static int compile_conditions(struct cstate *cs, json_t *v, struct pstmt *st)
{
	const char *opname, *key;
	json_t *block, *vals;
	size_t total = 0, n = 0;
	struct pcond *arr;

	if (!json_is_object(v))
		return fail(cs, "Syntax errors in policy.");
	json_object_foreach(v, opname, block)
	{
		if (!json_is_object(block))
			return fail(cs, "Syntax errors in policy.");
		total += json_object_size(block);
	}
	if (total > MAX_LIST)
		return fail(cs, "The Condition element has too many entries.");
	arr = arena_alloc(&cs->arena, (total ? total : 1) * sizeof(*arr));
	if (!arr)
		return oom(cs);
	json_object_foreach(v, opname, block)
	{
		json_object_foreach(block, key, vals)
		{
			struct pcond *c = &arr[n++];
			size_t nv = list_len(vals), klen = strlen(key), i;
			struct pval *pv;
			char *lk;
			json_t *item;
			if (parse_operator(cs, opname, c) != C_OK)
				return C_ERR;
			if (klen == 0 || klen > 256)
				return fail(cs, "Syntax errors in policy.");
			lk = arena_strndup(&cs->arena, key, klen);
			if (!lk)
				return oom(cs);
			for (i = 0; i < klen; i++)
				lk[i] = (char)tolower((unsigned char)lk[i]);
			c->key = lk;
			c->keylen = (uint32_t)klen;
			if (!(c->key_raw = arena_strndup(&cs->arena, key, klen)))
				return oom(cs);
			if (nv > MAX_LIST)
				return fail(cs, "The Condition element has too many entries.");
			pv = arena_alloc(&cs->arena, (nv ? nv : 1) * sizeof(*pv));
			if (!pv)
				return oom(cs);
			if (json_is_array(vals)) {
				json_array_foreach(vals, i, item)
				{
					if (compile_value(cs, c, item, &pv[i]) != C_OK)
						return C_ERR;
				}
			} else if (compile_value(cs, c, vals, &pv[0]) != C_OK) {
				return C_ERR;
			}
			c->values = pv;
			c->nvalues = (uint16_t)nv;
		}
	}
	st->conds = arr;
	st->nconds = (uint16_t)n;
	return C_OK;
}

/* ---- statements ------------------------------------------------------------------------------------------------ */

static bool is_identity_like(enum policy_kind k)
{
	return k == POLICY_IDENTITY || k == POLICY_BOUNDARY || k == POLICY_SESSION || k == POLICY_SCP;
}

static int compile_statement(struct cstate *cs, json_t *s, struct pstmt *st)
{
	const char *k;
	json_t *v, *effect, *action, *notaction, *resource, *notresource, *principal, *notprincipal, *cond, *sid;
	size_t n;

	if (!json_is_object(s))
		return fail(cs, "Syntax errors in policy.");
	json_object_foreach(s, k, v)
	{
		if (strcmp(k, "Sid") && strcmp(k, "Effect") && strcmp(k, "Action") && strcmp(k, "NotAction") &&
		    strcmp(k, "Resource") && strcmp(k, "NotResource") && strcmp(k, "Principal") &&
		    strcmp(k, "NotPrincipal") && strcmp(k, "Condition"))
			return fail(cs, "Syntax errors in policy.");
	}
	sid = json_object_get(s, "Sid");
	effect = json_object_get(s, "Effect");
	action = json_object_get(s, "Action");
	notaction = json_object_get(s, "NotAction");
	resource = json_object_get(s, "Resource");
	notresource = json_object_get(s, "NotResource");
	principal = json_object_get(s, "Principal");
	notprincipal = json_object_get(s, "NotPrincipal");
	cond = json_object_get(s, "Condition");

	if (sid) {
		if (!json_is_string(sid))
			return fail(cs, "Syntax errors in policy.");
		st->sid = arena_strndup(&cs->arena, json_string_value(sid), json_string_length(sid));
		if (!st->sid)
			return oom(cs);
	}
	if (!effect)
		return fail(cs, "Missing required field Effect");
	if (!json_is_string(effect) ||
	    (strcmp(json_string_value(effect), "Allow") != 0 && strcmp(json_string_value(effect), "Deny") != 0))
		return fail(cs, "Invalid effect: %.64s", json_is_string(effect) ? json_string_value(effect) : "");
	st->allow = strcmp(json_string_value(effect), "Allow") == 0;

	/* Principal: forbidden in identity-like policies, required in trust and resource policies. */
	if (principal && notprincipal)
		return fail(cs, "Syntax errors in policy.");
	if (principal || notprincipal) {
		if (is_identity_like(cs->kind))
			return fail(cs, "Policy document should not specify a principal.");
		if (notprincipal && cs->kind == POLICY_TRUST)
			return fail(cs, "Has prohibited field NotPrincipal");
		st->prin_mode = principal ? 1 : 2;
		if (compile_principals(cs, principal ? principal : notprincipal, st) != C_OK)
			return C_ERR;
	} else if (cs->kind == POLICY_TRUST || cs->kind == POLICY_RESOURCE || cs->kind == POLICY_RCP) {
		return fail(cs, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in "
		                "policy has a statement with no principals!");
	}

	/* Action / NotAction: exactly one. */
	if ((action && notaction) || (!action && !notaction))
		return fail(cs, action ? "Syntax errors in policy." : "Policy statement must contain actions.");
	st->not_action = notaction != NULL;
	n = list_len(action ? action : notaction);
	if (n == 0)
		return fail(cs, "Policy statement must contain actions.");
	st->actions = arena_alloc(&cs->arena, n * sizeof(struct pstr));
	if (!st->actions)
		return oom(cs);
	if (each_string(cs, action ? action : notaction, "Action", compile_action, (void *)st->actions,
	                sizeof(struct pstr), &n) != C_OK)
		return C_ERR;
	st->nactions = (uint16_t)n;

	/* Resource / NotResource: forbidden in trust policies, required elsewhere. */
	if (resource && notresource)
		return fail(cs, "Syntax errors in policy.");
	if (cs->kind == POLICY_TRUST) {
		if (resource)
			return fail(cs, "Has prohibited field Resource");
		if (notresource)
			return fail(cs, "Has prohibited field NotResource");
	} else if (!resource && !notresource) {
		return fail(cs, "Policy statement must contain resources.");
	}
	if (resource || notresource) {
		st->res_mode = resource ? 1 : 2;
		n = list_len(resource ? resource : notresource);
		if (n == 0)
			return fail(cs, "Policy statement must contain resources.");
		st->resources = arena_alloc(&cs->arena, n * sizeof(struct pres));
		if (!st->resources)
			return oom(cs);
		if (each_string(cs, resource ? resource : notresource, "Resource", compile_resource,
		                (void *)st->resources, sizeof(struct pres), &n) != C_OK)
			return C_ERR;
		st->nresources = (uint16_t)n;
	}
	/* AWS reports a resource that is not an ARN before an action with two colons */
	if (cs->action_colons)
		return fail(cs, "Actions/Condition can contain only one colon.");
	if (cond && compile_conditions(cs, cond, st) != C_OK)
		return C_ERR;
	return C_OK;
}

static int compile_document(struct cstate *cs, json_t *doc, struct policy *p)
{
	const char *k;
	json_t *v, *version, *stmts, *item;
	size_t i, n;
	struct pstmt *arr;

	if (!json_is_object(doc))
		return fail(cs, "Syntax errors in policy.");
	json_object_foreach(doc, k, v)
	{
		if (strcmp(k, "Version") && strcmp(k, "Id") && strcmp(k, "Statement"))
			return fail(cs, "Syntax errors in policy.");
	}
	if (json_object_get(doc, "Id") && !json_is_string(json_object_get(doc, "Id")))
		return fail(cs, "Syntax errors in policy."); /* an Id is a string, as AWS checks */
	version = json_object_get(doc, "Version");
	if (version) {
		if (!json_is_string(version) || (strcmp(json_string_value(version), "2012-10-17") != 0 &&
		                                 strcmp(json_string_value(version), "2008-10-17") != 0))
			return fail(cs, "The policy failed legacy parsing");
		cs->v2012 = strcmp(json_string_value(version), "2012-10-17") == 0;
	}
	p->version_2012 = cs->v2012;
	stmts = json_object_get(doc, "Statement");
	if (!stmts || (!json_is_object(stmts) && !json_is_array(stmts)))
		return fail(cs, "Syntax errors in policy.");
	n = json_is_array(stmts) ? json_array_size(stmts) : 1;
	if (n == 0)
		return fail(cs, "Syntax errors in policy.");
	if (n > MAX_STATEMENTS)
		return fail(cs, "The policy has too many statements.");
	arr = arena_alloc(&cs->arena, n * sizeof(*arr));
	if (!arr)
		return oom(cs);
	if (json_is_object(stmts)) {
		if (compile_statement(cs, stmts, &arr[0]) != C_OK)
			return C_ERR;
	} else {
		json_array_foreach(stmts, i, item)
		{
			if (compile_statement(cs, item, &arr[i]) != C_OK)
				return C_ERR;
		}
	}
	p->stmts = arr;
	p->nstmts = n;
	return C_OK;
}

/* ---- the cache of compiled policies ------------------------------------------------------------------------- */

/*
 * Compiled policies are shared by document hash. The cache holds a reference of its own to each entry, so a policy
 * stays compiled between the requests that use it; the least recently used entries beyond CACHE_MAX_BYTES (their
 * arenas' size) lose the cache's reference and are freed by their last holder.
 */
#define CACHE_BUCKETS 1024
#define CACHE_MAX_BYTES ((size_t)32 << 20)

/* Lookups (the common case: every request finds its policies compiled) share the lock; inserting and evicting take
 * it alone. A hit does not reorder the list (that would need the lock alone): it marks the entry recent, and
 * eviction gives a recent entry at the cold end a second chance (CLOCK) instead. */
static pthread_rwlock_t cache_mu = PTHREAD_RWLOCK_INITIALIZER;
static struct policy *cache[CACHE_BUCKETS];
static struct policy *lru_head, *lru_tail; /* most recently used first */
static size_t cache_bytes, cache_entries;
static _Atomic uint64_t cache_hits, cache_misses; /* lookups by policy_compile, for the metrics */

static struct policy **bucket_of(const uint8_t hash[32])
{
	return &cache[hash[0] | (hash[1] & 3) << 8];
}

static void hash_doc(const char *doc, size_t len, enum policy_kind kind, unsigned flags, uint8_t out[32])
{
	uint8_t inner[32];
	char buf[64];

	crypto_sha256(doc, len, inner);
	memcpy(buf, inner, 32);
	buf[32] = (char)kind;
	buf[33] = (char)flags;
	crypto_sha256(buf, 34, out);
}

static void lru_unlink(struct policy *p)
{
	*(p->lru_prev ? &p->lru_prev->lru_next : &lru_head) = p->lru_next;
	*(p->lru_next ? &p->lru_next->lru_prev : &lru_tail) = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
}

static void lru_push_front(struct policy *p)
{
	p->lru_prev = NULL;
	p->lru_next = lru_head;
	*(lru_head ? &lru_head->lru_prev : &lru_tail) = p;
	lru_head = p;
}

/* Under cache_mu (shared or alone): the entry, marked recent, with a reference for the caller; or NULL. */
static struct policy *cache_take(const uint8_t hash[32])
{
	struct policy *p;

	for (p = *bucket_of(hash); p; p = p->cache_next)
		if (memcmp(p->hash, hash, 32) == 0) {
			atomic_fetch_add(&p->refs, 1);
			atomic_store(&p->recent, true);
			return p;
		}
	return NULL;
}

/* Under cache_mu: takes p out of the cache and returns it if the cache held its last reference (the caller frees
 * it once the lock is dropped). */
static struct policy *cache_drop(struct policy *p)
{
	struct policy **pp;

	for (pp = bucket_of(p->hash); *pp; pp = &(*pp)->cache_next)
		if (*pp == p) {
			*pp = p->cache_next;
			break;
		}
	lru_unlink(p);
	cache_bytes -= p->bytes;
	cache_entries--;
	p->cache_next = NULL;
	return atomic_fetch_sub(&p->refs, 1) == 1 ? p : NULL;
}

struct policy *policy_ref(struct policy *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

static void policy_free(struct policy *p)
{
	struct arena a = {.head = p->arena};

	arena_free(&a);
	free(p);
}

void policy_release(struct policy *p)
{
	/* While p is cached the cache's own reference keeps it: the last release is always outside the cache. */
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		policy_free(p);
}

/* Drops entries from the cold end until at most max_bytes are kept; with second_chance, an entry used since it
 * last came round moves to the front instead (each move clears the mark, so this ends). */
static void cache_trim(size_t max_bytes, bool second_chance)
{
	struct policy *dead = NULL, *p;

	pthread_rwlock_wrlock(&cache_mu);
	while (lru_tail && cache_bytes > max_bytes) {
		if (second_chance && atomic_exchange(&lru_tail->recent, false)) {
			p = lru_tail;
			lru_unlink(p);
			lru_push_front(p);
			continue;
		}
		p = cache_drop(lru_tail);
		if (p) {
			p->cache_next = dead; /* reused as the list of policies to free */
			dead = p;
		}
	}
	pthread_rwlock_unlock(&cache_mu);
	while ((p = dead)) {
		dead = p->cache_next;
		policy_free(p);
	}
}

void policy_cache_clear(void)
{
	cache_trim(0, false);
}

void policy_cache_counts(uint64_t *hits, uint64_t *misses)
{
	*hits = atomic_load_explicit(&cache_hits, memory_order_relaxed);
	*misses = atomic_load_explicit(&cache_misses, memory_order_relaxed);
}

void policy_cache_stats(size_t *entries, size_t *bytes)
{
	pthread_rwlock_rdlock(&cache_mu);
	*entries = cache_entries;
	*bytes = cache_bytes;
	pthread_rwlock_unlock(&cache_mu);
}

size_t policy_statement_count(const struct policy *p) { return p->nstmts; }

int policy_compile(const char *doc, size_t len, enum policy_kind kind, struct policy **out,
                   char error[POLICY_ERROR_MAX])
{
	return policy_compile_flags(doc, len, kind, 0, out, error);
}

int policy_compile_flags(const char *doc, size_t len, enum policy_kind kind, unsigned flags, struct policy **out,
                         char error[POLICY_ERROR_MAX])
{
	struct cstate cs = {.kind = kind, .flags = flags, .error = error};
	json_error_t jerr;
	json_t *root;
	struct policy *p, *existing;
	uint8_t hash[32];

	error[0] = '\0';
	*out = NULL;
	if (len > MAX_DOC_BYTES)
		return fail(&cs, "Cannot exceed quota for PolicySize: %d", MAX_DOC_BYTES);
	if (!utf8_valid(doc, len))
		return fail(&cs, "Syntax errors in policy.");
	hash_doc(doc, len, kind, flags, hash);
	pthread_rwlock_rdlock(&cache_mu);
	existing = cache_take(hash);
	pthread_rwlock_unlock(&cache_mu);
	atomic_fetch_add_explicit(existing ? &cache_hits : &cache_misses, 1, memory_order_relaxed);
	if (existing) {
		*out = existing;
		return C_OK;
	}

	root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(&cs, "Syntax errors in policy.");
	p = calloc(1, sizeof(*p));
	if (!p) {
		json_decref(root);
		return oom(&cs);
	}
	p->kind = kind;
	if (compile_document(&cs, root, p) != C_OK) {
		json_decref(root);
		arena_free(&cs.arena);
		free(p);
		return C_ERR;
	}
	json_decref(root);
	p->arena = cs.arena.head;
	p->bytes = sizeof(*p);
	for (struct arena_block *b = cs.arena.head; b; b = b->next)
		p->bytes += sizeof(*b) + b->cap;
	memcpy(p->hash, hash, 32);
	atomic_init(&p->refs, 2); /* the caller's and the cache's */
	pthread_rwlock_wrlock(&cache_mu);
	existing = cache_take(hash);
	if (existing) { /* another thread compiled it meanwhile */
		pthread_rwlock_unlock(&cache_mu);
		policy_free(p);
		*out = existing;
		return C_OK;
	}
	p->cache_next = *bucket_of(hash);
	*bucket_of(hash) = p;
	lru_push_front(p);
	cache_bytes += p->bytes;
	cache_entries++;
	pthread_rwlock_unlock(&cache_mu);
	cache_trim(CACHE_MAX_BYTES, true);
	*out = p;
	return C_OK;
}

/* ---- kinds ----------------------------------------------------------------------------------------------------- */

static const char *const kind_names[] = {
	[POLICY_IDENTITY] = "identity", [POLICY_TRUST] = "trust", [POLICY_RESOURCE] = "resource",
	[POLICY_BOUNDARY] = "boundary", [POLICY_SESSION] = "session", [POLICY_SCP] = "scp",
	[POLICY_RCP] = "rcp",
};

int policy_kind_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_names); i++)
		if (strcmp(kind_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *policy_kind_name(enum policy_kind kind) { return kind_names[kind]; }
