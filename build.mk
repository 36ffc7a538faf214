# build.mk - the rules. Called through the Makefile, after scripts/install-deps.sh.

PKGS := libmicrohttpd sqlite3 libpq libcrypto jansson libpcre2-8 libqrencode zlib libcurl inih xmlsec1-openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libmicrohttpd, libcurl and libpq are compiled against but not linked: they are loaded on first use (src/util/dynlib.h)
PKG_LIBS := $(shell pkg-config --libs $(filter-out libmicrohttpd libcurl libpq,$(PKGS)))

CC ?= cc
# Quiet by default ("  CC src/x.c"); make V=1 shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n'
endif
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
        -Wno-missing-field-initializers
BASE_CFLAGS := -std=c17 $(WARN) -D_GNU_SOURCE -Isrc -pthread -MMD -MP $(PKG_CFLAGS)
LIBS := $(PKG_LIBS) -pthread -lm

SRCS := $(sort $(shell find src -name '*.c' ! -name main.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

.DEFAULT_GOAL := release

# The console's static files, embedded as C arrays (src/console/assets.h) by a generated source file.
ASSETS := $(sort $(wildcard src/console/assets/*))
GEN_ASSETS := build/gen/console_assets.c
SRCS += $(GEN_ASSETS)

$(GEN_ASSETS): $(ASSETS) tools/embed-assets.sh
	$(say) GEN $@
	$(Q)sh tools/embed-assets.sh $@ $(ASSETS)

# The HTML report's template (src/analyze/assets.h), embedded the same way under analyze_* names.
ANALYZE_ASSETS := $(sort $(wildcard src/analyze/assets/*))
GEN_ANALYZE_ASSETS := build/gen/analyze_assets.c
SRCS += $(GEN_ANALYZE_ASSETS)

$(GEN_ANALYZE_ASSETS): $(ANALYZE_ASSETS) tools/embed-assets.sh
	$(say) GEN $@
	$(Q)sh tools/embed-assets.sh $@.in $(ANALYZE_ASSETS)
	$(Q)sed -e 's/console_assets\[\]/analyze_assets[]/; s/console_nassets/analyze_nassets/; s/^#include "console\/assets.h"/#include "analyze\/assets.h"/' $@.in >$@.tmp && mv $@.tmp $@ && rm -f $@.in

# --- release: build/rolegate ----------------------------------------------------------------------------------
R := build/release
R_CFLAGS := $(BASE_CFLAGS) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
R_OBJS := $(SRCS:%.c=$(R)/%.o)

release: build/rolegate

build/rolegate: $(R_OBJS) $(R)/src/main.o
	$(say) LINK $@
	$(Q)$(CC) -o $@ $^ $(LIBS)

$(R)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(R_CFLAGS) -c -o $@ $<

# --- asan: build/asan/rolegate and the unit tests -------------------------------------------------------------
A := build/asan
A_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
A_CFLAGS := $(BASE_CFLAGS) $(A_FLAGS)
A_OBJS := $(SRCS:%.c=$(A)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(A)/tests/%)

asan: $(A)/rolegate
unit: $(UNIT_BINS)

$(A)/rolegate: $(A_OBJS) $(A)/src/main.o
	$(say) LINK $@
	$(Q)$(CC) $(A_FLAGS) -o $@ $^ $(LIBS)

$(A)/librolegate.a: $(A_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(A)/tests/%: tests/unit/%.c $(A)/librolegate.a
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(A_CFLAGS) -Itests/unit -o $@ $< $(A)/librolegate.a $(LIBS) $(shell pkg-config --libs cmocka)

$(A)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(A_CFLAGS) -c -o $@ $<

# --- bench and fuzz -------------------------------------------------------------------------------------------
bench-tools: build/bench/http-ceiling build/bench/policy-bench

build/bench/policy-bench: bench/policy_bench.c $(R_OBJS)
	@mkdir -p $(dir $@)
	$(say) LINK $@
	$(Q)$(CC) $(R_CFLAGS) -o $@ $^ $(LIBS)

build/bench/http-ceiling: bench/ceiling.c $(R_OBJS)
	@mkdir -p $(dir $@)
	$(say) LINK $@
	$(Q)$(CC) $(R_CFLAGS) -o $@ $^ $(LIBS)

fuzzers:
	@$(MAKE) --no-print-directory -f fuzz/fuzz.mk

# --- install: the binary, the man page and the shell completions under DESTDIR + PREFIX ---------------------------
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
INSTALL ?= install

install: build/rolegate
	$(say) INSTALL $(DESTDIR)$(PREFIX)
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	$(Q)$(INSTALL) -m 0755 build/rolegate $(DESTDIR)$(BINDIR)/rolegate
	$(Q)$(INSTALL) -m 0644 docs/rolegate.1 $(DESTDIR)$(MANDIR)/man1/rolegate.1
	$(Q)$(INSTALL) -m 0644 contrib/completion/rolegate.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/rolegate
	$(Q)$(INSTALL) -m 0644 contrib/completion/_rolegate $(DESTDIR)$(DATADIR)/zsh/site-functions/_rolegate
	$(Q)$(INSTALL) -m 0644 contrib/completion/rolegate.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/rolegate.fish

-include $(R_OBJS:.o=.d) $(A_OBJS:.o=.d) $(R)/src/main.d $(A)/src/main.d

.PHONY: release asan unit bench-tools fuzzers install
