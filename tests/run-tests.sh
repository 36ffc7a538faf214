#!/bin/sh
# run-tests.sh - runs every test and ends with one summary line: "N passed, N failed".
#
#   tests/run-tests.sh               C unit tests (build/asan/tests/*), the end-to-end tests (pytest), then a
#                                    5 000-case sample of the policy engine's differential test
#   tests/run-tests.sh --unit-only   only the C unit tests
#
# The unit tests are cmocka programs; each prints its own "[  PASSED  ]" lines. The end-to-end tests start
# build/asan/rolegate on ephemeral ports and drive it with boto3 and the aws CLI. The differential test
# (tests/difftest/run.py; `make difftest` runs 100 000 cases) compares build/asan/rolegate's policy decisions with the
# oracle's and counts as one test: it fails on any unexplained disagreement, and also when it cannot run (no node,
# npm or registry: "difftest SKIPPED: <why>").
#
# The end-to-end tests run twice: on SQLite (every file), then with ROLEGATE_TEST_STORE=postgres (every server on a
# database of one PostgreSQL 15 the run starts and stops: tests/e2e/pgkit.py) on the files listed in
# tests/e2e/postgres_files.txt (ROLEGATE_PG_FILES=all: every file; tests marked sqlite_only are skipped there).
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
failed_names=""

for t in build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	out=$(mktemp)
	if CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$out" 2>&1; then
		status=ok
	else
		status=fail
	fi
	n_ok=$(grep -c '^\[       OK \]' "$out" || true)
	n_bad=$(grep -c '^\[  FAILED  \] ' "$out" || true)
	if [ "$status" = fail ] && [ "$n_bad" -eq 0 ]; then
		n_bad=1 # crashed or sanitizer report: count the program as one failure
	fi
	if [ "$status" = fail ]; then
		cat "$out"
		failed_names="$failed_names $(basename "$t")"
	else
		tail -n 1 "$out" | sed "s|^|$(basename "$t"): |"
	fi
	passed=$((passed + n_ok))
	failed=$((failed + n_bad))
	rm -f "$out"
done

# Adds one pytest run's counts (its output file $1) to passed/failed.
e2e_count() {
	# pytest's last line: "3 failed, 40 passed, 1 error in 12.3s"
	summary=$(grep -E ' in [0-9.]+s' "$1" | tail -n 1)
	e2e_pass=$(echo "$summary" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
	e2e_fail=$(echo "$summary" | grep -Eo '[0-9]+ (failed|errors?)' | awk '{s+=$1} END {print s+0}')
	if ! grep -Eq '[0-9]+ (passed|failed|skipped)' "$1"; then
		e2e_fail=$((e2e_fail + 1)) # pytest could not run at all
		failed_names="$failed_names pytest"
	fi
	[ "${e2e_fail:-0}" -gt 0 ] && failed_names="$failed_names $2"
	passed=$((passed + e2e_pass))
	failed=$((failed + ${e2e_fail:-0}))
}

if [ "${1:-}" != "--unit-only" ] && [ -d tests/e2e ]; then
	# The Terraform tests (minutes of provider start-ups, mostly waiting) run beside the rest of the suite, each
	# pytest with its own temporary directory.
	out=$(mktemp) tf_out=$(mktemp) tmp_a=$(mktemp -d) tmp_b=$(mktemp -d)
	ROLEGATE_BIN="$PWD/build/asan/rolegate" python3 tests/e2e/run_pytest.py -q -rs --basetemp "$tmp_b" \
		tests/e2e/test_terraform_example.py tests/e2e/test_terraform_broker.py tests/e2e/test_generate_terraform.py \
		tests/e2e/test_oidc_terraform.py tests/e2e/test_saml_terraform.py >"$tf_out" 2>&1 &
	tf_pid=$!
	ROLEGATE_BIN="$PWD/build/asan/rolegate" python3 tests/e2e/run_pytest.py -q -rs --basetemp "$tmp_a" \
		--ignore tests/e2e/test_terraform_example.py --ignore tests/e2e/test_terraform_broker.py \
		--ignore tests/e2e/test_generate_terraform.py --ignore tests/e2e/test_oidc_terraform.py \
		--ignore tests/e2e/test_saml_terraform.py tests/e2e 2>&1 |
		tee "$out"
	wait "$tf_pid" || true
	echo "---- tests/e2e/test_terraform_example.py tests/e2e/test_terraform_broker.py tests/e2e/test_generate_terraform.py" \
		"tests/e2e/test_oidc_terraform.py tests/e2e/test_saml_terraform.py"
	cat "$tf_out"
	e2e_count "$out" e2e
	e2e_count "$tf_out" e2e-terraform
	rm -rf "$out" "$tf_out" "$tmp_a" "$tmp_b"

	# The same tests with every server on PostgreSQL: the files of tests/e2e/postgres_files.txt (one a line, #
	# comments), or all of them with ROLEGATE_PG_FILES=all.
	if [ "${ROLEGATE_PG_FILES:-}" = all ]; then
		pg_files="tests/e2e"
	else
		pg_files=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' -e 's|^|tests/e2e/|' tests/e2e/postgres_files.txt)
	fi
	if [ -n "$pg_files" ]; then
		out=$(mktemp) tmp_a=$(mktemp -d)
		echo "---- end-to-end tests on PostgreSQL (ROLEGATE_TEST_STORE=postgres)"
		# shellcheck disable=SC2086
		ROLEGATE_TEST_STORE=postgres ROLEGATE_BIN="$PWD/build/asan/rolegate" python3 tests/e2e/run_pytest.py -q -rs \
			--basetemp "$tmp_a" $pg_files 2>&1 | tee "$out"
		e2e_count "$out" e2e-postgres
		rm -rf "$out" "$tmp_a"
	fi
fi

if [ "${1:-}" != "--unit-only" ] && [ -f tests/difftest/run.py ]; then
	out=$(mktemp)
	python3 tests/difftest/run.py -n "${DIFFTEST_SAMPLE:-5000}" --seed 1 --minimize 20 --rolegate build/asan/rolegate \
		>"$out" 2>&1
	status=$?
	cat "$out"
	if [ "$status" -eq 0 ]; then
		passed=$((passed + 1))
	else
		grep -q '^difftest SKIPPED' "$out" || [ "$status" -ne 3 ] || echo "difftest SKIPPED: the oracle is not available"
		failed=$((failed + 1))
		failed_names="$failed_names difftest"
	fi
	rm -f "$out"
fi

echo
[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
