#!/bin/sh
# install-deps.sh - installs exactly the Debian packages rolegate needs, and nothing when they are all present.
#
#   scripts/install-deps.sh [build|test|bench|fuzz]...     (default: build)
#
# Called by `make` (build), `make test` (build + test), `make bench` and `make fuzz`. Idempotent: it asks dpkg
# which packages are missing and only then runs apt-get (as root, or through sudo when available).
set -eu

build_pkgs="gcc make pkg-config libc6-dev libmicrohttpd-dev libsqlite3-dev libpq-dev libssl-dev libjansson-dev libpcre2-dev libqrencode-dev zlib1g-dev libcurl4-openssl-dev libinih-dev libxml2-dev libxmlsec1-dev"
# libxmlsec1-dev (with libxml2-dev): the XML signatures of SAML responses (src/federation/saml.c).
# mandoc, zsh and fish: tests/e2e/test_cli_docs.py lints rolegate(1) and runs the shell completions.
# systemd: systemd-analyze, which tests/e2e/test_systemd_unit.py runs on contrib/systemd/rolegate.service.
# haproxy: the proxy in front of the server in tests/e2e/test_proxy.py; python3-prometheus-client parses /metrics.
# chromium, chromium-driver, python3-selenium: the web console's browser tests (tests/e2e/console_browser.py).
# postgresql-15 (and its client): the PostgreSQL the e2e tests start (tests/e2e/pgkit.py); haproxy also fronts the
# nodes of tests/e2e/test_cluster.py.
test_pkgs="libcmocka-dev python3-pytest libfaketime golang-go golang-github-aws-aws-sdk-go-v2-dev mandoc zsh fish systemd haproxy python3-prometheus-client chromium chromium-driver python3-selenium postgresql-15 postgresql-client-15 xmlsec1"
# xmlsec1: the test SAML identity provider signs its assertions with it (tests/e2e/samlidp.py).
# The policy engine's differential test (tests/difftest/) runs its oracle on node >= 18 and installs it with npm:
# asked for only when the commands are missing, so that a node from elsewhere (with its own npm) stays as it is.
command -v node >/dev/null 2>&1 || test_pkgs="$test_pkgs nodejs"
command -v npm >/dev/null 2>&1 || test_pkgs="$test_pkgs npm"
# postgresql-15, its client and haproxy: bench/run.sh's j, jp, k and ep (a PostgreSQL of its own, nodes behind HAProxy).
bench_pkgs="wrk postgresql-15 postgresql-client-15 haproxy"
fuzz_pkgs="clang libclang-rt-14-dev"

want=""
[ $# -eq 0 ] && set -- build
for what in "$@"; do
	case "$what" in
	build) want="$want $build_pkgs" ;;
	test) want="$want $build_pkgs $test_pkgs" ;;
	bench) want="$want $build_pkgs $bench_pkgs" ;;
	fuzz) want="$want $build_pkgs $fuzz_pkgs" ;;
	*) echo "install-deps.sh: unknown set '$what'" >&2; exit 2 ;;
	esac
done

# One dpkg-query for all of them: the packages it reports as installed are removed from the list.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $want 2>/dev/null | awk '/install ok installed/ {print $1}')
missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	echo "$installed" | grep -qx "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps.sh: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "install-deps.sh: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $sudo apt-get install -y --no-install-recommends $missing >/dev/null; then
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y --no-install-recommends $missing >/dev/null
fi
