# fuzz.mk - the libFuzzer targets, built with clang into build/fuzz/. Called by build.mk's `fuzzers` (make fuzz).
#
# Every fuzz/fuzz_NAME.c becomes build/fuzz/fuzz_NAME. The src files the targets reach (the AWS protocol layer, the
# policy engine, the SAML reader (src/federation) and their utilities: no server, store or HTTP code) are compiled
# here again with the fuzzer's coverage instrumentation and the sanitizers, never taken from the gcc objects of build.mk; each target links the
# archive of them (and takes only the objects it references). The targets of the client's parsers (fuzz_awsconfig,
# fuzz_sts_xml, fuzz_cache_json) #include their src/cli module to reach its statics, so src/cli is not in the
# archive; fuzz_forwarded #includes src/http/forwarded.c (the rest of src/http is the server's); libcurl is linked for sts_client.c's transport, which they never call.

FUZZ_CC ?= clang
F := build/fuzz

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n'
endif

FUZZ_PKGS := libcrypto jansson libpcre2-8 libcurl inih xmlsec1-openssl
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1 -std=c17 -D_GNU_SOURCE -Isrc
# libpq's headers only: fuzz_config includes src/server/config.c, whose store/pq_api.h names libpq's types (libpq
# itself is loaded on first use by the server and never linked, here as in build.mk)
FUZZ_CFLAGS := $(FUZZ_FLAGS) -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -MMD -MP $(shell pkg-config --cflags $(FUZZ_PKGS) libpq)
FUZZ_LIBS := $(shell pkg-config --libs $(FUZZ_PKGS)) -lm -pthread

FUZZ_SRCS := $(sort $(wildcard src/aws/*.c src/aws/models/*.c src/util/*.c src/policy/*.c src/federation/*.c))
FUZZ_OBJS := $(FUZZ_SRCS:%.c=$(F)/obj/%.o)
FUZZ_TARGETS := $(patsubst fuzz/%.c,$(F)/%,$(sort $(wildcard fuzz/fuzz_*.c)))

all: $(FUZZ_TARGETS)

$(F)/libfuzzsrc.a: $(FUZZ_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(F)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CLANG $<
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(F)/fuzz_%: fuzz/fuzz_%.c $(F)/libfuzzsrc.a
	@mkdir -p $(dir $@)
	$(say) FUZZ $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MF $@.d -o $@ $< $(F)/libfuzzsrc.a $(FUZZ_LIBS)

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_TARGETS:=.d)

.PHONY: all
