/*
 * condition.c - the Condition element: every operator AWS documents, ...IfExists, ForAllValues / ForAnyValue.
 *
 * The rules (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html and
 * reference_policies_condition-single-vs-multi-valued-context-keys.html):
 *   - every operator block and every key in it must hold (AND); a key holds when any of its values matches (OR),
 *     and for a negated operator (StringNotEquals ...) when the request value differs from all of them;
 *   - a missing key: false for a positive operator, true for a negated one and for ...IfExists; Null tests presence;
 *   - ForAnyValue: some request value matches (false when the key is missing); ForAllValues: every request value
 *     matches (true when the key is missing);
 *   - a single-valued operator on a multi-valued key does not match;
 *   - condition key names are compared without regard to case.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy/internal.h"
#include "util/common.h"
#include "util/crypto.h"

static const struct {
	const char *name;
	bool negated, vars, wild;
} ops[OP_COUNT] = {
	[OP_STRING_EQUALS] = {"StringEquals", false, true, false},
	[OP_STRING_NOT_EQUALS] = {"StringNotEquals", true, true, false},
	[OP_STRING_EQUALS_IGNORE_CASE] = {"StringEqualsIgnoreCase", false, true, false},
	[OP_STRING_NOT_EQUALS_IGNORE_CASE] = {"StringNotEqualsIgnoreCase", true, true, false},
	[OP_STRING_LIKE] = {"StringLike", false, true, true},
	[OP_STRING_NOT_LIKE] = {"StringNotLike", true, true, true},
	[OP_NUMERIC_EQUALS] = {"NumericEquals", false, false, false},
	[OP_NUMERIC_NOT_EQUALS] = {"NumericNotEquals", true, false, false},
	[OP_NUMERIC_LESS_THAN] = {"NumericLessThan", false, false, false},
	[OP_NUMERIC_LESS_THAN_EQUALS] = {"NumericLessThanEquals", false, false, false},
	[OP_NUMERIC_GREATER_THAN] = {"NumericGreaterThan", false, false, false},
	[OP_NUMERIC_GREATER_THAN_EQUALS] = {"NumericGreaterThanEquals", false, false, false},
	[OP_DATE_EQUALS] = {"DateEquals", false, false, false},
	[OP_DATE_NOT_EQUALS] = {"DateNotEquals", true, false, false},
	[OP_DATE_LESS_THAN] = {"DateLessThan", false, false, false},
	[OP_DATE_LESS_THAN_EQUALS] = {"DateLessThanEquals", false, false, false},
	[OP_DATE_GREATER_THAN] = {"DateGreaterThan", false, false, false},
	[OP_DATE_GREATER_THAN_EQUALS] = {"DateGreaterThanEquals", false, false, false},
	[OP_BOOL] = {"Bool", false, true, false},
	[OP_BINARY_EQUALS] = {"BinaryEquals", false, false, false},
	[OP_IP_ADDRESS] = {"IpAddress", false, false, false},
	[OP_NOT_IP_ADDRESS] = {"NotIpAddress", true, false, false},
	[OP_ARN_EQUALS] = {"ArnEquals", false, true, true},
	[OP_ARN_LIKE] = {"ArnLike", false, true, true},
	[OP_ARN_NOT_EQUALS] = {"ArnNotEquals", true, true, true},
	[OP_ARN_NOT_LIKE] = {"ArnNotLike", true, true, true},
	[OP_NULL] = {"Null", false, false, false},
};

int cond_op_parse(const char *name, size_t len)
{
	/* Operator names are matched without regard to case, as IAM does. */
	for (int i = 0; i < OP_COUNT; i++)
		if (strlen(ops[i].name) == len && strncasecmp(ops[i].name, name, len) == 0)
			return i;
	return -1;
}

bool cond_op_allows_variables(int op) { return ops[op].vars; }
bool cond_op_allows_wildcards(int op) { return ops[op].wild; }

/* ---- value parsing (no allocation: request values are parsed at evaluation time) ------------------------------- */

int parse_number(const char *s, size_t len, double *out)
{
	char buf[64];
	char *end;
	size_t i = 0;
	bool digits = false;

	if (len == 0 || len >= sizeof(buf))
		return C_ERR;
	if (s[i] == '-' || s[i] == '+')
		i++;
	for (; i < len && isdigit((unsigned char)s[i]); i++)
		digits = true;
	if (i < len && s[i] == '.') {
		i++;
		for (; i < len && isdigit((unsigned char)s[i]); i++)
			digits = true;
	}
	if (!digits || i != len)
		return C_ERR;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0' && isfinite(*out) ? C_OK : C_ERR;
}

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Dates: epoch seconds ("1700000000"), or ISO 8601: YYYY-MM-DD[THH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]] (UTC when no zone
 * is given).
 */
int parse_date_ms(const char *s, size_t len, int64_t *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, se = 0;
	int64_t ms = 0, off = 0;
	size_t i;
	bool all_digits = len > 0;

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && !(i == 0 && s[i] == '-'))
			all_digits = false;
	if (all_digits && len <= 15 && !(len == 1 && s[0] == '-')) {
		char buf[24];
		memcpy(buf, s, len);
		buf[len] = '\0';
		*out = strtoll(buf, NULL, 10) * 1000;
		return C_OK;
	}
	if (len < 10 || s[4] != '-' || s[7] != '-')
		return C_ERR;
	y = num(s, 4);
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return C_ERR;
	i = 10;
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't')
			return C_ERR;
		if (len - i < 6 || s[i + 3] != ':')
			return C_ERR;
		h = num(s + i + 1, 2);
		mi = num(s + i + 4, 2);
		i += 6;
		if (i < len && s[i] == ':') {
			if (len - i < 3)
				return C_ERR;
			se = num(s + i + 1, 2);
			i += 3;
			if (i < len && s[i] == '.') {
				int64_t scale = 100;
				i++;
				if (i >= len || !isdigit((unsigned char)s[i]))
					return C_ERR;
				for (; i < len && isdigit((unsigned char)s[i]); i++) {
					ms += (s[i] - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
			return C_ERR;
		if (i < len) {
			if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
				i++;
			} else if ((s[i] == '+' || s[i] == '-') && len - i == 6 && s[i + 3] == ':') {
				int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
				if (oh < 0 || oh > 23 || om < 0 || om > 59)
					return C_ERR;
				off = (int64_t)(oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
				i = len;
			} else {
				return C_ERR;
			}
		}
	}
	*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) - off) * 1000 + ms;
	return C_OK;
}

bool policy_context_value_valid(const char *type, const char *value)
{
	size_t n = strlen(type), vlen = strlen(value), blen;
	struct cidr ip;
	int64_t t;
	double d;
	uint8_t *bin;

	if (n > 4 && strcmp(type + n - 4, "List") == 0)
		n -= 4;
	if (n == 6 && strncmp(type, "string", n) == 0)
		return true;
	if (n == 7 && strncmp(type, "numeric", n) == 0)
		return parse_number(value, vlen, &d) == C_OK;
	if (n == 7 && strncmp(type, "boolean", n) == 0)
		return strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0;
	if (n == 2 && strncmp(type, "ip", n) == 0)
		return !strchr(value, '/') && parse_cidr(value, &ip) == C_OK;
	if (n == 4 && strncmp(type, "date", n) == 0)
		return parse_date_ms(value, vlen, &t) == C_OK;
	if (n == 6 && strncmp(type, "binary", n) == 0) {
		if (!vlen || !(bin = base64_decode(value, vlen, &blen)))
			return false;
		free(bin);
		return true;
	}
	return false;
}

int parse_cidr(const char *s, struct cidr *out)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
	long bits = -1;

	memset(out, 0, sizeof(*out));
	if (iplen == 0 || iplen >= sizeof(ip))
		return C_ERR;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET, ip, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, ip, out->addr) == 1)
		out->family = 6;
	else
		return C_ERR;
	if (slash) {
		char *end;
		if (!isdigit((unsigned char)slash[1]))
			return C_ERR;
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > (out->family == 4 ? 32 : 128))
			return C_ERR;
	}
	out->bits = (uint8_t)(bits < 0 ? (out->family == 4 ? 32 : 128) : bits);
	return C_OK;
}

static bool in_network(const struct cidr *net, const struct cidr *ip)
{
	int full = net->bits / 8, rest = net->bits % 8;

	if (memcmp(net->addr, ip->addr, (size_t)full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (net->addr[full] & mask) == (ip->addr[full] & mask);
	}
	return true;
}

/* ---- operators ---------------------------------------------------------------------------------------------- */

/*
 * The comparison of a Numeric or Date operator, by its offset from ...Equals: the six operators of each family come
 * in the same order (Equals, NotEquals, LessThan, LessThanEquals, GreaterThan, GreaterThanEquals). NotEquals tests
 * equality here; the negation is applied by the caller.
 */
static bool relation(int rel, double request, double policy)
{
	switch (rel) {
	case 0:
	case 1: return request == policy;
	case 2: return request < policy;
	case 3: return request <= policy;
	case 4: return request > policy;
	default: return request >= policy;
	}
}

/* Whether s has the six ':'-separated parts of an ARN (ARN operators compare values part by part). */
static bool looks_like_arn(const char *s, size_t len)
{
	int colons = 0;

	for (size_t i = 0; i < len && colons < 5; i++)
		colons += s[i] == ':';
	return colons == 5;
}

/* Whether one policy value matches request value v (for a negated operator: the underlying positive test). */
static bool value_matches(const struct eval_ctx *ctx, int op, const struct pval *pv, const char *v, size_t vlen,
                          bool *usable)
{
	double d;
	int64_t t;
	struct cidr ip;

	/* A value whose variable cannot be resolved compares with nothing: it neither matches nor differs. */
	*usable = pv->ok && pstr_resolvable(ctx, &pv->s);
	if (!*usable)
		return false;
	switch (op) {
	case OP_STRING_EQUALS:
	case OP_STRING_NOT_EQUALS:
		return pstr_match(ctx, &pv->s, v, vlen, false, false);
	case OP_STRING_EQUALS_IGNORE_CASE:
	case OP_STRING_NOT_EQUALS_IGNORE_CASE:
		return pstr_match(ctx, &pv->s, v, vlen, true, false);
	case OP_STRING_LIKE:
	case OP_STRING_NOT_LIKE:
		return pstr_match(ctx, &pv->s, v, vlen, false, true);
	case OP_BOOL: {
		/* Both sides must be booleans (any case); then they compare without regard to case. */
		bool pv_true, v_true;
		char text[8];
		if (vlen == 4 && strncasecmp(v, "true", 4) == 0)
			v_true = true;
		else if (vlen == 5 && strncasecmp(v, "false", 5) == 0)
			v_true = false;
		else
			return *usable = false;
		if (pv->s.has_var) {
			/* a variable: resolve it by matching against both spellings */
			if (pstr_match(ctx, &pv->s, "true", 4, true, false))
				pv_true = true;
			else if (pstr_match(ctx, &pv->s, "false", 5, true, false))
				pv_true = false;
			else
				return *usable = false;
		} else {
			if (pv->s.rawlen >= sizeof(text))
				return *usable = false;
			if (pv->s.rawlen == 4 && strncasecmp(pv->s.raw, "true", 4) == 0)
				pv_true = true;
			else if (pv->s.rawlen == 5 && strncasecmp(pv->s.raw, "false", 5) == 0)
				pv_true = false;
			else
				return *usable = false;
		}
		return pv_true == v_true;
	}
	case OP_BINARY_EQUALS:
		return pv->s.rawlen == vlen && memcmp(pv->s.raw, v, vlen) == 0;
	case OP_NUMERIC_EQUALS:
	case OP_NUMERIC_NOT_EQUALS:
	case OP_NUMERIC_LESS_THAN:
	case OP_NUMERIC_LESS_THAN_EQUALS:
	case OP_NUMERIC_GREATER_THAN:
	case OP_NUMERIC_GREATER_THAN_EQUALS:
		if (parse_number(v, vlen, &d) != C_OK)
			return *usable = false;
		return relation(op - OP_NUMERIC_EQUALS, d, pv->num);
	case OP_DATE_EQUALS:
	case OP_DATE_NOT_EQUALS:
	case OP_DATE_LESS_THAN:
	case OP_DATE_LESS_THAN_EQUALS:
	case OP_DATE_GREATER_THAN:
	case OP_DATE_GREATER_THAN_EQUALS:
		if (parse_date_ms(v, vlen, &t) != C_OK)
			return *usable = false;
		/* milliseconds since the epoch are exact in a double for any year AWS accepts */
		return relation(op - OP_DATE_EQUALS, (double)t, (double)pv->date_ms);
	case OP_IP_ADDRESS:
	case OP_NOT_IP_ADDRESS: {
		char buf[64];
		if (vlen >= sizeof(buf))
			return *usable = false;
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		if (strchr(buf, '/') || parse_cidr(buf, &ip) != C_OK)
			return *usable = false;
		if (ip.family != pv->net.family)
			return false; /* an IPv4 address is never inside an IPv6 network, and the reverse */
		return in_network(&pv->net, &ip);
	}
	case OP_ARN_EQUALS:
	case OP_ARN_LIKE:
	case OP_ARN_NOT_EQUALS:
	case OP_ARN_NOT_LIKE:
		/* Both sides must be ARNs: a value that is not (the request's, or the policy's) compares with nothing. */
		if (!looks_like_arn(v, vlen) || !looks_like_arn(pv->s.raw, pv->s.rawlen))
			return *usable = false;
		return arn_pattern_match(ctx, &pv->s, v, vlen);
	default:
		return false;
	}
}

/* The operator applied to one request value. */
static bool op_matches(const struct eval_ctx *ctx, const struct pcond *c, const char *v)
{
	size_t vlen = strlen(v);
	bool usable;

	if (!ops[c->op].negated) {
		for (size_t i = 0; i < c->nvalues; i++)
			if (value_matches(ctx, c->op, &c->values[i], v, vlen, &usable))
				return true;
		return false;
	}
	/* Negated: the request value must be different from every policy value (and every comparison possible). */
	for (size_t i = 0; i < c->nvalues; i++) {
		bool m = value_matches(ctx, c->op, &c->values[i], v, vlen, &usable);
		if (m || !usable)
			return false;
	}
	return true;
}

static bool condition_matches(const struct eval_ctx *ctx, const struct pcond *c)
{
	const struct policy_ctx_entry *e = ctx_find(ctx->req, c->key, c->keylen);

	if (c->op == OP_NULL) {
		const char *goal = e ? "false" : "true";
		for (size_t i = 0; i < c->nvalues; i++)
			if (c->values[i].s.rawlen == strlen(goal) && strncasecmp(c->values[i].s.raw, goal, strlen(goal)) == 0)
				return true;
		return false;
	}
	if (c->set == SET_FOR_ANY_VALUE) {
		if (!e)
			return false;
		for (size_t i = 0; i < e->nvalues; i++)
			if (op_matches(ctx, c, e->values[i]))
				return true;
		return false;
	}
	if (c->set == SET_FOR_ALL_VALUES) {
		if (!e)
			return true;
		for (size_t i = 0; i < e->nvalues; i++)
			if (!op_matches(ctx, c, e->values[i]))
				return false;
		return true;
	}
	if (!e)
		return c->if_exists || ops[c->op].negated;
	if (e->multi || e->nvalues != 1)
		return false;
	return op_matches(ctx, c, e->values[0]);
}

int conditions_first_failing(const struct eval_ctx *ctx, const struct pstmt *st)
{
	for (size_t i = 0; i < st->nconds; i++)
		if (!condition_matches(ctx, &st->conds[i]))
			return (int)i;
	return -1;
}

bool conditions_match(const struct eval_ctx *ctx, const struct pstmt *st)
{
	for (size_t i = 0; i < st->nconds; i++)
		if (!condition_matches(ctx, &st->conds[i]))
			return false;
	return true;
}
