"""`rolegate analyze reach|who-can|can` read a running server's store and answer, with the one policy engine, who can
assume which role, under which conditions and by which path: the seed's answer, conditions (MFA and its age, source
IP, external id), role chains, a boundary and an SCP that remove a row, the four formats and the refusals."""
import json
import subprocess

import pytest

import rg
import seedkit
from test_organizations import create_account, orgs


def analyze(srv, *args, check=True):
    p = subprocess.run([str(rg.BIN), "analyze", *args, "--data", str(srv.data_dir)], capture_output=True, text=True,
                       timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def reach(srv, *args):
    return json.loads(analyze(srv, "reach", "--format", "json", *args).stdout)


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, **cond):
    s = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if cond:
        s["Condition"] = cond
    return doc(s)


def may_assume(resource, sid="Enter"):
    return doc({"Sid": sid, "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource})


def test_seed_answer(tmp_path):
    """anay reaches admin and readonly in Dev, Stage and Prod with MFA; abhi only Dev's."""
    with seedkit.seeded(tmp_path) as seed:
        rows = reach(seed.server)
        got = {(r["principal_name"], r["account"]["name"], r["role"]["name"], r["mfa"], r["mfa_max_age"]) for r in rows}
        want = {(p, env, role, True, 3600) for p, envs in (("anay", ("Dev", "Stage", "Prod")), ("abhi", ("Dev",)))
                for env in envs for role in ("admin", "readonly")}
        assert got == want
        r = rows[0]
        assert {"principal", "account", "role", "conditions", "path"} <= set(r)
        assert [p["type"] for p in r["path"]] == ["user", "identity", "trust"]
        assert r["path"][1]["policy"].startswith("group ")
        assert {c["key"] for c in r["conditions"]} == {"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge"}
        # the table says the same
        table = analyze(seed.server, "reach").stdout
        assert table.count("user/anay") == 6 and table.count("user/abhi") == 2


@pytest.fixture
def org(fresh_server):
    """An account with a user, three roles and their policies: returns (server, iam, names)."""
    srv, iam = fresh_server, rg.client(fresh_server, "iam")
    acct = srv.account
    user = iam.create_user(UserName="dana")["User"]
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="dana")
    iam.put_group_policy(GroupName="ops", PolicyName="enter", PolicyDocument=may_assume(
        [f"arn:aws:iam::{acct}:role/ip", f"arn:aws:iam::{acct}:role/ext", f"arn:aws:iam::{acct}:role/hop"]))
    iam.create_role(RoleName="ip", AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{acct}:root", IpAddress={"aws:SourceIp": "10.1.0.0/16"}))
    iam.create_role(RoleName="ext", AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{acct}:root", StringEquals={"sts:ExternalId": "xyzzy"},
        NumericLessThan={"aws:MultiFactorAuthAge": "900"}))
    iam.create_role(RoleName="hop", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{acct}:root"))
    iam.put_role_policy(RoleName="hop", PolicyName="next", PolicyDocument=may_assume(f"arn:aws:iam::{acct}:role/far"))
    iam.create_role(RoleName="far", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{acct}:root"))
    iam.create_role(RoleName="nobody", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{acct}:root"))
    return srv, iam, user


def rows_by_role(rows):
    return {r["role"]["name"]: r for r in rows if r["principal_name"] == "dana"}


def test_conditions_and_chain(org):
    srv, iam, _ = org
    rows = rows_by_role(reach(srv))
    assert set(rows) == {"ip", "ext", "hop", "far"}
    assert rows["ip"]["conditions"] == [{"key": "aws:SourceIp", "operator": "IpAddress", "values": ["10.1.0.0/16"]}]
    assert not rows["ip"]["mfa"]
    ext = {c["key"]: c for c in rows["ext"]["conditions"]}
    assert ext["sts:ExternalId"]["values"] == ["xyzzy"] and rows["ext"]["mfa_max_age"] == 900 and rows["ext"]["mfa"]
    assert rows["hop"]["conditions"] == [] and rows["hop"]["chain"] == [rows["hop"]["role"]["arn"]]
    far = rows["far"]
    assert far["chain"] == [rows["hop"]["role"]["arn"], far["role"]["arn"]] and far["max_session_s"] == 3600
    assert [p["type"] for p in far["path"]] == ["user", "identity", "trust", "identity", "trust"]
    assert far["path"][3]["policy"] == "role inline policy next"
    # --account keeps the rows of one account; there is only this one
    assert len(reach(srv, "--account", srv.account)) == len(reach(srv))


def test_boundary_removes_a_row(org):
    srv, iam, _ = org
    arn = iam.create_policy(PolicyName="only-ip", PolicyDocument=may_assume(
        f"arn:aws:iam::{srv.account}:role/ip"))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="dana", PermissionsBoundary=arn)
    assert set(rows_by_role(reach(srv))) == {"ip"}


def test_deny_removes_a_row(org):
    srv, iam, _ = org
    iam.put_user_policy(UserName="dana", PolicyName="no-ext", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{srv.account}:role/ext"}))
    assert set(rows_by_role(reach(srv))) == {"ip", "hop", "far"}


def test_scp_removes_a_row(fresh_server):
    """A deny in an SCP of the user's (member) account removes the row; the engine applies the caller's SCPs."""
    srv = fresh_server
    o = orgs(srv)
    o.create_organization(FeatureSet="ALL")
    _, done = create_account(o, "Member")
    member = done["AccountId"]
    root = o.list_roots()["Roots"][0]["Id"]
    o.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    mgmt = rg.client(srv, "iam")
    mgmt.create_user(UserName="admin")
    mgmt.attach_user_policy(UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    k = mgmt.create_access_key(UserName="admin")["AccessKey"]
    sts = rg.client(srv, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]))
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                        RoleSessionName="analyze")["Credentials"]
    iam = rg.client(srv, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    iam.create_user(UserName="erin")
    iam.put_user_policy(UserName="erin", PolicyName="enter", PolicyDocument=may_assume("*"))
    iam.create_role(RoleName="target", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{member}:root"))
    assert [r["role"]["name"] for r in reach(srv) if r["principal_name"] == "erin"] == ["target"]
    p = o.create_policy(Name="no-assume", Description="d", Type="SERVICE_CONTROL_POLICY", Content=doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
    o.attach_policy(PolicyId=p, TargetId=member)
    assert [r for r in reach(srv) if r["principal_name"] == "erin"] == []


def test_formats(org):
    srv, _, _ = org
    dot = analyze(srv, "reach", "--format", "dot").stdout
    assert dot.startswith("digraph reach {") and dot.rstrip().endswith("}")
    assert f'"arn:aws:iam::{srv.account}:user/dana" -> "arn:aws:iam::{srv.account}:role/hop"' in dot
    out = srv.data_dir.parent / "reach.html"
    analyze(srv, "reach", "--format", "html", "--output", str(out))
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "http://" not in html and "https://" not in html and "<script src" not in html and "<link" not in html
    assert html.count('class="cond"') >= 2 and 'class="open"' in html and 'class="mfa"' in html
    assert "user/dana" in html
    table = analyze(srv, "reach").stdout
    assert table.splitlines()[0].split()[:2] == ["PRINCIPAL", "ACCOUNT"]
    assert "chained" in table


def test_can_and_who_can(org):
    srv, _, user = org
    acct = srv.account
    p = analyze(srv, "can", "--json", user["Arn"], "sts:AssumeRole", f"arn:aws:iam::{acct}:role/hop", check=False)
    d = json.loads(p.stdout)
    assert p.returncode == 0 and d["decision"] == "Allowed"
    assert {s["source"] for s in d["statements"]} >= {"identity"}
    assert any(s["origin"] == "group ops / inline policy enter" for s in d["statements"])
    p = analyze(srv, "can", user["Arn"], "sts:AssumeRole", f"arn:aws:iam::{acct}:role/nobody", check=False)
    assert p.returncode == 3 and "ImplicitlyDenied" in p.stdout
    w = json.loads(analyze(srv, "who-can", "--json", "sts:AssumeRole", f"arn:aws:iam::{acct}:role/far").stdout)
    assert {x["principal"] for x in w} == {f"arn:aws:iam::{acct}:role/hop"}


def test_refusals(org):
    srv, _, _ = org
    p = analyze(srv, "reach", "--format", "pdf", check=False)
    assert p.returncode == 2 and "table, json, dot or html" in p.stderr
    p = analyze(srv, "reach", "--account", "12", check=False)
    assert p.returncode == 2
    p = analyze(srv, "reach", "--account", "999999999999", check=False)
    assert p.returncode == 1 and "no such account" in p.stderr
    p = analyze(srv, "can", f"arn:aws:iam::{srv.account}:user/ghost", "sts:AssumeRole", "*", check=False)
    assert p.returncode == 1 and "no such user or role" in p.stderr
    p = subprocess.run([str(rg.BIN), "analyze", "nope"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "unknown sub-verb" in p.stderr
    p = subprocess.run([str(rg.BIN), "analyze", "reach", "--data", str(srv.data_dir.parent / "none")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "has no database" in p.stderr


def test_a_policy_that_no_longer_compiles_is_an_error_not_a_smaller_answer(org):
    """Fail closed: a stored trust policy that does not compile stops the analysis (exit 1), no rows printed."""
    srv, _, _ = org
    if rg.STORE != "sqlite":
        pytest.skip("edits the SQLite file directly")
    import sqlite3
    db = sqlite3.connect(str(srv.data_dir / "rolegate.db"), timeout=30)
    db.execute("UPDATE roles SET trust_policy = '{\"Version\": \"2012-10-17\", \"Statement\": 7}' WHERE name = 'far'")
    db.commit()
    db.close()
    p = analyze(srv, "reach", "--format", "json", check=False)
    assert p.returncode == 1 and p.stdout == ""
    assert "trust policy of arn:aws:iam::%s:role/far does not compile" % srv.account in p.stderr
