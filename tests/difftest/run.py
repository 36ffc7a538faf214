#!/usr/bin/env python3
"""run.py - differential testing of rolegate's policy engine against the oracle (@cloud-copilot/iam-simulate).

    python3 tests/difftest/run.py -n 100000 --seed 1            generate and compare 100 000 cases
    python3 tests/difftest/run.py --cases FILE                  compare the cases of FILE (a JSON array, JSON lines,
                                                                or a disagreements.json written by an earlier run)
    python3 tests/difftest/run.py -n 20000 --minimize 50        and shrink 50 disagreements, sorted into patterns
    python3 tests/difftest/run.py -n 5000 --oracle-only         the oracle alone: its answers' distribution

Prints one summary line, "difftest: N cases, N agree, N disagree, N excluded, N oracle-rejected", after the result
distribution, the speed and (when there are disagreements) their patterns. Writes build/difftest/disagreements.json
(each disagreement: the case, the oracle's answer and rolegate's) and build/difftest/summary.json.

A case the oracle rejects (Strict-mode validation: unknown action, resource of no resource type of the action...)
or evaluates without some of its context keys (they do not apply to the action) counts as "oracle-rejected", never
as an agreement. A disagreement that matches an entry of docs/policy-divergences.md (predicate in divergences.py) is
"excluded". Exit status: 0 when nothing disagrees; 1 on any unexplained disagreement, when more than
--max-rejected of the cases were rejected, or when nothing was compared; 2 on a usage or harness error; 3 when the
oracle cannot be had here (no node/npm/registry): the line "difftest SKIPPED: <why>" says why.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import divergences  # noqa: E402
import gen  # noqa: E402

ORACLE = os.path.join(HERE, "oracle.mjs")
RESULTS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")


class Skip(Exception):
    """The oracle cannot be had here."""


# -- documented divergences ------------------------------------------------------------------------------------------

def load_divergences(path):
    """The entries of docs/policy-divergences.md: every ```json block that has an "id"."""
    if not os.path.exists(path):
        return []
    text = open(path, encoding="utf-8").read()
    entries = []
    for m in re.finditer(r"^```json[ \t]*\n(.*?)^```", text, re.S | re.M):
        try:
            obj = json.loads(m.group(1))
        except json.JSONDecodeError as e:
            raise SystemExit(f"run.py: {path}: a json block does not parse: {e}")
        if isinstance(obj, dict) and "id" in obj:
            entries.append(obj)
    ids = [e["id"] for e in entries]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"run.py: {path}: duplicate divergence ids: {sorted(dup)}")
    missing = [i for i in ids if i not in divergences.PREDICATES]
    orphans = [i for i in divergences.PREDICATES if i not in ids]
    if missing or orphans:
        raise SystemExit("run.py: docs/policy-divergences.md and tests/difftest/divergences.py disagree: "
                         f"entries without a predicate {missing}, predicates without an entry {orphans}")
    return entries


def excluded_by(entries, case, oracle_result, rolegate_result):
    for e in entries:
        if "oracle" in e and oracle_result not in e["oracle"]:
            continue
        if "rolegate" in e and rolegate_result not in e["rolegate"]:
            continue
        if divergences.PREDICATES[e["id"]](case, e.get("match", {})):
            return e["id"]
    return None


# -- running the two engines -----------------------------------------------------------------------------------------

def write_cases(path, cases):
    with open(path, "w") as f:
        f.write("[\n")
        for i, c in enumerate(cases):
            f.write((",\n" if i else "") + json.dumps(c, separators=(",", ":")))
        f.write("\n]\n")


def run_oracle(path, timeout):
    p = subprocess.run(["node", ORACLE, path], capture_output=True, text=True, timeout=timeout)
    if p.returncode == 3:
        raise Skip(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "the oracle is not installed")
    if p.returncode != 0:
        raise RuntimeError(f"oracle.mjs exited {p.returncode}: {p.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def run_rolegate(binary, cases, tmpdir, timeout, budget=None):
    """rolegate's answers, one per case. A batch that fails as a whole (a crash, or fewer lines than cases) is split
    in halves until the case that breaks it is alone; that case's answer is then {"result": "Error", ...}. When more
    than 16 single cases fail that way, the failure is not the cases' (a sanitizer report at exit, a binary that cannot
    run...): the rest of the batch is then answered with that failure, without splitting further."""
    if budget is None:
        budget = {"left": 16}
    path = os.path.join(tmpdir, f"rg-{os.getpid()}-{time.monotonic_ns()}.json")
    write_cases(path, cases)
    try:
        p = subprocess.run([binary, "policy", "eval", path], capture_output=True, text=True, timeout=timeout)
        crashed, why = False, ""
        lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    except subprocess.TimeoutExpired:
        p, crashed, why, lines = None, True, f"timed out after {timeout}s", []
    finally:
        os.unlink(path)
    if p is not None and p.returncode not in (0, 2):
        crashed, why = True, f"exit status {p.returncode}: {p.stderr.strip()[-1500:]}"
    if not crashed and len(lines) == len(cases):
        out = []
        stderr_by_case = {}
        for m in re.finditer(r"^rolegate policy eval: case (\d+): (.*)$", p.stderr or "", re.M):
            stderr_by_case[int(m.group(1))] = m.group(2)
        for i, ln in enumerate(lines):
            try:
                o = json.loads(ln)
            except json.JSONDecodeError:
                o = {"result": "Error", "error": f"not JSON: {ln[:300]}"}
            if i in stderr_by_case:
                o["stderr"] = stderr_by_case[i]
            out.append(o)
        return out
    if not why:
        why = f"{len(lines)} output lines for {len(cases)} cases; stderr: {p.stderr.strip()[-1500:]}"
    if len(cases) == 1 or budget["left"] <= 0:
        budget["left"] -= 1
        return [{"result": "Error", "error": why} for _ in cases]
    half = len(cases) // 2
    return (run_rolegate(binary, cases[:half], tmpdir, timeout, budget) +
            run_rolegate(binary, cases[half:], tmpdir, timeout, budget))


def oracle_rejection(o):
    """None when the oracle evaluated the case as generated, else a short reason."""
    if o.get("result") not in RESULTS:
        errs = o.get("errors") or {}
        msg = errs.get("message", "rejected")
        if msg == "policy.errors":
            for k, v in errs.items():
                if k.endswith("Errors") and v:
                    first = v if isinstance(v, list) else next(iter(v.values()))
                    msg += f" ({k}: {first[0].get('message') if first and isinstance(first[0], dict) else first})"
                    break
        if msg == "exception":
            msg += ": " + str(errs.get("exception"))[:200]
        return msg
    if o.get("ignoredContextKeys"):
        return "context keys that do not apply to the action: " + ", ".join(sorted(o["ignoredContextKeys"]))
    return None


def compare(cases, oracle_out, rolegate_out, entries):
    """Per-case verdicts: ("agree"|"disagree"|"excluded"|"rejected", detail)."""
    verdicts = []
    for i, c in enumerate(cases):
        o = oracle_out[i] if i < len(oracle_out) else {"result": None, "errors": {"message": "no answer"}}
        why = oracle_rejection(o)
        if why:
            verdicts.append(("rejected", why))
            continue
        if rolegate_out is None:
            verdicts.append(("oracle-only", None))
            continue
        g = rolegate_out[i]
        if g.get("result") == o["result"]:
            verdicts.append(("agree", None))
            continue
        ex = excluded_by(entries, c, o["result"], g.get("result"))
        verdicts.append(("excluded", ex) if ex else ("disagree", None))
    return verdicts


# -- one chunk (runs in a worker process) ------------------------------------------------------------------------------

def run_chunk(job):
    """Generates (or takes) a chunk of cases, runs both engines, compares. Returns counts and the disagreements."""
    t0 = time.monotonic()
    cases = job["cases"] if job.get("cases") is not None else list(
        gen.generate(job["seed"], job["n"], job["start"], job["known_gaps"]))
    t_gen = time.monotonic() - t0
    with tempfile.TemporaryDirectory(prefix="difftest-") as tmp:
        path = os.path.join(tmp, "cases.json")
        write_cases(path, cases)
        t1 = time.monotonic()
        oracle_out = run_oracle(path, job["timeout"])
        t_oracle = time.monotonic() - t1
        if len(oracle_out) != len(cases):
            raise RuntimeError(f"oracle.mjs gave {len(oracle_out)} answers for {len(cases)} cases")
        rolegate_out, t_rg = None, 0.0
        if job["rolegate"]:
            t2 = time.monotonic()
            rolegate_out = run_rolegate(job["rolegate"], cases, tmp, job["timeout"])
            t_rg = time.monotonic() - t2
    verdicts = compare(cases, oracle_out, rolegate_out, job["entries"])
    res = {"n": len(cases), "verdicts": collections.Counter(v for v, _ in verdicts),
           "oracle_results": collections.Counter(), "rolegate_results": collections.Counter(),
           "rejections": collections.Counter(), "excluded_by": collections.Counter(),
           "features_all": collections.Counter(), "disagreements": [], "rejected_examples": [],
           "t_gen": t_gen, "t_oracle": t_oracle, "t_rolegate": t_rg}
    for i, (v, detail) in enumerate(verdicts):
        c, o = cases[i], oracle_out[i]
        res["features_all"].update(c.get("features", ()))
        if v == "rejected":
            res["rejections"][detail] += 1
            if len(res["rejected_examples"]) < 3:
                res["rejected_examples"].append({"case": c, "oracle": o})
            continue
        res["oracle_results"][o["result"]] += 1
        if rolegate_out is not None:
            res["rolegate_results"][rolegate_out[i].get("result")] += 1
        if v == "excluded":
            res["excluded_by"][detail] += 1
        if v == "disagree":
            res["disagreements"].append({"case": c, "oracle": o, "rolegate": rolegate_out[i]})
    return res


def load_case_file(path):
    text = open(path, encoding="utf-8").read()
    s = text.lstrip()
    if s.startswith("["):
        items = json.loads(text)
    elif s.startswith("{") and "\n{" not in s.strip():
        items = [json.loads(text)]
    else:
        items = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
    # disagreements.json / minimized.json hold {"case": ..., "oracle": ..., "rolegate": ...}
    return [it["case"] if isinstance(it, dict) and "case" in it and "request" not in it else it for it in items]


# -- patterns of disagreement ----------------------------------------------------------------------------------------

def signature(d):
    """What kind of disagreement: the two answers, and how the oracle's layers came out."""
    o, g = d["oracle"], d["rolegate"]
    det = o.get("detail", {})
    layers = " ".join(f"{k}={v}" for k, v in sorted(det.items()) if k not in ("sameAccount", "blockedBy"))
    scen = next((f for f in d["case"].get("features", ()) if f.startswith("scenario:")), "")
    return (f"oracle {o['result']} / rolegate {g.get('result')}",
            f"{'same' if det.get('sameAccount') else 'cross'}-account {scen} {layers}".strip())


def feature_lift(disagreements, features_all, total, min_count=3):
    """Features over-represented among disagreements: (lift, count in disagreements, count overall, feature)."""
    dis = collections.Counter(f for d in disagreements for f in d["case"].get("features", ()))
    nd = len(disagreements)
    out = []
    for f, k in dis.items():
        if k < min_count:
            continue
        lift = (k / nd) / (features_all[f] / total)
        out.append((lift, k, features_all[f], f))
    out.sort(reverse=True)
    return out


# -- minimization ----------------------------------------------------------------------------------------------------

PROTECTED = {("request", "action"), ("request", "principal"), ("request", "resource"),
             ("request", "resource", "resource"), ("request", "resource", "accountId"), ("request",)}


def deletions(obj, path=()):
    """Paths of the nodes of a case that can be deleted (dict entries and list items), outermost first."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = path + (k,)
            # Version stays: without it a policy is a 2008-10-17 one, where ${...} is not a variable.
            if p in PROTECTED or k in ("Effect", "Version", "name") or (len(path) == 0 and k == "features"):
                pass
            else:
                yield p
            yield from deletions(v, p)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield path + (i,)
            yield from deletions(v, path + (i,))


def delete_at(obj, path):
    obj = json.loads(json.dumps(obj))
    node = obj
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    return obj


class Engines:
    """Both engines for small batches: a persistent oracle process fed JSON lines, rolegate once per batch."""

    def __init__(self, rolegate, tmpdir, timeout):
        self.rolegate, self.tmpdir, self.timeout = rolegate, tmpdir, timeout
        self.oracle = subprocess.Popen(["node", ORACLE, "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, bufsize=1)

    def oracle_batch(self, cases):
        out = []
        for s in range(0, len(cases), 200):  # small slices: neither pipe fills while the other side waits
            part = cases[s:s + 200]
            self.oracle.stdin.write("".join(json.dumps(c, separators=(",", ":")) + "\n" for c in part))
            self.oracle.stdin.flush()
            out.extend(json.loads(self.oracle.stdout.readline()) for _ in part)
        return out

    def both(self, cases):
        return self.oracle_batch(cases), run_rolegate(self.rolegate, cases, self.tmpdir, self.timeout)

    def close(self):
        self.oracle.stdin.close()
        self.oracle.wait(timeout=30)


def minimize(engines, items, window=24, max_rounds=400):
    """Greedy deletion: repeatedly drops the largest part of each case whose removal keeps the same pair of answers
    (and keeps the case valid for the oracle). All cases advance together: each round tries, for every case, its next
    `window` candidates (biggest removals first) in one batch; a case whose candidates all fail is minimal."""
    cur = []
    for it in items:
        st = {"case": it["case"], "want": (it["oracle"]["result"], it["rolegate"].get("result")),
              "oracle": it["oracle"], "rolegate": it["rolegate"], "done": False}
        cur.append(st)

    def candidates(case):
        cands = []
        for p in deletions(case):
            try:
                cands.append(delete_at(case, p))
            except (KeyError, IndexError):
                continue
        cands.sort(key=lambda c: len(json.dumps(c)))
        return cands

    for st in cur:
        st["cands"], st["at"] = candidates(st["case"]), 0
    for _ in range(max_rounds):
        batch, owners = [], []
        for idx, st in enumerate(cur):
            if st["done"]:
                continue
            part = st["cands"][st["at"]:st["at"] + window]
            if not part:
                st["done"] = True
            batch.extend(part)
            owners.extend([idx] * len(part))
        if not batch:
            break
        outs_o, outs_g = engines.both(batch)
        chosen = {}
        for c, idx, o, g in zip(batch, owners, outs_o, outs_g):
            if idx in chosen or oracle_rejection(o):
                continue
            if (o.get("result"), g.get("result")) == cur[idx]["want"]:
                chosen[idx] = (c, o, g)
        for idx in set(owners):
            st = cur[idx]
            if idx in chosen:
                st["case"], st["oracle"], st["rolegate"] = chosen[idx]
                st["cands"], st["at"] = candidates(st["case"]), 0
            else:
                st["at"] += window
    out = []
    for st in cur:
        c = dict(st["case"])
        c.pop("features", None)
        out.append({"case": c, "oracle": st["oracle"], "rolegate": st["rolegate"]})
    return out


OPERATOR_FAMILIES = [("StringEquals", "String"), ("StringNotEquals", "String"), ("StringLike", "String"),
                     ("StringNotLike", "String"), ("Numeric", "Numeric"), ("Date", "Date"), ("Bool", "Bool"),
                     ("BinaryEquals", "Binary"), ("IpAddress", "IPAddress"), ("NotIpAddress", "IPAddress"),
                     ("Arn", "ARN"), ("Null", "Null")]


def operator_family(op):
    base = op.split(":")[-1]
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
    for prefix, fam in OPERATOR_FAMILIES:
        if base.startswith(prefix):
            return base, fam
    return base, "?"


def shape(d):
    """The pattern of a (minimized) disagreement, from what the minimal case still holds. The most telling facts win:
    policy variables in a policy that is not 2012-10-17; an operator applied to a key of another type; special values
    (0.0.0.0/0); else the condition operators and qualifiers; else (no condition left: evaluation logic) the policy
    layers, Not* elements, the principal's kind and the account relation."""
    c = d["case"]
    strong, ops, logic = set(), set(), set()
    for layer, doc in divergences.policies(c):
        logic.add(layer)
        if not isinstance(doc, dict):
            continue
        version = doc.get("Version", "(no Version)")
        if version != "2012-10-17" and divergences.uses_variables(doc):
            strong.add(f"policy variables in a {version} policy")
        for st in divergences.statements(doc):
            if not isinstance(st, dict):
                continue
            for el in ("NotAction", "NotResource", "NotPrincipal"):
                if el in st:
                    logic.add(el)
            cond = st.get("Condition") or {}
            for op, block in cond.items():
                base, fam = operator_family(op)
                for key in (block if isinstance(block, dict) else {}):
                    kt = gen.key_type(key)
                    kbase = kt[len("ArrayOf"):] if kt.startswith("ArrayOf") else kt
                    if fam not in ("Null", "Binary", "?") and fam != kbase:
                        strong.add(f"{fam} operator on a {kt} key")
                    elif kt.startswith("ArrayOf") and ":" not in op:
                        strong.add(f"{base} without a set operator on a multivalued key")
                    else:
                        ops.add(op.replace("IfExists", "") + ("(IfExists)" if op.endswith("IfExists") else ""))
            if re.search(r'"0\.0\.0\.0/0"', json.dumps(cond)):
                strong.add("IPv4 CIDR 0.0.0.0/0")
            for v in re.findall(r"\$\{([^}]*)\}", json.dumps(st)):
                ops.add("${" + v.split(",")[0].split("/")[0] + ("/..." if "/" in v else "") +
                        (", default" if "," in v else "") + "}")
    if strong:
        return "; ".join(sorted(strong))
    kind = divergences.principal_kind(c)
    acct = "same account" if divergences.same_account(c) else "cross-account"
    if ops:
        return "conditions/variables: " + ", ".join(sorted(ops))
    return f"evaluation logic: {kind}, {acct}, layers " + "+".join(sorted(logic))


# -- main ------------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5000, help="number of cases to generate (default 5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", help="compare the cases of this file instead of generating")
    ap.add_argument("--rolegate", default=os.path.join(REPO, "build", "rolegate"), help="the rolegate binary")
    ap.add_argument("--oracle-only", action="store_true", help="run the oracle alone (no rolegate)")
    ap.add_argument("--no-known-gaps", action="store_true", help="generate no gap:* features (see gen.py)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="worker processes")
    ap.add_argument("--chunk", type=int, default=2500, help="cases per worker batch")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "difftest"), help="output directory")
    ap.add_argument("--divergences", default=os.path.join(REPO, "docs", "policy-divergences.md"))
    ap.add_argument("--minimize", type=int, default=0, metavar="N",
                    help="shrink N of the disagreements (spread over their kinds) and sort them into patterns: "
                         "OUT/minimized.json")
    ap.add_argument("--max-rejected", type=float, default=0.01,
                    help="fail when more than this fraction of the cases is oracle-rejected (default 0.01)")
    ap.add_argument("--no-install", action="store_true", help="do not run install-oracle.sh first")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per engine run of one batch")
    ap.add_argument("--quiet", action="store_true", help="only the summary line (and SKIPPED/errors)")
    ap.add_argument("--coverage", action="store_true", help="also print how many cases exercise each feature")
    a = ap.parse_args()

    def say(*args):
        if not a.quiet:
            print(*args, flush=True)

    try:
        entries = load_divergences(a.divergences)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    rolegate = None
    if not a.oracle_only:
        rolegate = os.path.abspath(a.rolegate)
        if not os.access(rolegate, os.X_OK):
            print(f"run.py: {rolegate} is not there: build it first (make)", file=sys.stderr)
            return 2
        probe = subprocess.run([rolegate, "policy", "eval", "--help"], capture_output=True, text=True)
        if probe.returncode != 0 or "policy eval" not in probe.stdout:
            print(f"run.py: {rolegate} has no 'policy eval' command", file=sys.stderr)
            return 2
    if not a.no_install:
        p = subprocess.run([os.path.join(HERE, "install-oracle.sh")], capture_output=True, text=True)
        if p.returncode == 3:
            print(f"difftest SKIPPED: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else 'no oracle'}")
            return 3
        if p.returncode != 0:
            print(f"run.py: install-oracle.sh failed ({p.returncode}): {p.stderr.strip()}", file=sys.stderr)
            return 2

    jobs = []
    common = {"rolegate": rolegate, "entries": entries, "timeout": a.timeout}
    if a.cases:
        cases = load_case_file(a.cases)
        for s in range(0, len(cases), a.chunk):
            jobs.append(dict(common, cases=cases[s:s + a.chunk]))
        origin = f"cases from {a.cases}"
    else:
        for s in range(0, a.n, a.chunk):
            jobs.append(dict(common, cases=None, seed=a.seed, start=s, n=min(a.chunk, a.n - s),
                             known_gaps=not a.no_known_gaps))
        origin = f"seed {a.seed}" + (", no known gaps" if a.no_known_gaps else "")

    t0 = time.monotonic()
    total = collections.Counter()
    agg = {k: collections.Counter() for k in ("verdicts", "oracle_results", "rolegate_results", "rejections",
                                              "excluded_by", "features_all")}
    disagreements, rejected_examples = [], []
    times = collections.Counter()
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            for res in ex.map(run_chunk, jobs):
                total["n"] += res["n"]
                for k in agg:
                    agg[k].update(res[k])
                disagreements.extend(res["disagreements"])
                rejected_examples.extend(res["rejected_examples"][: max(0, 5 - len(rejected_examples))])
                for k in ("t_gen", "t_oracle", "t_rolegate"):
                    times[k] += res[k]
    except Skip as e:
        print(f"difftest SKIPPED: {e}")
        return 3
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    wall = time.monotonic() - t0

    n = total["n"]
    v = agg["verdicts"]
    agree, disagree, excluded, rejected = v["agree"], v["disagree"], v["excluded"], v["rejected"]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "disagreements.json"), "w") as f:
        json.dump(disagreements, f, indent=1)

    def dist(counter):
        tot = sum(counter.values()) or 1
        return ", ".join(f"{k} {c} ({100.0 * c / tot:.1f}%)" for k, c in counter.most_common())

    say(f"difftest: {origin}; {n} cases in {wall:.1f}s ({n / wall if wall else 0:.0f} cases/s; "
        f"worker time: generate {times['t_gen']:.1f}s, oracle {times['t_oracle']:.1f}s, "
        f"rolegate {times['t_rolegate']:.1f}s; {a.jobs} jobs)")
    say(f"difftest: oracle results: {dist(agg['oracle_results'])}")
    if rolegate:
        say(f"difftest: rolegate results: {dist(agg['rolegate_results'])}")
    if a.coverage:
        say("difftest: cases per feature (a case has many):")
        for f, c in sorted(agg["features_all"].items()):
            say(f"    {c:8d}  {f}")
    if rejected:
        say(f"difftest: ORACLE-REJECTED {rejected} cases (the generator should make none):")
        for why, c in agg["rejections"].most_common(10):
            say(f"    {c:6d}  {why}")
    if excluded:
        say("difftest: excluded (documented divergences): " +
            ", ".join(f"{k} {c}" for k, c in agg["excluded_by"].most_common()))
    if disagree:
        pairs = collections.Counter(signature(d)[0] for d in disagreements)
        say(f"difftest: disagreements by answers: " + "; ".join(f"{k}: {c}" for k, c in pairs.most_common()))
        sigs = collections.Counter(signature(d) for d in disagreements)
        say("difftest: top disagreement patterns (answers | oracle's view of the layers):")
        for (ans, lay), c in sigs.most_common(8):
            say(f"    {c:6d}  {ans} | {lay}")
        say("difftest: features over-represented among disagreements (lift, in disagreements, overall):")
        for lift, k, allk, f in feature_lift(disagreements, agg["features_all"], n)[:10]:
            say(f"    {lift:5.1f}x {k:6d} {allk:7d}  {f}")
        say(f"difftest: every disagreement (case and both answers): {os.path.join(a.out, 'disagreements.json')}")

    summary = {"origin": origin, "cases": n, "agree": agree, "disagree": disagree, "excluded": excluded,
               "oracle_rejected": rejected, "wall_seconds": round(wall, 1), "oracle_results": agg["oracle_results"],
               "rolegate_results": agg["rolegate_results"], "rejections": agg["rejections"],
               "excluded_by": agg["excluded_by"], "rejected_examples": rejected_examples,
               "features": dict(sorted(agg["features_all"].items())),
               "oracle_version": open(os.path.join(HERE, "oracle-version")).read().strip()}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

    if a.minimize and disagreements and rolegate:
        # The smallest disagreements first, spread over the answer/layer signatures.
        groups = collections.defaultdict(list)
        for d in disagreements:
            groups[signature(d)].append(d)
        for items in groups.values():
            items.sort(key=lambda d: len(json.dumps(d["case"])))
        picked, depth = [], 0
        while len(picked) < a.minimize and any(len(v) > depth for v in groups.values()):
            for items in groups.values():
                if depth < len(items) and len(picked) < a.minimize:
                    picked.append(items[depth])
            depth += 1
        t1 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="difftest-min-") as tmp:
            eng = Engines(rolegate, tmp, a.timeout)
            try:
                small = minimize(eng, picked)
            finally:
                eng.close()
        for d, s in zip(picked, small):
            s["pattern"] = shape(s)
            s["from"] = d["case"].get("name")
            s["features"] = d["case"].get("features")
        by_pattern = collections.defaultdict(list)
        for s in small:
            by_pattern[s["pattern"]].append(s)
        ordered = sorted(by_pattern.items(), key=lambda kv: -len(kv[1]))
        with open(os.path.join(a.out, "minimized.json"), "w") as f:
            json.dump([s for _, items in ordered for s in sorted(items, key=lambda s: len(json.dumps(s["case"])))],
                      f, indent=1)
        say(f"difftest: minimized {len(small)} of the {len(disagreements)} disagreements in "
            f"{time.monotonic() - t1:.1f}s; their patterns (what the minimal cases still hold):")
        for pat, items in ordered[:20]:
            answers = collections.Counter(f"{s['oracle']['result']}->{s['rolegate'].get('result')}" for s in items)
            say(f"    {len(items):5d}  {pat}   [oracle->rolegate: " +
                ", ".join(f"{k} {v}" for k, v in answers.most_common()) + "]")
        say(f"difftest: the minimal cases, by pattern: {os.path.join(a.out, 'minimized.json')}")
    elif disagreements and rolegate:
        say("difftest: (--minimize N shrinks N of them and sorts them into patterns)")

    compared = "oracle-only" if not rolegate else f"{agree} agree, {disagree} disagree, {excluded} excluded"
    print(f"difftest: {n} cases, {compared}, {rejected} oracle-rejected")
    status = 0
    if rolegate and disagree:
        status = 1
    if n and rejected > a.max_rejected * n:
        print(f"difftest: FAIL: {rejected} of {n} cases oracle-rejected (more than {a.max_rejected:.1%})")
        status = 1
    if rolegate and agree + disagree + excluded == 0:
        print("difftest: FAIL: no case was compared")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
