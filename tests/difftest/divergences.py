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


# -- the documented divergences (one predicate per entry of docs/policy-divergences.md) -------------------------------
# None yet: an entry is added only with evidence (the AWS documentation that shows the oracle is wrong), together
# with its section in docs/policy-divergences.md.
