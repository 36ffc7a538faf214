/*
 * test_form.c - tests src/aws/form.c: x-www-form-urlencoded decoding for the AWS query protocol.
 *
 * Percent-decoding ('+' is a space, upper- and lowercase hex), the errors for malformed escapes
 * (MalformedQueryString) and for invalid UTF-8, NUL and repeated keys (InvalidQueryParameter), empty pieces and keys
 * without '=', skip_auth leaving out the X-Amz-* parameters of presigned requests, the bound on the number of
 * parameters, and form_get after form_finish. form_next (the decoding the SigV4 canonical query shares) at every
 * encoding corner: '+', %20, %2B, double encoding, empty values, repeated keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/errors.h"
#include "aws/form.h"
#include "util/buf.h"
#include "util/common.h"

/* Parses s (one form_parse) and finishes; returns the result of the first step that fails, else C_OK. */
static int parse_str(struct form *f, const char *s, bool skip_auth, struct aws_err *err)
{
	form_init(f);
	memset(err, 0, sizeof(*err));
	if (form_parse(f, s, strlen(s), skip_auth, err) != C_OK)
		return C_ERR;
	return form_finish(f, err);
}

/* The value of key, which must be present. */
static const char *value_of(const struct form *f, const char *key)
{
	const struct form_pair *p = form_get(f, key);

	if (!p) {
		print_error("missing key '%s'\n", key);
		fail();
	}
	return p->value;
}

/* s must fail with code; the form is freed. */
static void assert_refused(const char *s, bool skip_auth, enum aws_code code)
{
	struct form f;
	struct aws_err err;

	if (parse_str(&f, s, skip_auth, &err) == C_OK) {
		print_error("'%s' was accepted\n", s);
		form_free(&f);
		fail();
	}
	form_free(&f);
	if (err.code != code)
		print_error("'%s': got %s (%s), expected %s\n", s, aws_code_name(err.code), err.message,
		            aws_code_name(code));
	assert_int_equal(err.code, code);
	assert_true(err.message[0] != '\0');
}

static void test_basic(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	assert_int_equal(parse_str(&f, "Action=CreateUser&Version=2010-05-08&UserName=bob", false, &err), C_OK);
	assert_int_equal(f.n, 3);
	/* Sorted by key after form_finish. */
	assert_string_equal(f.pairs[0].key, "Action");
	assert_string_equal(f.pairs[1].key, "UserName");
	assert_string_equal(f.pairs[2].key, "Version");
	assert_string_equal(value_of(&f, "Action"), "CreateUser");
	assert_string_equal(value_of(&f, "Version"), "2010-05-08");
	assert_string_equal(value_of(&f, "UserName"), "bob");
	assert_int_equal(form_get(&f, "UserName")->value_len, 3);
	form_free(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.pairs);
}

static void test_form_get(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	/* Lookups are exact: case matters, prefixes do not match. */
	assert_int_equal(parse_str(&f, "b=2&a=1&c=3&Tags.member.1.Key=k&Tags.member.10.Key=k10", false, &err), C_OK);
	assert_string_equal(value_of(&f, "a"), "1");
	assert_string_equal(value_of(&f, "b"), "2");
	assert_string_equal(value_of(&f, "c"), "3");
	assert_string_equal(value_of(&f, "Tags.member.1.Key"), "k");
	assert_string_equal(value_of(&f, "Tags.member.10.Key"), "k10");
	assert_null(form_get(&f, "A"));
	assert_null(form_get(&f, "d"));
	assert_null(form_get(&f, ""));
	assert_null(form_get(&f, "Tags.member.1"));
	assert_null(form_get(&f, "Tags.member.1.Key.x"));
	form_free(&f);

	/* An empty form has nothing. */
	assert_int_equal(parse_str(&f, "", false, &err), C_OK);
	assert_int_equal(f.n, 0);
	assert_null(form_get(&f, "a"));
	form_free(&f);
}

static void test_plus_and_escapes(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	assert_int_equal(parse_str(&f,
	                           "a=hello+world&b=%2B&c=%41%42%43&d=%4a%4B%6c&e=%e2%82%AC&f=100%25&g=a%3Db%26c&"
	                           "h+k=1&%69=2&j=%20%20",
	                           false, &err),
	                 C_OK);
	assert_string_equal(value_of(&f, "a"), "hello world");
	assert_string_equal(value_of(&f, "b"), "+");
	assert_string_equal(value_of(&f, "c"), "ABC");
	assert_string_equal(value_of(&f, "d"), "JKl"); /* lowercase and uppercase hex digits */
	assert_string_equal(value_of(&f, "e"), "\xe2\x82\xac"); /* U+20AC */
	assert_string_equal(value_of(&f, "f"), "100%");
	assert_string_equal(value_of(&f, "g"), "a=b&c");
	assert_string_equal(value_of(&f, "h k"), "1"); /* keys are decoded too */
	assert_string_equal(value_of(&f, "i"), "2");
	assert_string_equal(value_of(&f, "j"), "  ");
	assert_int_equal(form_get(&f, "e")->value_len, 3);
	form_free(&f);

	/* Only the first '=' separates key from value. */
	assert_int_equal(parse_str(&f, "k=v=w&x==", false, &err), C_OK);
	assert_string_equal(value_of(&f, "k"), "v=w");
	assert_string_equal(value_of(&f, "x"), "=");
	form_free(&f);

	/* Raw UTF-8 (not escaped) is accepted as is. */
	assert_int_equal(parse_str(&f, "k=caf\xc3\xa9", false, &err), C_OK);
	assert_string_equal(value_of(&f, "k"), "caf\xc3\xa9");
	form_free(&f);

	/* Long runs between escapes (a web identity token's kilobytes) decode whole, escapes at either end too. */
	{
		char in[2100], want[2100];
		size_t n = 0, m = 0;
		n += (size_t)snprintf(in + n, sizeof(in) - n, "k=%%41");
		want[m++] = 'A';
		for (int i = 0; i < 2000; i++)
			in[n++] = want[m++] = (char)('a' + i % 26);
		n += (size_t)snprintf(in + n, sizeof(in) - n, "+%%2B+x%%7e");
		memcpy(want + m, " + x~", 6);
		assert_int_equal(parse_str(&f, in, false, &err), C_OK);
		assert_string_equal(value_of(&f, "k"), want);
		form_free(&f);
	}
}

static void test_bad_escapes(void **state)
{
	(void)state;
	assert_refused("a=%", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=%4", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=%zz", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=%4g", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=%g4", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=x%", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=%%41", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("%=1", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a%4=1", false, ERR_MALFORMED_QUERY_STRING);
	/* The escape may not borrow characters from the next pair. */
	assert_refused("a=%4&b=1", false, ERR_MALFORMED_QUERY_STRING);
	assert_refused("a=1&b=%", false, ERR_MALFORMED_QUERY_STRING);
}

static void test_nul_refused(void **state)
{
	struct form f;
	struct aws_err err;
	const char raw[] = "a=x\0y";

	(void)state;
	assert_refused("a=%00", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a%00=1", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a=x%00y", false, ERR_INVALID_QUERY_PARAMETER);
	/* A raw NUL byte inside the input too. */
	form_init(&f);
	assert_int_equal(form_parse(&f, raw, sizeof(raw) - 1, false, &err), C_ERR);
	assert_int_equal(err.code, ERR_INVALID_QUERY_PARAMETER);
	form_free(&f);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	assert_refused("a=%C0%AF", false, ERR_INVALID_QUERY_PARAMETER);      /* overlong '/' */
	assert_refused("a=%E0%80%AF", false, ERR_INVALID_QUERY_PARAMETER);   /* overlong, 3 bytes */
	assert_refused("a=%F0%80%80%AF", false, ERR_INVALID_QUERY_PARAMETER); /* overlong, 4 bytes */
	assert_refused("a=%ED%A0%80", false, ERR_INVALID_QUERY_PARAMETER);   /* U+D800, a surrogate */
	assert_refused("a=%ED%BF%BF", false, ERR_INVALID_QUERY_PARAMETER);   /* U+DFFF */
	assert_refused("a=%E2%82", false, ERR_INVALID_QUERY_PARAMETER);      /* truncated */
	assert_refused("a=%E2%82x", false, ERR_INVALID_QUERY_PARAMETER);     /* truncated, then ASCII */
	assert_refused("a=%80", false, ERR_INVALID_QUERY_PARAMETER);         /* lone continuation byte */
	assert_refused("a=%FF", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a=%F4%90%80%80", false, ERR_INVALID_QUERY_PARAMETER); /* above U+10FFFF */
	assert_refused("%C3=1", false, ERR_INVALID_QUERY_PARAMETER);         /* in a key */
	assert_refused("a=\xC3", false, ERR_INVALID_QUERY_PARAMETER);        /* raw, not escaped */
	assert_refused("a=\xED\xA0\x80", false, ERR_INVALID_QUERY_PARAMETER);
}

static void test_valid_utf8_edges(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	assert_int_equal(parse_str(&f, "a=%C2%80&b=%EF%BF%BD&c=%F0%9F%98%80&d=%F4%8F%BF%BF&e=%ED%9F%BF", false, &err),
	                 C_OK);
	assert_string_equal(value_of(&f, "a"), "\xC2\x80");
	assert_string_equal(value_of(&f, "b"), "\xEF\xBF\xBD");
	assert_string_equal(value_of(&f, "c"), "\xF0\x9F\x98\x80");
	assert_string_equal(value_of(&f, "d"), "\xF4\x8F\xBF\xBF");
	assert_string_equal(value_of(&f, "e"), "\xED\x9F\xBF"); /* U+D7FF, just below the surrogates */
	form_free(&f);
}

static void test_empty_pieces(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	assert_int_equal(parse_str(&f, "a=1&&b=2", false, &err), C_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(value_of(&f, "a"), "1");
	assert_string_equal(value_of(&f, "b"), "2");
	form_free(&f);

	assert_int_equal(parse_str(&f, "&&&a=1&&&", false, &err), C_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(value_of(&f, "a"), "1");
	form_free(&f);

	assert_int_equal(parse_str(&f, "&", false, &err), C_OK);
	assert_int_equal(f.n, 0);
	form_free(&f);
}

static void test_key_without_value(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	/* "a" and "b=" both give an empty value (botocore sends "Tags=" for an empty list). */
	assert_int_equal(parse_str(&f, "a&b=&c=3", false, &err), C_OK);
	assert_int_equal(f.n, 3);
	assert_string_equal(value_of(&f, "a"), "");
	assert_int_equal(form_get(&f, "a")->value_len, 0);
	assert_string_equal(value_of(&f, "b"), "");
	assert_int_equal(form_get(&f, "b")->value_len, 0);
	assert_string_equal(value_of(&f, "c"), "3");
	form_free(&f);
}

static void test_repeated_keys(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	assert_refused("a=1&a=2", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a=1&b=2&a=1", false, ERR_INVALID_QUERY_PARAMETER);
	/* Equal after decoding. */
	assert_refused("a=1&%61=2", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a+b=1&a%20b=2", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a&a", false, ERR_INVALID_QUERY_PARAMETER);

	/* The message names the parameter. */
	assert_int_equal(parse_str(&f, "UserName=a&UserName=b", false, &err), C_ERR);
	assert_int_equal(err.code, ERR_INVALID_QUERY_PARAMETER);
	assert_non_null(strstr(err.message, "UserName"));
	form_free(&f);

	/* A key repeated across two form_parse calls (query string and body) is refused too. */
	form_init(&f);
	assert_int_equal(form_parse(&f, "Action=GetUser", 14, false, &err), C_OK);
	assert_int_equal(form_parse(&f, "Action=ListUsers", 16, false, &err), C_OK);
	assert_int_equal(form_finish(&f, &err), C_ERR);
	assert_int_equal(err.code, ERR_INVALID_QUERY_PARAMETER);
	form_free(&f);

	/* Keys differing in case are different keys. */
	assert_int_equal(parse_str(&f, "a=1&A=2", false, &err), C_OK);
	assert_string_equal(value_of(&f, "a"), "1");
	assert_string_equal(value_of(&f, "A"), "2");
	form_free(&f);
}

static void test_two_sources(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	form_init(&f);
	assert_int_equal(form_parse(&f, "Action=GetUser&Version=2010-05-08", 33, false, &err), C_OK);
	assert_int_equal(form_parse(&f, "UserName=bob", 12, false, &err), C_OK);
	assert_int_equal(form_finish(&f, &err), C_OK);
	assert_int_equal(f.n, 3);
	assert_string_equal(value_of(&f, "Action"), "GetUser");
	assert_string_equal(value_of(&f, "UserName"), "bob");
	form_free(&f);
}

static void test_length_is_honoured(void **state)
{
	struct form f;
	struct aws_err err;
	const char *s = "a=12345&b=2";

	(void)state;
	/* Only len bytes are read: "a=123". */
	form_init(&f);
	assert_int_equal(form_parse(&f, s, 5, false, &err), C_OK);
	assert_int_equal(form_finish(&f, &err), C_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(value_of(&f, "a"), "123");
	form_free(&f);

	/* A cut inside an escape is a malformed escape, not a read past the end. */
	form_init(&f);
	assert_int_equal(form_parse(&f, "a=%41", 4, false, &err), C_ERR);
	assert_int_equal(err.code, ERR_MALFORMED_QUERY_STRING);
	form_free(&f);
}

static void test_skip_auth(void **state)
{
	struct form f;
	struct aws_err err;
	const char *q = "Action=GetUser&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1"
	                "%2Fiam%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&"
	                "X-Amz-Signature=abc&X-Amz-Security-Token=tok&UserName=bob";

	(void)state;
	assert_int_equal(parse_str(&f, q, true, &err), C_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(value_of(&f, "Action"), "GetUser");
	assert_string_equal(value_of(&f, "UserName"), "bob");
	assert_null(form_get(&f, "X-Amz-Signature"));
	assert_null(form_get(&f, "X-Amz-Date"));
	form_free(&f);

	/* Without skip_auth they are ordinary parameters. */
	assert_int_equal(parse_str(&f, q, false, &err), C_OK);
	assert_int_equal(f.n, 9);
	assert_string_equal(value_of(&f, "X-Amz-Signature"), "abc");
	assert_string_equal(value_of(&f, "X-Amz-Credential"), "AKID/20150830/us-east-1/iam/aws4_request");
	form_free(&f);

	/* A skipped parameter is not checked (so its repetition is no error) and other keys stay. */
	assert_int_equal(parse_str(&f, "X-Amz-Date=1&X-Amz-Date=2&X-Amzfoo=3&x-amz-date=4", true, &err), C_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(value_of(&f, "X-Amzfoo"), "3");
	assert_string_equal(value_of(&f, "x-amz-date"), "4"); /* the prefix is matched exactly */
	form_free(&f);
}

static void test_too_many_pairs(void **state)
{
	struct form f;
	struct aws_err err;
	struct buf b;

	(void)state;
	buf_init(&b, 1024 * 1024);
	for (int i = 0; i < FORM_MAX_PAIRS; i++)
		assert_int_equal(buf_printf(&b, "%sk%d=%d", i ? "&" : "", i, i), C_OK);
	/* Exactly FORM_MAX_PAIRS is fine. */
	assert_int_equal(parse_str(&f, buf_str(&b), false, &err), C_OK);
	assert_int_equal(f.n, FORM_MAX_PAIRS);
	assert_string_equal(value_of(&f, "k0"), "0");
	assert_string_equal(value_of(&f, "k4095"), "4095");
	form_free(&f);
	/* One more is refused. */
	assert_int_equal(buf_puts(&b, "&extra=1"), C_OK);
	assert_int_equal(parse_str(&f, buf_str(&b), false, &err), C_ERR);
	assert_int_equal(err.code, ERR_INVALID_QUERY_PARAMETER);
	form_free(&f);
	/* Also when the excess comes from a second form_parse. */
	form_init(&f);
	assert_int_equal(form_parse(&f, buf_str(&b), b.len - 8, false, &err), C_OK);
	assert_int_equal(form_parse(&f, "x=1", 3, false, &err), C_ERR);
	assert_int_equal(err.code, ERR_INVALID_QUERY_PARAMETER);
	form_free(&f);
	/* Empty pieces and skipped X-Amz-* parameters do not count. */
	buf_reset(&b);
	for (int i = 0; i < FORM_MAX_PAIRS; i++)
		assert_int_equal(buf_printf(&b, "k%d=%d&&X-Amz-N%d=1&", i, i, i), C_OK);
	assert_int_equal(parse_str(&f, buf_str(&b), true, &err), C_OK);
	assert_int_equal(f.n, FORM_MAX_PAIRS);
	form_free(&f);
	buf_free(&b);
}

/* Every encoding corner, as form_next() (the one decoding, also the signature's) and form_parse see it. */
static void test_encoding_corners(void **state)
{
	static const struct {
		const char *raw, *key, *value;
		size_t value_len;
	} cases[] = {
		{"a=x+y", "a", "x y", 3},         /* '+' is a space */
		{"a=x%20y", "a", "x y", 3},       /* so is %20 */
		{"a=x%2By", "a", "x+y", 3},       /* %2B is a plus sign */
		{"a=x%2by", "a", "x+y", 3},
		{"a=x%252By", "a", "x%2By", 5},   /* decoded once only */
		{"a=++", "a", "  ", 2},
		{"a=", "a", "", 0},               /* empty values */
		{"a", "a", "", 0},
		{"a+b=1", "a b", "1", 1},         /* in names too */
		{"%61%2B=1", "a+", "1", 1},
		{"a==b", "a", "=b", 2},
	};
	struct form_cursor cur;
	struct buf k, v;
	struct form f;
	struct aws_err err;

	(void)state;
	buf_init(&k, 1024);
	buf_init(&v, 1024);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		form_cursor_init(&cur, cases[i].raw, strlen(cases[i].raw));
		assert_int_equal(form_next(&cur, &k, &v), 1);
		assert_string_equal(buf_str(&k), cases[i].key);
		assert_string_equal(buf_str(&v), cases[i].value);
		assert_int_equal(v.len, cases[i].value_len);
		assert_int_equal(form_next(&cur, &k, &v), 0);
		assert_int_equal(parse_str(&f, cases[i].raw, false, &err), C_OK);
		assert_int_equal(f.n, 1);
		assert_string_equal(value_of(&f, cases[i].key), cases[i].value);
		assert_int_equal(form_get(&f, cases[i].key)->value_len, cases[i].value_len);
		form_free(&f);
	}
	/* Empty pieces are skipped; a NUL is decoded (the canonical query signs it) but form_parse refuses it. */
	form_cursor_init(&cur, "&&a=1&&b=%00&", 13);
	assert_int_equal(form_next(&cur, &k, &v), 1);
	assert_string_equal(buf_str(&k), "a");
	assert_int_equal(form_next(&cur, &k, &v), 1);
	assert_int_equal(v.len, 1);
	assert_int_equal(buf_str(&v)[0], '\0');
	assert_int_equal(form_next(&cur, &k, &v), 0);
	assert_refused("&&a=1&&b=%00&", false, ERR_INVALID_QUERY_PARAMETER);
	/* Malformed escapes. */
	form_cursor_init(&cur, "a=1&b=%2", 8);
	assert_int_equal(form_next(&cur, &k, &v), 1);
	assert_int_equal(form_next(&cur, &k, &v), -1);
	/* Repeated keys are refused, also when they are spelled differently. */
	assert_refused("a=1&a=1", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a=1&%61=2", false, ERR_INVALID_QUERY_PARAMETER);
	assert_refused("a+b=1&a%20b=2", false, ERR_INVALID_QUERY_PARAMETER);
	/* The cap of the output buffers. */
	{
		struct buf small;
		buf_init(&small, 2);
		form_cursor_init(&cur, "abc=1", 5);
		assert_int_equal(form_next(&cur, &small, &v), -1);
		buf_free(&small);
	}
	buf_free(&k);
	buf_free(&v);
}

/* skip_auth leaves out the X-Amz-* parameters by their decoded name, as the verifier finds them. */
static void test_skip_auth_decoded(void **state)
{
	struct form f;
	struct aws_err err;

	(void)state;
	assert_int_equal(parse_str(&f, "X%2DAmz-Signature=abc&X-Amz%2DDate=1&UserName=bob", true, &err), C_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(value_of(&f, "UserName"), "bob");
	form_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),          cmocka_unit_test(test_form_get),
		cmocka_unit_test(test_plus_and_escapes), cmocka_unit_test(test_bad_escapes),
		cmocka_unit_test(test_nul_refused),    cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_utf8_edges), cmocka_unit_test(test_empty_pieces),
		cmocka_unit_test(test_key_without_value), cmocka_unit_test(test_repeated_keys),
		cmocka_unit_test(test_two_sources),    cmocka_unit_test(test_length_is_honoured),
		cmocka_unit_test(test_skip_auth),      cmocka_unit_test(test_too_many_pairs),
		cmocka_unit_test(test_encoding_corners), cmocka_unit_test(test_skip_auth_decoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
