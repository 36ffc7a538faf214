"""divergences.py - the machine-readable side of docs/policy-divergences.md.

docs/policy-divergences.md lists the documented divergences: patterns of cases where we are sure that the oracle
(@cloud-copilot/iam-simulate) answers differently from AWS, each with the AWS documentation that says so. Each entry
is a section holding one fenced ```json block:

    {"id": "root-user-own-account",
     "oracle": ["ImplicitlyDenied"],          optional: the oracle's answers in this pattern
     "rolegate": ["Allowed"],                 optional: rolegate's answers (AWS's, per the cited documentation)
     "match": {"principalKind": "root"}}      the parameters of the entry's predicate

and this module holds one predicate per id, registered with @predicate("id"). run.py excludes a disagreeing case
when an entry's predicate says the case is in its pattern and both answers are the ones the entry names. A case that
agrees is an agreement, pattern or not. run.py refuses to run when an entry has no predicate or a predicate no entry,
so the document and the code cannot drift apart.

A predicate is f(case, match) -> bool: `case` is the case as generated (its "features" list included), `match` the
entry's "match" object. Keep each one as narrow as the documented behaviour: it decides which disagreements nobody
looks at again. The helpers below read the common facts of a case.
"""
import json
import re

PREDICATES = {}


def predicate(entry_id):
    """Registers f(case, match) -> bool as the predicate of the divergence `entry_id`."""

    def register(f):
        if entry_id in PREDICATES:
            raise ValueError(f"divergence {entry_id} has two predicates")
        PREDICATES[entry_id] = f
        return f

    return register


# -- helpers for predicates ----------------------------------------------------------------------------------------

def principal_kind(case):
    """user, role, assumed-role, federated-user, root or service, from the request's principal."""
    p = case["request"]["principal"]
    if not isinstance(p, str):
        return "anonymous"
    if not p.startswith("arn:"):
        return "service"
    if p.endswith(":root"):
        return "root"
    for kind, marker in (("assumed-role", ":assumed-role/"), ("federated-user", ":federated-user/"),
                         ("user", ":user/"), ("role", ":role/")):
        if marker in p:
            return kind
    return "unknown"


def principal_account(case):
    p = case["request"]["principal"]
    if not isinstance(p, str):
        return None
    parts = p.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def same_account(case):
    return principal_account(case) == case["request"]["resource"]["accountId"]


def has_feature(case, name):
    return name in case.get("features", ())


def policies(case):
    """Every (layer, policy document) of the case; layer is identity, boundary, session, resource, scp or rcp."""
    for doc in case.get("identityPolicies") or []:
        yield "identity", doc
    for doc in case.get("permissionBoundaries") or []:
        yield "boundary", doc
    if case.get("sessionPolicy") is not None:
        yield "session", case["sessionPolicy"]
    if case.get("resourcePolicy") is not None:
        yield "resource", case["resourcePolicy"]
    for layer in ("serviceControlPolicies", "resourceControlPolicies"):
        for level in case.get(layer) or []:
            for doc in level.get("policies") or []:
                yield ("scp" if layer.startswith("service") else "rcp"), doc


def statements(doc):
    st = doc.get("Statement", [])
    return st if isinstance(st, list) else [st]


def values(v):
    return v if isinstance(v, list) else [v]


def uses_variables(doc):
    return re.search(r"\$\{", json.dumps(doc)) is not None


def conditions(doc):
    """(operator as written, key, [values]) of every condition of a policy document."""
    for st in statements(doc):
        for op, block in (st.get("Condition") or {}).items():
            for key, vals in block.items():
                yield op, key, values(vals)


def base_operator(op):
    """StringEquals of "ForAnyValue:StringEqualsIfExists"."""
    base = op.split(":", 1)[1] if ":" in op else op
    return base[:-8] if base.lower().endswith("ifexists") else base


def context_values(case, key):
    """The request's values for a condition key (keys compare without regard to case), or None."""
    for k, v in (case["request"].get("context") or {}).items():
        if k.lower() == key.lower():
            return [str(x) for x in values(v)]
    return None


# -- the documented divergences (one predicate per entry of docs/policy-divergences.md) -------------------------------

@predicate("ipv4-prefix-zero")
def ipv4_prefix_zero(case, match):
    """Some IP address condition has an IPv4 network of prefix length 0 among its values."""
    ops = {o.lower() for o in match["operators"]}
    pattern = re.compile(match["value"])
    return any(base_operator(op).lower() in ops and any(pattern.match(str(v)) for v in vals)
               for _, doc in policies(case) for op, _, vals in conditions(doc))


@predicate("variables-in-2008-policy")
def variables_in_2008_policy(case, match):
    """A policy whose Version is not 2012-10-17 (or absent) holds ${...}."""
    return any(doc.get("Version") != "2012-10-17" and uses_variables(doc) for _, doc in policies(case))


def _operator_on_unparsable(case, match, parsable):
    """A condition with one of match's operators whose request value (or policy value) is not parsable."""
    ops = {o.lower() for o in match["operators"]}
    for _, doc in policies(case):
        for op, key, vals in conditions(doc):
            if base_operator(op).lower() not in ops:
                continue
            req = context_values(case, key) or []
            if any(not parsable(v) for v in req) or any(not parsable(str(v)) for v in vals):
                return True
    return False


@predicate("numeric-operator-non-number")
def numeric_operator_non_number(case, match):
    number = re.compile(match["number"])
    return _operator_on_unparsable(case, match, lambda v: number.match(v) is not None)


@predicate("date-operator-non-date")
def date_operator_non_date(case, match):
    """A Date operator meets a value that is not ISO 8601, or an epoch integer (which the oracle reads as ms)."""
    iso = re.compile(match["iso8601"])
    return _operator_on_unparsable(case, match, lambda v: iso.match(v) is not None)


@predicate("session-arn-in-resource-policy")
def session_arn_in_resource_policy(case, match):
    """A same-account role or federated-user session with a session policy, and a resource policy allowing that very
    session ARN."""
    if principal_kind(case) not in ("assumed-role", "federated-user") or not same_account(case):
        return False
    if case.get("sessionPolicy") is None or case.get("resourcePolicy") is None:
        return False
    who = case["request"]["principal"]
    for st in statements(case["resourcePolicy"]):
        if st.get("Effect") != "Allow" or "Principal" not in st:
            continue
        p = st["Principal"]
        aws = values(p.get("AWS", [])) if isinstance(p, dict) else []
        if who in aws:
            return True
    return False


@predicate("variable-at-start-of-resource-id")
def variable_at_start_of_resource_id(case, match):
    """A 2012-10-17 policy holds a Resource/NotResource ARN whose resource part has a ${...} before any '/' or ':'
    of its own (the oracle cuts the resource type at the ':' inside the variable's key)."""
    for _, doc in policies(case):
        if doc.get("Version") != "2012-10-17":
            continue
        for st in statements(doc):
            for field in ("Resource", "NotResource"):
                for r in values(st.get(field, [])):
                    if not isinstance(r, str) or not r.startswith("arn:"):
                        continue
                    parts = r.split(":", 5)
                    if len(parts) < 6:
                        continue
                    rest = parts[5]
                    var = rest.find("${")
                    if var < 0:
                        continue
                    head = rest[:var]
                    if "/" not in head and ":" not in head and re.search(r"\$\{[^}]*[:/]", rest[var:]):
                        return True
    return False


@predicate("wildcard-action-deny-kind")
def wildcard_action_deny_kind(case, match):
    """A wildcard action that neither engine allows: rolegate says which deny as iam-simulate does for a wildcard
    resource (explicit when every allowing pattern, narrowed, is explicitly denied); oracle.mjs combines one answer
    per catalogued action (explicit only when every catalogued action is)."""
    return has_feature(case, "wildcard-action")


@predicate("wildcard-action-catalogue")
def wildcard_action_catalogue(case, match):
    """A wildcard action whose every catalogued action is explicitly denied while an allowed name matching the
    pattern is not in iam-data's catalogue: rolegate answers about every name the pattern matches."""
    return has_feature(case, "wildcard-action") and "*" in case["request"]["action"]


@predicate("wildcard-narrowing-variables")
def wildcard_narrowing_variables(case, match):
    """A wildcard resource allowed through a Resource pattern with a policy variable: iam-simulate collects the
    allowing patterns without resolving variables, so ${aws:userid}/x.bin never overlaps the request."""
    return has_feature(case, "wildcard-resource") and (has_feature(case, "resource:variable") or
                                                       has_feature(case, "resource:escaped"))


@predicate("wildcard-narrowing-widens")
def wildcard_narrowing_widens(case, match):
    """A wildcard resource: iam-simulate re-runs it with each allowing pattern alone, which may be wider than the
    request."""
    return has_feature(case, "wildcard-resource")
