/*
 * awsconfig.c - the AWS shared config and credentials files as botocore reads them (see awsconfig.h for the rules),
 * and a profile's credential chain.
 *
 * Why not inih (the project's library for config files): Debian's libinih is built with its defaults, which are
 * fixed at the library's compile time: lines longer than 200 bytes are cut (a session token line is ~800), "; ..."
 * after whitespace is stripped as an inline comment (botocore keeps it), a UTF-8 byte order mark is skipped, keys keep
 * their case, an indented line continues any key whatever the indentation, and duplicates and DEFAULT are not
 * handled. None of that can be switched at run time, so this file carries a small parser bounded by the limits in
 * awsconfig.h that follows configparser.RawConfigParser._read line for line.
 *
 * Memory: every name and value is a separate heap string owned by the struct awsconfig and zeroed when freed; the
 * file's bytes are zeroed as soon as they are parsed. Chains borrow the strings.
 */
#include "cli/awsconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/common.h"
#include "util/utf8.h"

/* ------------------------------------------------------------------------------------------------------------ */
/* Data */

struct ac_sub {
	char *key; /* as written, stripped */
	char *value;
};

struct ac_entry {
	char *key;   /* lowercased */
	char *value; /* configparser's value: the lines "\n"-joined, trailing empty ones dropped */
	int line;
	bool first_empty;    /* the key's own line had no value: continuation lines are a nested block */
	bool nested;         /* first_empty and a non-empty continuation line followed: subs holds the block */
	int nested_err_line; /* the first nested line without '=', or 0 */
	struct ac_sub *subs;
	size_t nsubs, subcap;
};

struct ac_section {
	char *name; /* as written between the brackets */
	int line;
	struct ac_entry *e;
	size_t n, cap;
};

struct ac_file {
	char *path; /* expanded */
	bool found;
	struct ac_section *sec;
	size_t nsec, seccap;
	struct ac_section defaults; /* [DEFAULT] */
	size_t nentries;            /* every key, nested ones included, against AWSCONFIG_MAX_ENTRIES */
};

/* A name bound to a section of the config file and/or of the credentials file. */
struct ac_named {
	char *name;
	const struct ac_section *cfg;
	const struct ac_section *cred;
};

struct awsconfig {
	struct ac_file f[2]; /* 0: config, 1: credentials */
	struct ac_named *prof;
	size_t nprof, profcap;
	struct ac_named *svc; /* [services NAME] of the config file */
	size_t nsvc, svccap;
};

static void zfree(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static char *memdup_str(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void set_err(struct awsconfig_err *err, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(struct awsconfig_err *err, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Python's notion of whitespace (str.isspace, and \s in re), on valid UTF-8 */

/* The length in bytes of the whitespace character at p (p < end), or 0 when it is not whitespace. */
static size_t ws_at(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t left = (size_t)(end - p);

	if (u[0] < 0x80)
		return (u[0] == ' ' || (u[0] >= 0x09 && u[0] <= 0x0d) || (u[0] >= 0x1c && u[0] <= 0x1f)) ? 1 : 0;
	if (u[0] == 0xc2 && left >= 2)
		return (u[1] == 0x85 || u[1] == 0xa0) ? 2 : 0;
	if (left < 3)
		return 0;
	if (u[0] == 0xe1)
		return (u[1] == 0x9a && u[2] == 0x80) ? 3 : 0; /* U+1680 */
	if (u[0] == 0xe2 && u[1] == 0x80)
		return (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf) ? 3 : 0; /* U+2000-200A/2028/2029/202F */
	if (u[0] == 0xe2 && u[1] == 0x81)
		return u[2] == 0x9f ? 3 : 0; /* U+205F */
	if (u[0] == 0xe3)
		return (u[1] == 0x80 && u[2] == 0x80) ? 3 : 0; /* U+3000 */
	return 0;
}

/* Python's str.strip() on [*s, *e). */
static void strip(const char **s, const char **e)
{
	size_t n;

	while (*s < *e && (n = ws_at(*s, *e)) > 0)
		*s += n;
	while (*e > *s) {
		const char *q = *e - 1;

		while (q > *s && ((unsigned char)*q & 0xc0) == 0x80)
			q--;
		if (ws_at(q, *e) != (size_t)(*e - q))
			break;
		*e = q;
	}
}

/* ------------------------------------------------------------------------------------------------------------ */
/* shlex.split (POSIX mode, no comments), as botocore splits "[profile NAME]" */

int awsconfig_shlex_split(const char *s, size_t n, char ***argv_out, char **storage_out)
{
	char *store = malloc(n + 1), *w = store, **argv = calloc(n / 2 + 2, sizeof(char *));
	int words = 0;
	size_t i = 0;

	if (!store || !argv)
		goto bad;
	for (;;) {
		bool in_word = false;
		char *start = w;

		while (i < n && strchr(" \t\r\n", s[i]))
			i++;
		if (i == n)
			break;
		while (i < n && !strchr(" \t\r\n", s[i])) {
			char c = s[i++];

			in_word = true;
			if (c == '\\') {
				if (i == n)
					goto bad; /* "No escaped character" */
				*w++ = s[i++];
			} else if (c == '\'' || c == '"') {
				for (;;) {
					if (i == n)
						goto bad; /* "No closing quotation" */
					if (s[i] == c) {
						i++;
						break;
					}
					/* Inside "...", a backslash escapes only \ and " (shlex's escapedquotes). */
					if (c == '"' && s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"'))
						i++;
					else if (c == '"' && s[i] == '\\' && i + 1 == n)
						goto bad;
					*w++ = s[i++];
				}
			} else {
				*w++ = c;
			}
		}
		if (in_word) {
			*w++ = '\0';
			argv[words++] = start;
		}
	}
	argv[words] = NULL;
	*argv_out = argv;
	*storage_out = store;
	return words;
bad:
	if (store)
		explicit_bzero(store, n + 1);
	free(store);
	free(argv);
	*argv_out = NULL;
	*storage_out = NULL;
	return -1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Sections and entries */

static const struct ac_entry *sec_find(const struct ac_section *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->e[i].key, key) == 0)
			return &s->e[i];
	return NULL;
}

static void section_clear(struct ac_section *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ac_entry *e = &s->e[i];

		zfree(e->key);
		zfree(e->value);
		for (size_t j = 0; j < e->nsubs; j++) {
			zfree(e->subs[j].key);
			zfree(e->subs[j].value);
		}
		free(e->subs);
	}
	free(s->e);
	zfree(s->name);
	memset(s, 0, sizeof(*s));
}

static void file_clear(struct ac_file *f)
{
	for (size_t i = 0; i < f->nsec; i++)
		section_clear(&f->sec[i]);
	free(f->sec);
	section_clear(&f->defaults);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

/* Appends "\n" + [p, p + n) to e->value (a fresh allocation; the old one is zeroed). */
static int entry_append_line(struct ac_entry *e, const char *p, size_t n)
{
	size_t old = strlen(e->value);
	char *v;

	if (old + 1 + n > AWSCONFIG_MAX_FILE)
		return C_ERR;
	v = malloc(old + 1 + n + 1);
	if (!v)
		return C_ERR;
	memcpy(v, e->value, old);
	v[old] = '\n';
	memcpy(v + old + 1, p, n);
	v[old + 1 + n] = '\0';
	zfree(e->value);
	e->value = v;
	return C_OK;
}

/* One line of a nested block ([p, p + n), stripped): "sub = value", as botocore's _parse_nested. */
static int entry_add_sub(struct ac_file *f, struct ac_entry *e, const char *p, size_t n, int line)
{
	const char *eq = memchr(p, '=', n), *ks = p, *ke, *vs, *ve = p + n;
	struct ac_sub *sub = NULL;

	if (!eq) {
		if (!e->nested_err_line)
			e->nested_err_line = line;
		return C_OK;
	}
	ke = eq;
	vs = eq + 1;
	strip(&ks, &ke);
	strip(&vs, &ve);
	/* The last of two equal keys wins (a dict): replace in place. */
	for (size_t i = 0; i < e->nsubs; i++)
		if (strlen(e->subs[i].key) == (size_t)(ke - ks) && memcmp(e->subs[i].key, ks, (size_t)(ke - ks)) == 0)
			sub = &e->subs[i];
	if (!sub) {
		if (f->nentries >= AWSCONFIG_MAX_ENTRIES)
			return C_ERR;
		if (e->nsubs == e->subcap) {
			size_t cap = e->subcap ? e->subcap * 2 : 4;
			struct ac_sub *ns = realloc(e->subs, cap * sizeof(*ns));

			if (!ns)
				return C_ERR;
			e->subs = ns;
			e->subcap = cap;
		}
		sub = &e->subs[e->nsubs];
		sub->key = memdup_str(ks, (size_t)(ke - ks));
		sub->value = NULL;
		if (!sub->key)
			return C_ERR;
		e->nsubs++;
		f->nentries++;
	}
	zfree(sub->value);
	sub->value = memdup_str(vs, (size_t)(ve - vs));
	return sub->value ? C_OK : C_ERR;
}

/*
 * A continuation element of a nested block: str.splitlines() of the joined value also splits at \v, \f, \x1c-\x1e,
 * U+0085, U+2028 and U+2029, so one element may hold several nested lines.
 */
static int entry_add_nested(struct ac_file *f, struct ac_entry *e, const char *p, size_t n, int line)
{
	const char *end = p + n;

	while (p < end) {
		const char *q = p, *s, *t;
		size_t sep = 0;

		while (q < end) {
			unsigned char c = (unsigned char)*q;

			if (c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e))
				sep = 1;
			else if (c == 0xc2 && q + 1 < end && (unsigned char)q[1] == 0x85)
				sep = 2;
			else if (c == 0xe2 && q + 2 < end && (unsigned char)q[1] == 0x80 &&
			         ((unsigned char)q[2] == 0xa8 || (unsigned char)q[2] == 0xa9))
				sep = 3;
			if (sep)
				break;
			q++;
		}
		s = p;
		t = q;
		strip(&s, &t);
		if (s < t && entry_add_sub(f, e, s, (size_t)(t - s), line) != C_OK)
			return C_ERR;
		p = q + sep;
		if (!sep)
			break;
	}
	return C_OK;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* The parser: configparser.RawConfigParser._read, strict, delimiters "=" ":", comment prefixes "#" ";" */

#define CUR_NONE ((size_t)-1)
#define CUR_DEFAULTS ((size_t)-2)

static struct ac_section *cur_section(struct ac_file *f, size_t cur)
{
	if (cur == CUR_NONE)
		return NULL;
	return cur == CUR_DEFAULTS ? &f->defaults : &f->sec[cur];
}

#define PARSE_FAIL(line_, ...)                                                                                    \
	do {                                                                                                          \
		char why_[256];                                                                                           \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                                                                \
		set_err(err, (line_), "Unable to parse config file: %s, line %d: %s", f->path, (line_), why_);          \
		goto fail;                                                                                                \
	} while (0)

static int parse_text(struct ac_file *f, const char *text, size_t len, struct awsconfig_err *err)
{
	size_t pos = 0, cur = CUR_NONE, opt = CUR_NONE, indent_level = 0;
	int lineno = 0, first_bad = 0;

	while (pos < len) {
		size_t start = pos, indent = 0, n;
		const char *ls, *le, *vs, *ve, *p;
		struct ac_section *sec;

		while (pos < len && text[pos] != '\n' && text[pos] != '\r')
			pos++;
		ls = text + start;
		le = text + pos;
		if (pos < len)
			pos += (text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n') ? 2 : 1;
		lineno++;
		if ((size_t)(le - ls) > AWSCONFIG_MAX_LINE)
			PARSE_FAIL(lineno, "line longer than %u bytes", AWSCONFIG_MAX_LINE);
		if (memchr(ls, '\0', (size_t)(le - ls)))
			PARSE_FAIL(lineno, "NUL byte");
		if (!utf8_valid(ls, (size_t)(le - ls)))
			PARSE_FAIL(lineno, "not valid UTF-8");
		vs = ls;
		ve = le;
		strip(&vs, &ve);
		sec = cur_section(f, cur);
		if (vs == ve) {
			/* An empty line belongs to the value being read (dropped again if nothing follows). */
			if (sec && opt != CUR_NONE && entry_append_line(&sec->e[opt], "", 0) != C_OK)
				PARSE_FAIL(lineno, "value too long");
			continue;
		}
		if (*vs == '#' || *vs == ';')
			continue; /* a comment, at any indentation, ends nothing */
		for (p = ls; p < le && (n = ws_at(p, le)) > 0; p += n)
			indent++; /* in characters, as Python counts */
		if (sec && opt != CUR_NONE && indent > indent_level) {
			struct ac_entry *e = &sec->e[opt];

			if (entry_append_line(e, vs, (size_t)(ve - vs)) != C_OK)
				PARSE_FAIL(lineno, "value too long");
			if (e->first_empty) {
				e->nested = true;
				if (entry_add_nested(f, e, vs, (size_t)(ve - vs), lineno) != C_OK)
					PARSE_FAIL(lineno, "more than %u keys", AWSCONFIG_MAX_ENTRIES);
			}
			continue;
		}
		indent_level = indent;
		if (*vs == '[') {
			const char *close = NULL;

			for (p = vs + 2; p < ve; p++) /* the header is at least one character */
				if (*p == ']')
					close = p;
			if (close) {
				size_t hn = (size_t)(close - vs - 1);

				opt = CUR_NONE;
				if (hn == 7 && memcmp(vs + 1, "DEFAULT", 7) == 0) {
					cur = CUR_DEFAULTS;
					continue;
				}
				for (size_t i = 0; i < f->nsec; i++)
					if (strlen(f->sec[i].name) == hn && memcmp(f->sec[i].name, vs + 1, hn) == 0)
						PARSE_FAIL(lineno, "section [%s] already exists (line %d)", f->sec[i].name,
						           f->sec[i].line);
				if (f->nsec >= AWSCONFIG_MAX_SECTIONS)
					PARSE_FAIL(lineno, "more than %u sections", AWSCONFIG_MAX_SECTIONS);
				if (f->nsec == f->seccap) {
					size_t cap = f->seccap ? f->seccap * 2 : 8;
					struct ac_section *ns = realloc(f->sec, cap * sizeof(*ns));

					if (!ns)
						PARSE_FAIL(lineno, "out of memory");
					f->sec = ns;
					f->seccap = cap;
				}
				memset(&f->sec[f->nsec], 0, sizeof(f->sec[0]));
				f->sec[f->nsec].name = memdup_str(vs + 1, hn);
				f->sec[f->nsec].line = lineno;
				if (!f->sec[f->nsec].name)
					PARSE_FAIL(lineno, "out of memory");
				cur = f->nsec++;
				continue;
			}
		}
		if (!sec)
			PARSE_FAIL(lineno, "no section header before this line (\"[profile NAME]\" or \"[default]\")");
		{
			const char *d = vs, *ks = vs, *ke, *xs, *xe = ve;
			struct ac_entry *e;

			while (d < ve && *d != '=' && *d != ':')
				d++;
			ke = d;
			strip(&ks, &ke);
			if (d == ve || ks == ke) {
				/* configparser goes on and raises a ParsingError at the end, unless something worse comes. */
				if (!first_bad)
					first_bad = lineno;
				continue;
			}
			opt = CUR_NONE;
			for (size_t i = 0; i < sec->n; i++) {
				const char *k = sec->e[i].key;
				size_t kn = (size_t)(ke - ks), j;

				if (strlen(k) != kn)
					continue;
				for (j = 0; j < kn && k[j] == (char)((ks[j] >= 'A' && ks[j] <= 'Z') ? ks[j] + 32 : ks[j]); j++)
					;
				if (j == kn)
					PARSE_FAIL(lineno, "option \"%s\" in section [%s] already exists (line %d)", k,
					           cur == CUR_DEFAULTS ? "DEFAULT" : sec->name, sec->e[i].line);
			}
			if (f->nentries >= AWSCONFIG_MAX_ENTRIES)
				PARSE_FAIL(lineno, "more than %u keys", AWSCONFIG_MAX_ENTRIES);
			if (sec->n == sec->cap) {
				size_t cap = sec->cap ? sec->cap * 2 : 8;
				struct ac_entry *ne = realloc(sec->e, cap * sizeof(*ne));

				if (!ne)
					PARSE_FAIL(lineno, "out of memory");
				sec->e = ne;
				sec->cap = cap;
			}
			e = &sec->e[sec->n];
			memset(e, 0, sizeof(*e));
			xs = d + 1;
			strip(&xs, &xe);
			e->key = memdup_str(ks, (size_t)(ke - ks));
			e->value = memdup_str(xs, (size_t)(xe - xs));
			e->line = lineno;
			e->first_empty = xs == xe;
			sec->n++;
			f->nentries++;
			if (!e->key || !e->value)
				PARSE_FAIL(lineno, "out of memory");
			for (char *c = e->key; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c + 32);
			opt = sec->n - 1;
		}
	}
	if (first_bad)
		PARSE_FAIL(first_bad, "expected \"key = value\"");

	/* _join_multiline_values: drop trailing empty lines. */
	for (size_t i = 0; i <= f->nsec; i++) {
		struct ac_section *s = i < f->nsec ? &f->sec[i] : &f->defaults;

		for (size_t j = 0; j < s->n; j++) {
			char *v = s->e[j].value;
			size_t vn = strlen(v);

			while (vn > 0 && v[vn - 1] == '\n')
				v[--vn] = '\0';
			s->e[j].nested = s->e[j].nested && vn > 0;
		}
	}
	/*
	 * botocore parses a nested block when it reads the value of a section: a section's own keys, and the DEFAULT
	 * keys of any section that lacks them.
	 */
	for (size_t i = 0; i < f->nsec; i++) {
		for (size_t j = 0; j < f->sec[i].n; j++)
			if (f->sec[i].e[j].nested && f->sec[i].e[j].nested_err_line)
				PARSE_FAIL(f->sec[i].e[j].nested_err_line, "expected \"key = value\" in the nested block of \"%s\"",
				           f->sec[i].e[j].key);
		for (size_t j = 0; j < f->defaults.n; j++) {
			const struct ac_entry *d = &f->defaults.e[j];

			if (d->nested && d->nested_err_line && !sec_find(&f->sec[i], d->key))
				PARSE_FAIL(d->nested_err_line, "expected \"key = value\" in the nested block of \"%s\"", d->key);
		}
	}
	return C_OK;
fail:
	return C_ERR;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Paths: os.path.expandvars, then os.path.expanduser */

static char *expand_path(const char *in)
{
	struct buf b, out;
	const char *p = in;
	char *home_buf = NULL, *res = NULL;

	buf_init(&b, 16384);
	buf_init(&out, 16384);
	/* expandvars: $name (ASCII word characters) or ${anything but }}; unset names stay as written */
	while (*p) {
		const char *name = NULL, *next = NULL;
		size_t nn = 0;

		if (*p == '$' && p[1] == '{' && strchr(p + 2, '}')) {
			name = p + 2;
			nn = (size_t)(strchr(p + 2, '}') - name);
			next = name + nn + 1;
		} else if (*p == '$') {
			for (nn = 0; p[1 + nn] == '_' || (p[1 + nn] >= '0' && p[1 + nn] <= '9') ||
			             ((p[1 + nn] | 32) >= 'a' && (p[1 + nn] | 32) <= 'z');
			     nn++)
				;
			name = p + 1;
			next = name + nn;
		}
		if (name && nn > 0) {
			char *var = memdup_str(name, nn);
			const char *val = var ? getenv(var) : NULL;

			free(var);
			if (val) {
				if (buf_puts(&b, val) != C_OK)
					goto fail;
				p = next;
				continue;
			}
		}
		if (name) { /* not substituted: keep "$" + name as written */
			if (buf_append(&b, p, (size_t)(next - p)) != C_OK)
				goto fail;
			p = next;
			continue;
		}
		if (buf_putc(&b, *p++) != C_OK)
			goto fail;
	}
	/* expanduser */
	p = buf_str(&b);
	if (p[0] == '~') {
		const char *slash = strchr(p + 1, '/'), *home = NULL;
		size_t i = slash ? (size_t)(slash - p) : strlen(p), hn;
		struct passwd pw, *pwp = NULL;
		long sz = sysconf(_SC_GETPW_R_SIZE_MAX);

		if (sz < 16384)
			sz = 16384;
		home_buf = malloc((size_t)sz);
		if (!home_buf)
			goto fail;
		if (i == 1) {
			home = getenv("HOME");
			if (!home && getpwuid_r(getuid(), &pw, home_buf, (size_t)sz, &pwp) == 0 && pwp)
				home = pw.pw_dir;
		} else {
			char *user = memdup_str(p + 1, i - 1);

			if (!user)
				goto fail;
			if (getpwnam_r(user, &pw, home_buf, (size_t)sz, &pwp) == 0 && pwp)
				home = pw.pw_dir;
			free(user);
		}
		if (home) {
			hn = strlen(home);
			while (hn > 0 && home[hn - 1] == '/')
				hn--;
			if (buf_append(&out, home, hn) != C_OK || buf_puts(&out, p + i) != C_OK)
				goto fail;
			if (out.len == 0 && buf_putc(&out, '/') != C_OK)
				goto fail;
			res = buf_steal(&out);
			goto done;
		}
	}
	res = buf_steal(&b);
done:
fail:
	free(home_buf);
	buf_free(&b);
	buf_free(&out);
	return res;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Loading */

/* Reads and parses f->path. A path that is not a regular file is "not found"; one that cannot be opened is empty. */
static int load_file(struct ac_file *f, struct awsconfig_err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0, cap;
	int fd = -1, rc = C_ERR;

	f->found = false;
	if (f->path[0] == '\0' || stat(f->path, &st) != 0 || !S_ISREG(st.st_mode))
		return C_OK;
	f->found = true;
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return C_OK; /* configparser's read() skips files it cannot open */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return C_OK;
	}
	if ((uint64_t)st.st_size > AWSCONFIG_MAX_FILE) {
		set_err(err, 0, "Unable to parse config file: %s: larger than %u bytes", f->path, AWSCONFIG_MAX_FILE);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	text = malloc(cap);
	if (!text) {
		set_err(err, 0, "Unable to parse config file: %s: out of memory", f->path);
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) { /* the file grew while being read: grow, zeroing what is left behind */
			size_t ncap = cap * 2 > AWSCONFIG_MAX_FILE + 1 ? AWSCONFIG_MAX_FILE + 1 : cap * 2;
			char *nt;

			if (ncap <= cap) {
				set_err(err, 0, "Unable to parse config file: %s: larger than %u bytes", f->path,
				        AWSCONFIG_MAX_FILE);
				goto out;
			}
			nt = malloc(ncap);
			if (!nt) {
				set_err(err, 0, "Unable to parse config file: %s: out of memory", f->path);
				goto out;
			}
			memcpy(nt, text, len);
			explicit_bzero(text, cap);
			free(text);
			text = nt;
			cap = ncap;
		}
		r = read(fd, text + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_err(err, 0, "Unable to parse config file: %s: %s", f->path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > AWSCONFIG_MAX_FILE) {
		set_err(err, 0, "Unable to parse config file: %s: larger than %u bytes", f->path, AWSCONFIG_MAX_FILE);
		goto out;
	}
	rc = parse_text(f, text, len, err);
out:
	if (text) {
		explicit_bzero(text, cap);
		free(text);
	}
	close(fd);
	return rc;
}

static struct ac_named *named_find(struct ac_named *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Finds or appends name in the list (an existing entry keeps its place, as a Python dict key does). */
static struct ac_named *named_put(struct ac_named **v, size_t *n, size_t *cap, const char *name)
{
	struct ac_named *x = named_find(*v, *n, name);

	if (x)
		return x;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct ac_named *nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	x = &(*v)[*n];
	memset(x, 0, sizeof(*x));
	x->name = strdup(name);
	if (!x->name)
		return NULL;
	(*n)++;
	return x;
}

/* botocore's build_profile_map over the config file, then Session.full_config's merge of the credentials file. */
static int build_profiles(struct awsconfig *cfg)
{
	for (size_t i = 0; i < cfg->f[0].nsec; i++) {
		const struct ac_section *s = &cfg->f[0].sec[i];
		struct ac_named *x = NULL;
		char *word = NULL;

		if (strncmp(s->name, "profile", 7) == 0 || strncmp(s->name, "services", 8) == 0) {
			bool svc = s->name[0] == 's';

			char **argv = NULL, *store = NULL;
			int words = awsconfig_shlex_split(s->name, strlen(s->name), &argv, &store);

			if (words == 2)
				word = strdup(argv[1]);
			free(argv);
			free(store);
			if (words == 2 && !word)
				return C_ERR;
			if (words == 2) {
				x = svc ? named_put(&cfg->svc, &cfg->nsvc, &cfg->svccap, word)
				        : named_put(&cfg->prof, &cfg->nprof, &cfg->profcap, word);
				zfree(word);
				if (!x)
					return C_ERR;
				x->cfg = s;
			} else {
				zfree(word);
			}
		} else if (strcmp(s->name, "default") == 0) {
			x = named_put(&cfg->prof, &cfg->nprof, &cfg->profcap, "default");
			if (!x)
				return C_ERR;
			x->cfg = s;
		}
		/* "sso-session ..." and any other section are not profiles. */
	}
	for (size_t i = 0; i < cfg->f[1].nsec; i++) {
		struct ac_named *x = named_put(&cfg->prof, &cfg->nprof, &cfg->profcap, cfg->f[1].sec[i].name);

		if (!x)
			return C_ERR;
		x->cred = &cfg->f[1].sec[i];
	}
	return C_OK;
}

int awsconfig_load_files(const char *config_path, const char *credentials_path, struct awsconfig **out,
                         struct awsconfig_err *err)
{
	struct awsconfig *cfg = calloc(1, sizeof(*cfg));
	const char *paths[2] = {config_path, credentials_path};

	*out = NULL;
	if (err) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (!cfg) {
		set_err(err, 0, "out of memory");
		return C_ERR;
	}
	for (int i = 0; i < 2; i++) {
		cfg->f[i].path = expand_path(paths[i] ? paths[i] : "");
		if (!cfg->f[i].path) {
			set_err(err, 0, "out of memory (or a path longer than 16 KiB)");
			goto fail;
		}
		if (load_file(&cfg->f[i], err) != C_OK)
			goto fail;
	}
	if (build_profiles(cfg) != C_OK) {
		set_err(err, 0, "out of memory");
		goto fail;
	}
	*out = cfg;
	return C_OK;
fail:
	awsconfig_free(cfg);
	return C_ERR;
}

int awsconfig_load(struct awsconfig **out, struct awsconfig_err *err)
{
	const char *c = getenv("AWS_CONFIG_FILE"), *k = getenv("AWS_SHARED_CREDENTIALS_FILE");

	return awsconfig_load_files(c ? c : "~/.aws/config", k ? k : "~/.aws/credentials", out, err);
}

void awsconfig_free(struct awsconfig *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < 2; i++)
		file_clear(&cfg->f[i]);
	for (size_t i = 0; i < cfg->nprof; i++)
		zfree(cfg->prof[i].name);
	for (size_t i = 0; i < cfg->nsvc; i++)
		zfree(cfg->svc[i].name);
	free(cfg->prof);
	free(cfg->svc);
	free(cfg);
}

const char *awsconfig_path(const struct awsconfig *cfg, int which, bool *found)
{
	const struct ac_file *f = &cfg->f[which ? 1 : 0];

	if (found)
		*found = f->found;
	return f->path;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Lookups */

const char *awsconfig_profile_name(const char *explicit_name, bool *chosen)
{
	const char *v = explicit_name;

	if (!v)
		v = getenv("AWS_DEFAULT_PROFILE");
	if (!v)
		v = getenv("AWS_PROFILE");
	if (chosen)
		*chosen = v != NULL;
	return v ? v : "default";
}

static const struct ac_named *profile_find(const struct awsconfig *cfg, const char *profile)
{
	if (!profile)
		profile = awsconfig_profile_name(NULL, NULL);
	return named_find(cfg->prof, cfg->nprof, profile);
}

bool awsconfig_has_profile(const struct awsconfig *cfg, const char *profile)
{
	return profile_find(cfg, profile) != NULL;
}

size_t awsconfig_profile_count(const struct awsconfig *cfg)
{
	return cfg->nprof;
}

const char *awsconfig_profile_at(const struct awsconfig *cfg, size_t i)
{
	return i < cfg->nprof ? cfg->prof[i].name : NULL;
}

/* A key of section s of file f, the file's [DEFAULT] filling in (configparser's get). */
static const struct ac_entry *file_find(const struct ac_file *f, const struct ac_section *s, const char *key)
{
	const struct ac_entry *e;

	if (!s)
		return NULL;
	e = sec_find(s, key);
	return e ? e : sec_find(&f->defaults, key);
}

/* A profile's key: the credentials file's, else the config file's (full_config's update()). */
static const struct ac_entry *prof_entry(const struct awsconfig *cfg, const struct ac_named *p, const char *key)
{
	const struct ac_entry *e;

	if (!p)
		return NULL;
	e = file_find(&cfg->f[1], p->cred, key);
	return e ? e : file_find(&cfg->f[0], p->cfg, key);
}

static const char *entry_str(const struct ac_entry *e)
{
	return e && !e->nested ? e->value : NULL;
}

const char *awsconfig_get(const struct awsconfig *cfg, const char *profile, const char *key)
{
	return entry_str(prof_entry(cfg, profile_find(cfg, profile), key));
}

bool awsconfig_has(const struct awsconfig *cfg, const char *profile, const char *key)
{
	return prof_entry(cfg, profile_find(cfg, profile), key) != NULL;
}

static const char *entry_sub(const struct ac_entry *e, const char *sub)
{
	if (!e || !e->nested)
		return NULL;
	for (size_t i = 0; i < e->nsubs; i++)
		if (strcmp(e->subs[i].key, sub) == 0)
			return e->subs[i].value;
	return NULL;
}

const char *awsconfig_get_nested(const struct awsconfig *cfg, const char *profile, const char *key, const char *sub)
{
	return entry_sub(prof_entry(cfg, profile_find(cfg, profile), key), sub);
}

const char *awsconfig_region(const struct awsconfig *cfg, const char *profile)
{
	const char *v = getenv("AWS_REGION");

	if (v && *v)
		return v;
	v = getenv("AWS_DEFAULT_REGION");
	if (v && *v)
		return v;
	return awsconfig_get(cfg, profile, "region");
}

int awsconfig_endpoint_url(const struct awsconfig *cfg, const char *profile, const char *service, const char **url,
                           struct awsconfig_err *err)
{
	const struct ac_named *p = profile_find(cfg, profile);
	const char *ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), *v, *svcname;
	char env[128];
	size_t i;

	*url = NULL;
	if (!ignore)
		ignore = entry_str(prof_entry(cfg, p, "ignore_configured_endpoint_urls"));
	if (ignore && strcasecmp(ignore, "true") == 0)
		return C_OK;
	/* AWS_ENDPOINT_URL_<SERVICE>: the snake_case id upper-cased */
	i = (size_t)snprintf(env, sizeof(env), "AWS_ENDPOINT_URL_");
	for (const char *c = service; *c && i + 1 < sizeof(env); c++)
		env[i++] = (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : (*c == '-' ? '_' : *c);
	env[i] = '\0';
	if ((v = getenv(env)) && *v)
		goto found;
	if ((v = getenv("AWS_ENDPOINT_URL")) && *v)
		goto found;
	svcname = entry_str(prof_entry(cfg, p, "services"));
	if (prof_entry(cfg, p, "services")) {
		const struct ac_named *s = svcname ? named_find(cfg->svc, cfg->nsvc, svcname) : NULL;

		if (!s || (s->cfg->n == 0 && cfg->f[0].defaults.n == 0)) { /* botocore: "if not services_section" */
			set_err(err, 0,
			        "The profile is configured to use the services section but the \"%s\" services "
			        "configuration does not exist.",
			        svcname ? svcname : "");
			return C_ERR;
		}
		if ((v = entry_sub(file_find(&cfg->f[0], s->cfg, service), "endpoint_url")) && *v)
			goto found;
	}
	if ((v = entry_str(prof_entry(cfg, p, "endpoint_url"))) && *v)
		goto found;
	return C_OK;
found:
	*url = v;
	return C_OK;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Chains: botocore's AssumeRoleProvider and ProfileProviderBuilder */

static bool has_static(const struct awsconfig *cfg, const struct ac_named *p)
{
	return prof_entry(cfg, p, "aws_access_key_id") || prof_entry(cfg, p, "aws_secret_access_key");
}

static bool has_role(const struct awsconfig *cfg, const struct ac_named *p)
{
	return prof_entry(cfg, p, "role_arn") && !prof_entry(cfg, p, "web_identity_token_file");
}

/*
 * Static keys of p in file f (SharedCredentialProvider for the credentials file, ConfigProvider for the config
 * file): 1 when found (link filled), 0 when the file has no aws_access_key_id for p, -1 on partial keys.
 */
static int static_from(const struct awsconfig *cfg, int which, const struct ac_named *p, struct awsconfig_link *l,
                       struct awsconfig_err *err)
{
	const struct ac_file *f = &cfg->f[which];
	const struct ac_section *s = which ? p->cred : p->cfg;
	const char *tok;

	if (!file_find(f, s, "aws_access_key_id"))
		return 0;
	if (!file_find(f, s, "aws_secret_access_key")) {
		set_err(err, 0, "Partial credentials found in %s, missing: aws_secret_access_key (profile \"%s\" in %s)",
		        which ? "shared-credentials-file" : "config-file", p->name, f->path);
		return -1;
	}
	l->kind = AWSCONFIG_LINK_STATIC;
	l->profile = p->name;
	l->access_key_id = entry_str(file_find(f, s, "aws_access_key_id"));
	l->secret_access_key = entry_str(file_find(f, s, "aws_secret_access_key"));
	tok = entry_str(file_find(f, s, "aws_security_token"));
	l->session_token = file_find(f, s, "aws_security_token") ? tok : entry_str(file_find(f, s, "aws_session_token"));
	l->keys_path = f->path;
	if (!l->access_key_id || !l->secret_access_key) {
		set_err(err, 0, "The keys of profile \"%s\" in %s are not plain values", p->name, f->path);
		return -1;
	}
	return 1;
}

/*
 * A profile's own credentials (the profile providers, in botocore's order: web identity, SSO, credentials file,
 * login, credential_process, config file). 1 (link filled), 0 (none), -1 (err filled).
 */
static int own_credentials(const struct awsconfig *cfg, const struct ac_named *p, struct awsconfig_link *l,
                           struct awsconfig_err *err)
{
	const char *v;
	int r;

	if ((v = entry_str(prof_entry(cfg, p, "web_identity_token_file"))) && *v) {
		/* AssumeRoleWithWebIdentityProvider: the role and the token file, the session name optional */
		l->kind = AWSCONFIG_LINK_WEB_IDENTITY;
		l->profile = p->name;
		l->web_identity_token_file = v;
		l->role_arn = entry_str(prof_entry(cfg, p, "role_arn"));
		l->role_session_name = entry_str(prof_entry(cfg, p, "role_session_name"));
		if (!l->role_arn || !*l->role_arn) {
			set_err(err, 0, "The provided profile or the current environment is configured to assume role with web "
			        "identity but has no role ARN configured. Ensure that the profile has the role_arn "
			        "configuration set or the AWS_ROLE_ARN env var is set. (profile \"%s\")", p->name);
			return -1;
		}
		return 1;
	}
	if (prof_entry(cfg, p, "sso_role_name") || prof_entry(cfg, p, "sso_account_id")) {
		set_err(err, 0, "Profile \"%s\" is configured for SSO (sso_account_id, sso_role_name), which rolegate "
		        "does not support", p->name);
		return -1;
	}
	if ((r = static_from(cfg, 1, p, l, err)) != 0)
		return r;
	if (prof_entry(cfg, p, "login_session")) {
		set_err(err, 0, "Profile \"%s\" uses login_session, which rolegate does not support", p->name);
		return -1;
	}
	if (prof_entry(cfg, p, "credential_process")) {
		v = entry_str(prof_entry(cfg, p, "credential_process"));
		if (!v || !*v) {
			set_err(err, 0, "The credential_process of profile \"%s\" is empty", p->name);
			return -1;
		}
		l->kind = AWSCONFIG_LINK_PROCESS;
		l->profile = p->name;
		l->credential_process = v;
		return 1;
	}
	return static_from(cfg, 0, p, l, err);
}

/* int(duration_seconds) as Python parses it: optional sign, digits with single underscores between them. */
static bool parse_int(const char *s, int64_t *out)
{
	int64_t v = 0;
	bool neg = false, digit = false;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '_' && digit && s[1] >= '0' && s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9')
			return false;
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*s - '0');
		digit = true;
	}
	*out = neg ? -v : v;
	return digit;
}

/* "a -> b -> a": the visited profiles and the one met again; a path too long for dst keeps its ends around "...". */
static void describe_loop(char *dst, size_t cap, const char **visited, size_t n, const char *again)
{
	size_t len = 0, total = strlen(again);

	for (size_t i = 0; i < n; i++)
		total += strlen(visited[i]) + 4;
	dst[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++) {
		if (total >= cap && n > 6 && i == 3) {
			len += (size_t)snprintf(dst + len, cap - len, "... -> ");
			i = n - 4;
			continue;
		}
		len += (size_t)snprintf(dst + len, cap - len, "%s -> ", visited[i]);
	}
	if (len < cap)
		snprintf(dst + len, cap - len, "%s", again);
}

int awsconfig_resolve(const struct awsconfig *cfg, const char *profile, struct awsconfig_chain *chain,
                      struct awsconfig_err *err)
{
	bool chosen = true;
	const char *name = profile ? profile : awsconfig_profile_name(NULL, &chosen);
	const struct ac_named *p = named_find(cfg->prof, cfg->nprof, name);
	const char **visited = NULL;
	size_t nvisited = 0, cap = cfg->nprof + 3;
	struct awsconfig_link *links = NULL;
	size_t n = 0;
	bool top = true;
	int r;

	chain->links = NULL;
	chain->n = 0;
	if (err) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (!p) {
		if (chosen)
			set_err(err, 0, "The config profile (%s) could not be found", name);
		else
			set_err(err, 0, "Unable to locate credentials: no profile \"default\" in %s or %s", cfg->f[0].path,
			        cfg->f[1].path);
		return C_ERR;
	}
	links = calloc(cap, sizeof(*links));
	visited = calloc(cap, sizeof(*visited));
	if (!links || !visited) {
		set_err(err, 0, "out of memory");
		goto fail;
	}
	visited[nvisited++] = p->name;
	for (;;) {
		struct awsconfig_link *l = &links[n];
		const struct ac_entry *sp, *cs;
		const char *v;

		/*
		 * The profile asked for assumes its role whenever it has one; a source profile only when it has no static
		 * keys of its own (AssumeRoleProvider._resolve_credentials_from_profile).
		 */
		if (!has_role(cfg, p) || (!top && has_static(cfg, p))) {
			r = own_credentials(cfg, p, l, err);
			if (r < 0)
				goto fail;
			if (r == 0) {
				if (top)
					set_err(err, 0, "Unable to locate credentials for profile \"%s\": it has no role_arn, "
					        "credential_process or aws_access_key_id", p->name);
				else
					set_err(err, 0, "The source profile \"%s\" must have credentials.", p->name);
				goto fail;
			}
			n++;
			break;
		}
		top = false;
		l->kind = AWSCONFIG_LINK_ASSUME_ROLE;
		l->profile = p->name;
		l->role_arn = entry_str(prof_entry(cfg, p, "role_arn"));
		l->mfa_serial = entry_str(prof_entry(cfg, p, "mfa_serial"));
		l->mfa_process = entry_str(prof_entry(cfg, p, "mfa_process"));
		l->external_id = entry_str(prof_entry(cfg, p, "external_id"));
		l->role_session_name = entry_str(prof_entry(cfg, p, "role_session_name"));
		l->source_identity = entry_str(prof_entry(cfg, p, "source_identity"));
		if ((v = entry_str(prof_entry(cfg, p, "duration_seconds"))) && parse_int(v, &l->duration_seconds))
			l->has_duration = true;
		if (!l->role_arn) {
			set_err(err, 0, "The role_arn of profile \"%s\" is not a plain value", p->name);
			goto fail;
		}
		n++;
		sp = prof_entry(cfg, p, "source_profile");
		cs = prof_entry(cfg, p, "credential_source");
		if (sp && cs) {
			set_err(err, 0, "The profile \"%s\" contains both source_profile and credential_source.", p->name);
			goto fail;
		}
		if (!sp && !cs) {
			set_err(err, 0, "Partial credentials found in assume-role, missing: source_profile or "
			        "credential_source (profile \"%s\")", p->name);
			goto fail;
		}
		if (cs) {
			v = entry_str(cs);
			if (!v || (strcmp(v, "Environment") != 0 && strcmp(v, "EcsContainer") != 0 &&
			           strcmp(v, "Ec2InstanceMetadata") != 0)) {
				set_err(err, 0, "The credential source \"%s\" referenced in profile \"%s\" is not valid.",
				        v ? v : "", p->name);
				goto fail;
			}
			if (strcmp(v, "Environment") != 0) {
				set_err(err, 0, "The credential source \"%s\" referenced in profile \"%s\" is not supported by "
				        "rolegate (only Environment is).", v, p->name);
				goto fail;
			}
			links[n].kind = AWSCONFIG_LINK_ENVIRONMENT;
			links[n].profile = p->name;
			n++;
			break;
		}
		/* AssumeRoleProvider._validate_source_profile */
		v = entry_str(sp);
		{
			const struct ac_named *src = v ? named_find(cfg->prof, cfg->nprof, v) : NULL;
			bool seen = false;

			if (!src) {
				set_err(err, 0, "The source_profile \"%s\" referenced in the profile \"%s\" does not exist.",
				        v ? v : "", p->name);
				goto fail;
			}
			for (size_t i = 0; i < nvisited; i++)
				seen = seen || visited[i] == src->name;
			/* A profile may source itself when it holds static keys; any other return is a loop. */
			if (seen && (src != p || !has_static(cfg, src))) {
				char path[512];

				describe_loop(path, sizeof(path), visited, nvisited, src->name);
				set_err(err, 0, "Infinite loop in credential configuration detected. Attempting to load from "
				        "profile \"%s\" which has already been visited: %s", src->name, path);
				goto fail;
			}
			if (nvisited == cap || n + 2 > cap) { /* cannot happen: each profile is visited once, plus one self */
				set_err(err, 0, "credential chain too long");
				goto fail;
			}
			visited[nvisited++] = src->name;
			p = src;
		}
	}
	free(visited);
	chain->links = links;
	chain->n = n;
	return C_OK;
fail:
	free(visited);
	free(links);
	return C_ERR;
}

void awsconfig_chain_free(struct awsconfig_chain *chain)
{
	if (!chain)
		return;
	free(chain->links);
	chain->links = NULL;
	chain->n = 0;
}

int awsconfig_chain_describe(const struct awsconfig_chain *chain, struct buf *out)
{
	for (size_t i = 0; i < chain->n; i++) {
		const struct awsconfig_link *l = &chain->links[i];

		if (l->kind == AWSCONFIG_LINK_ENVIRONMENT)
			return buf_puts(out, i ? " (credentials from the environment)" : "(credentials from the environment)");
		if (buf_printf(out, "%s%s", i ? " -> " : "", l->profile) != C_OK)
			return C_ERR;
		if (l->kind == AWSCONFIG_LINK_STATIC)
			return buf_printf(out, " (static keys, %s)", l->keys_path);
		if (l->kind == AWSCONFIG_LINK_PROCESS)
			return buf_puts(out, " (credential_process)");
		if (l->kind == AWSCONFIG_LINK_WEB_IDENTITY)
			return buf_printf(out, " (web identity token %s)", l->web_identity_token_file);
	}
	return C_OK;
}
