/*
 * rowcache.c - read results kept per data version (rowcache.h).
 *
 * A rowset is one allocation: the header, then nrows * ncols cells, then the bytes of the text cells. It never
 * changes once built, so holders read it without locks; the slot lock only guards the slot's pointer and the
 * reference count's first increment.
 */
#include "store/rowcache.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/common.h"

struct cell {
	int64_t i;
	uint32_t off; /* into the rowset's bytes */
	uint32_t len;
	uint8_t type; /* enum db_type */
};

struct rowset {
	atomic_size_t refs;
	uint64_t version;
	size_t size; /* of the whole allocation, for wiping */
	size_t nrows;
	int ncols;
	struct cell *cells;
	char *bytes;
	uint8_t *key;
	size_t key_len;
	/* cells, bytes and key follow */
};

struct slot {
	pthread_mutex_t mu;
	struct rowset *rs;
};

/* Every table's lookups (the metrics read them). */
static _Atomic uint64_t lookups_hit, lookups_missed;

struct rowcache {
	size_t mask;
	struct slot *slots;
};

struct rowset_builder {
	int ncols;
	struct buf cells; /* struct cell after struct cell */
	struct buf bytes; /* the cells' bytes, each NUL-terminated */
	bool too_big;
};

struct rowcache *rowcache_new(size_t slots)
{
	struct rowcache *rc = calloc(1, sizeof(*rc));
	size_t n = 1;

	if (!rc)
		return NULL;
	while (n < slots)
		n <<= 1;
	rc->slots = calloc(n, sizeof(*rc->slots));
	if (!rc->slots) {
		free(rc);
		return NULL;
	}
	rc->mask = n - 1;
	for (size_t i = 0; i < n; i++)
		pthread_mutex_init(&rc->slots[i].mu, NULL);
	return rc;
}

void rowcache_free(struct rowcache *rc)
{
	if (!rc)
		return;
	for (size_t i = 0; i <= rc->mask; i++) {
		rowset_release(rc->slots[i].rs);
		pthread_mutex_destroy(&rc->slots[i].mu);
	}
	free(rc->slots);
	free(rc);
}

/* Appends n bytes to the key; C_ERR when they do not fit. */
static int key_put(struct rowcache_key *k, const void *p, size_t n)
{
	if (n > sizeof(k->buf) - k->len)
		return C_ERR;
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	return C_OK;
}

int rowcache_key(const char *sql, const struct db_val *args, size_t nargs, struct rowcache_key *k)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	k->len = 0;
	if (key_put(k, &sql, sizeof(sql)) != C_OK)
		return C_ERR;
	for (size_t i = 0; i < nargs; i++) {
		uint8_t type = (uint8_t)args[i].type;
		uint32_t len = (uint32_t)args[i].len;
		if (key_put(k, &type, 1) != C_OK)
			return C_ERR;
		if (args[i].type == DB_T_INT) {
			if (key_put(k, &args[i].i, sizeof(args[i].i)) != C_OK)
				return C_ERR;
		} else if (args[i].type == DB_T_TEXT || args[i].type == DB_T_BLOB) {
			if (args[i].len > UINT32_MAX || key_put(k, &len, sizeof(len)) != C_OK ||
			    key_put(k, args[i].p, args[i].len) != C_OK)
				return C_ERR;
		}
	}
	for (size_t i = 0; i < k->len; i++)
		h = (h ^ k->buf[i]) * 1099511628211ULL;
	k->hash = h ^ (h >> 29);
	return C_OK;
}

struct rowset *rowcache_get(struct rowcache *rc, const struct rowcache_key *k, uint64_t version)
{
	struct slot *s = &rc->slots[k->hash & rc->mask];
	struct rowset *rs;

	pthread_mutex_lock(&s->mu);
	rs = s->rs;
	if (rs && rs->version == version && rs->key_len == k->len && memcmp(rs->key, k->buf, k->len) == 0)
		atomic_fetch_add(&rs->refs, 1);
	else
		rs = NULL;
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add_explicit(rs ? &lookups_hit : &lookups_missed, 1, memory_order_relaxed);
	return rs;
}

void rowcache_counts(uint64_t *hits, uint64_t *misses)
{
	*hits = atomic_load_explicit(&lookups_hit, memory_order_relaxed);
	*misses = atomic_load_explicit(&lookups_missed, memory_order_relaxed);
}

void rowcache_put(struct rowcache *rc, uint64_t hash, uint64_t version, struct rowset *rs)
{
	struct slot *s = &rc->slots[hash & rc->mask];
	struct rowset *old;

	rs->version = version;
	pthread_mutex_lock(&s->mu);
	old = s->rs;
	s->rs = rs;
	pthread_mutex_unlock(&s->mu);
	rowset_release(old); /* outside the lock: it may be the last reference */
}

size_t rowset_rows(const struct rowset *rs) { return rs->nrows; }

static const struct cell *cell_at(const struct rowset *rs, size_t row, int col)
{
	static const struct cell null_cell = {.type = DB_T_NULL};

	if (row >= rs->nrows || col < 0 || col >= rs->ncols)
		return &null_cell;
	return &rs->cells[row * (size_t)rs->ncols + (size_t)col];
}

enum db_type rowset_type(const struct rowset *rs, size_t row, int col)
{
	return (enum db_type)cell_at(rs, row, col)->type;
}

bool rowset_is_null(const struct rowset *rs, size_t row, int col)
{
	return cell_at(rs, row, col)->type == DB_T_NULL;
}

int64_t rowset_int(const struct rowset *rs, size_t row, int col) { return cell_at(rs, row, col)->i; }

const char *rowset_text(const struct rowset *rs, size_t row, int col, size_t *len)
{
	const struct cell *c = cell_at(rs, row, col);

	if (len)
		*len = c->type == DB_T_NULL ? 0 : c->len;
	return c->type == DB_T_NULL ? NULL : rs->bytes + c->off;
}

void rowset_release(struct rowset *rs)
{
	if (!rs || atomic_fetch_sub(&rs->refs, 1) != 1)
		return;
	explicit_bzero(rs, rs->size); /* results may hold sealed secrets: wiped all the same */
	free(rs);
}

struct rowset_builder *rowset_builder_new(int ncols)
{
	struct rowset_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ncols = ncols;
	buf_init(&b->cells, ROWCACHE_ENTRY_MAX);
	buf_init(&b->bytes, ROWCACHE_ENTRY_MAX);
	return b;
}

int rowset_builder_cell(struct rowset_builder *b, enum db_type type, int64_t i, const void *p, size_t len)
{
	char num[24];
	struct cell c = {.i = i, .type = (uint8_t)type};

	if (b->too_big)
		return C_ERR;
	if (type == DB_T_INT) { /* SQLite gives an integer's text form too: its decimal digits */
		len = (size_t)snprintf(num, sizeof(num), "%" PRId64, i);
		p = num;
	} else if (type == DB_T_NULL) {
		len = 0;
	} else if (!p) {
		len = 0;
		p = "";
	}
	c.off = (uint32_t)b->bytes.len;
	c.len = (uint32_t)len;
	if (sizeof(struct rowset) + b->cells.len + sizeof(c) + b->bytes.len + len + 1 > ROWCACHE_ENTRY_MAX ||
	    buf_append(&b->cells, &c, sizeof(c)) != C_OK ||
	    (type != DB_T_NULL && (buf_append(&b->bytes, p, len) != C_OK || buf_putc(&b->bytes, '\0') != C_OK))) {
		b->too_big = true;
		return C_ERR;
	}
	return C_OK;
}

void rowset_builder_free(struct rowset_builder *b)
{
	if (!b)
		return;
	buf_free_secret(&b->cells);
	buf_free_secret(&b->bytes);
	free(b);
}

struct rowset *rowset_builder_finish(struct rowset_builder *b, const struct rowcache_key *k)
{
	size_t ncells = b->cells.len / sizeof(struct cell), nbytes = b->bytes.len, size;
	struct rowset *rs = NULL;

	if (b->too_big || b->ncols <= 0 || ncells % (size_t)b->ncols != 0)
		goto done;
	size = sizeof(*rs) + b->cells.len + nbytes + k->len;
	rs = malloc(size);
	if (!rs)
		goto done;
	memset(rs, 0, sizeof(*rs));
	atomic_init(&rs->refs, 1);
	rs->size = size;
	rs->ncols = b->ncols;
	rs->nrows = ncells / (size_t)b->ncols;
	rs->cells = (struct cell *)(rs + 1);
	rs->bytes = (char *)(rs->cells + ncells);
	if (ncells)
		memcpy(rs->cells, b->cells.p, b->cells.len);
	if (nbytes)
		memcpy(rs->bytes, b->bytes.p, nbytes);
	rs->key = (uint8_t *)rs->bytes + nbytes;
	rs->key_len = k->len;
	memcpy(rs->key, k->buf, k->len);
done:
	rowset_builder_free(b);
	return rs;
}
