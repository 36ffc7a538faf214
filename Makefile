# rolegate - the front door. Each target first makes sure the Debian packages it needs are present
# (scripts/install-deps.sh, quick when they are), then runs the real rules in build.mk.
#
#   make              build build/rolegate (optimised)
#   make test         build with ASan+UBSan, run the C unit tests and the end-to-end tests (real AWS clients)
#   make bench        benchmarks (wrk against the server); prints ratios against the bare-HTTP ceiling
#   make fuzz         libFuzzer targets (clang), FUZZ_SECONDS each
#   make clean

SUBMAKE = $(MAKE) --no-print-directory -f build.mk

all:
	@scripts/install-deps.sh build
	@$(SUBMAKE) release

test:
	@scripts/install-deps.sh test
	@$(SUBMAKE) asan unit
	@tests/run-tests.sh

unit:
	@scripts/install-deps.sh test
	@$(SUBMAKE) unit
	@tests/run-tests.sh --unit-only

bench:
	@scripts/install-deps.sh bench
	@$(SUBMAKE) release bench-tools
	@bench/run.sh

fuzz:
	@scripts/install-deps.sh fuzz
	@$(SUBMAKE) fuzzers
	@fuzz/run.sh

clean:
	rm -rf build

.PHONY: all test unit bench fuzz clean
