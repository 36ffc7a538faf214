# rolegate - the front door. Each target first makes sure the Debian packages it needs are present
# (scripts/install-deps.sh, quick when they are), then runs the real rules in build.mk.
#
#   make              build build/rolegate (optimised)
#   make test         build with ASan+UBSan, run the C unit tests and the end-to-end tests (real AWS clients)
#   make bench        benchmarks (wrk against the server); prints ratios against the bare-HTTP ceiling
#   make fuzz         libFuzzer targets (clang), FUZZ_SECONDS each
#   make difftest     differential test of the policy engine against the oracle (@cloud-copilot/iam-simulate,
#                     installed with npm into build/difftest/oracle/): DIFFTEST_CASES (100000) cases of DIFFTEST_SEED
#   make install      build, then install build/rolegate to PREFIX/bin (PREFIX=/usr/local), rolegate(1) to
#                     PREFIX/share/man/man1 and the bash, zsh and fish completions under PREFIX/share; DESTDIR=DIR
#                     stages it all under DIR (for packaging)
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

DIFFTEST_CASES ?= 100000
DIFFTEST_SEED ?= 1

# run.py installs the pinned oracle first when it is missing (tests/difftest/install-oracle.sh) and prints
# "difftest SKIPPED: <why>" and fails when it cannot (no node >= 18, no npm, no registry).
difftest:
	@scripts/install-deps.sh test
	@$(SUBMAKE) release
	@python3 tests/difftest/run.py -n $(DIFFTEST_CASES) --seed $(DIFFTEST_SEED) --minimize 100 --rolegate build/rolegate

install:
	@scripts/install-deps.sh build
	@$(SUBMAKE) install

clean:
	rm -rf build

.PHONY: all test unit bench fuzz difftest install clean
