"""Explained denials (issue 16): the reasoning of every denial in its audit record (`rolegate audit --explain
REQUEST_ID`), and sts:DecodeAuthorizationMessage over the encoded authorization failure messages the server seals
(--encode-denials appends them to AccessDenied messages, as EC2 does; `audit --explain` prints them too), through
boto3 and the AWS CLI."""
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

import rg

ENCODED = " Encoded authorization failure message: "


def explain(srv, rid, fmt="json"):
    p = subprocess.run([str(rg.BIN), "audit", "--explain", rid, "--data", str(srv.data_dir), "--format", fmt],
                       capture_output=True, text=True, timeout=60)
    return p


def explained(srv, rid):
    p = explain(srv, rid)
    assert p.returncode == 0, p.stderr + p.stdout
    return json.loads(p.stdout)


def trust_mfa(account):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})


def allow(action, resource="*", sid="Grant"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}]})


def test_assume_role_without_mfa_explained(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user, [creds] = rg.make_user(iam, rg.unique("bob"))
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume-any",
                        PolicyDocument=allow("sts:AssumeRole", "arn:aws:iam::*:role/*", sid="AssumeAny"))
    role = iam.create_role(RoleName=rg.unique("deploy"), AssumeRolePolicyDocument=trust_mfa(srv.account))["Role"]
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts", creds).assume_role(RoleArn=role["Arn"], RoleSessionName="no-mfa")
    code, msg, status, rid = rg.err(ei)
    # STS's words stay AWS's own: no reason, no encoded message
    assert (code, status) == ("AccessDenied", 403)
    assert msg == f"User: {user['Arn']} is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}"

    rec = explained(srv, rid)
    assert (rec["requestId"], rec["action"], rec["outcome"]) == (rid, "sts:AssumeRole", "AccessDenied")
    e = rec["explanation"]
    assert e["decision"] == "ImplicitlyDenied"
    assert (e["action"], e["resource"], e["principal"]["arn"]) == ("sts:AssumeRole", role["Arn"], user["Arn"])
    assert any(m.startswith(f"trust policy of {role['Arn']} requires aws:MultiFactorAuthPresent (Bool: true; "
                            "the request has none)") for m in e["missing"]), e["missing"]
    kinds = [k["kind"] for k in e["consulted"]]
    assert kinds[0] == "identity" and "resource" in kinds
    assert e["consulted"][0]["policies"] == ["assume-any (user)"]
    trust = [s for s in e["statements"] if s["kind"] == "resource"]
    assert len(trust) == 1 and trust[0]["failed"] == "condition"
    assert trust[0]["condition"] == {"operator": "Bool", "key": "aws:MultiFactorAuthPresent",
                                     "policyValues": ["true"], "requestValues": None}
    ident = [s for s in e["statements"] if s["kind"] == "identity"]
    assert ident == [{"kind": "identity", "policy": "assume-any (user)", "sid": "AssumeAny", "statement": 0,
                      "effect": "Allow", "matched": True}]
    assert e["truncated"] is False and e["encodedMessage"]

    text = explain(srv, rid, "text")
    assert text.returncode == 0, text.stderr
    assert "Decision  ImplicitlyDenied" in text.stdout
    assert f"requires aws:MultiFactorAuthPresent" in text.stdout
    assert e["encodedMessage"] in text.stdout


def test_iam_denial_explained_and_message_unchanged(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user, [creds] = rg.make_user(iam, rg.unique("nobody"))
    target = rg.unique("x")
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "iam", creds).create_user(UserName=target)
    code, msg, _, rid = rg.err(ei)
    arn = f"arn:aws:iam::{srv.account}:user/{target}"
    assert code == "AccessDenied"
    assert msg == (f"User: {user['Arn']} is not authorized to perform: iam:CreateUser on resource: {arn} because no "
                   "identity-based policy allows the iam:CreateUser action")
    e = explained(srv, rid)["explanation"]
    assert e["missing"] == [f"no identity-based policy allows iam:CreateUser on {arn}"]
    assert e["consulted"][0] == {"kind": "identity", "policies": []}
    assert e["statements"] == [] and e["statementsTotal"] == 0
    # the trail's JSON lines carry it too
    p = subprocess.run([str(rg.BIN), "audit", "--data", str(srv.data_dir), "--json"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    [line] = [json.loads(x) for x in p.stdout.splitlines() if json.loads(x)["requestId"] == rid]
    assert line["explanation"] == e

    # a granted call has a record and nothing to explain; an unknown request id has no record
    ok_rid = iam.create_user(UserName=rg.unique("y"))["ResponseMetadata"]["RequestId"]
    p = explain(srv, ok_rid, "text")
    assert p.returncode == 1 and "No explanation recorded" in p.stdout
    p = explain(srv, "00000000-0000-4000-8000-000000000000")
    assert p.returncode == 1 and "no audit record with request id" in p.stderr


def test_decode_authorization_message(server_factory):
    srv = server_factory.start(args=["--encode-denials"])
    iam = rg.client(srv, "iam")
    bob, [bob_creds] = rg.make_user(iam, rg.unique("bob"))
    iam.put_user_policy(UserName=bob["UserName"], PolicyName="no-delete", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}))
    reader, [reader_creds] = rg.make_user(iam, rg.unique("reader"))
    iam.put_user_policy(UserName=reader["UserName"], PolicyName="decode",
                        PolicyDocument=allow("sts:DecodeAuthorizationMessage"))
    victim = rg.unique("victim")
    iam.create_user(UserName=victim)

    with pytest.raises(ClientError) as ei:
        rg.client(srv, "iam", bob_creds).delete_user(UserName=victim)
    code, msg, _, rid = rg.err(ei)
    assert code == "AccessDenied"
    words, _, encoded = msg.partition(ENCODED)
    assert words == (f"User: {bob['Arn']} is not authorized to perform: iam:DeleteUser on resource: "
                     f"arn:aws:iam::{srv.account}:user/{victim} with an explicit deny in an identity-based policy.")
    assert encoded and " " not in encoded
    # the operator's view hands out the same message
    assert explained(srv, rid)["explanation"]["encodedMessage"] == encoded

    # boto3: a principal allowed to decode it gets AWS's DecodedMessage
    out = rg.client(srv, "sts", reader_creds).decode_authorization_message(EncodedMessage=encoded)
    dm = json.loads(out["DecodedMessage"])
    assert list(dm) == ["allowed", "explicitDeny", "matchedStatements", "failures", "context"]
    assert dm["allowed"] is False and dm["explicitDeny"] is True
    assert dm["failures"] == {"items": []}
    [st] = dm["matchedStatements"]["items"]
    assert st["statementId"] == "NoDelete" and st["effect"] == "DENY"
    assert st["actions"] == {"items": [{"value": "iam:DeleteUser"}]}
    assert st["principals"] == {"items": [{"value": bob["UserId"]}]}
    ctx = dm["context"]
    assert ctx["principal"] == {"id": bob["UserId"], "name": bob["UserName"], "arn": bob["Arn"]}
    assert ctx["action"] == "iam:DeleteUser"
    assert ctx["resource"] == f"arn:aws:iam::{srv.account}:user/{victim}"
    keys = {c["key"]: c["values"]["items"] for c in ctx["conditions"]["items"]}
    assert keys["aws:username"] == [{"value": bob["UserName"]}]

    # the AWS CLI: the same answer
    got = rg.cli_json(rg.aws_cli(srv, "sts", "decode-authorization-message", "--encoded-message", encoded,
                                 creds=reader_creds))
    assert json.loads(got["DecodedMessage"]) == dm

    # a principal without sts:DecodeAuthorizationMessage is refused by the engine
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts", bob_creds).decode_authorization_message(EncodedMessage=encoded)
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("AccessDenied", 403)
    assert msg.startswith(f"User: {bob['Arn']} is not authorized to perform: sts:DecodeAuthorizationMessage on "
                          "resource: *")

    # garbage and a tampered message are not this server's
    tampered = encoded[:-8] + ("A" if encoded[-8] != "A" else "B") + encoded[-7:]
    for bad in ("garbage", tampered, encoded[:40]):
        with pytest.raises(ClientError) as ei:
            rg.client(srv, "sts", reader_creds).decode_authorization_message(EncodedMessage=bad)
        assert rg.err(ei)[:3] == ("InvalidAuthorizationMessageException", "Message is not valid", 400)
    code, op, _ = rg.cli_error(rg.aws_cli(srv, "sts", "decode-authorization-message", "--encoded-message", tampered,
                                          creds=reader_creds))
    assert (code, op) == ("InvalidAuthorizationMessageException", "DecodeAuthorizationMessage")

    # another server's message does not open here
    other = server_factory.start(args=["--encode-denials"])
    oiam = rg.client(other, "iam")
    _, [ocreds] = rg.make_user(oiam, rg.unique("o"))
    with pytest.raises(ClientError) as ei:
        rg.client(other, "iam", ocreds).create_user(UserName=rg.unique("z"))
    foreign = rg.err(ei)[1].partition(ENCODED)[2]
    assert foreign
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts", reader_creds).decode_authorization_message(EncodedMessage=foreign)
    assert rg.err(ei)[0] == "InvalidAuthorizationMessageException"


def test_implicit_denial_decoded(server_factory):
    srv = server_factory.start(args=["--encode-denials"])
    iam = rg.client(srv, "iam")
    user, [creds] = rg.make_user(iam, rg.unique("u"))
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "iam", creds).list_users()
    msg = rg.err(ei)[1]
    assert msg.startswith(f"User: {user['Arn']} is not authorized to perform: iam:ListUsers on resource: ")
    encoded = msg.partition(ENCODED)[2]
    dm = json.loads(rg.client(srv, "sts").decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert dm["allowed"] is False and dm["explicitDeny"] is False
    assert dm["matchedStatements"] == {"items": []}
    assert dm["context"]["action"] == "iam:ListUsers"


def test_long_trace_is_cut_not_the_decision(server_factory):
    """Three managed policies of 60 statements each (180 > the 128 a trace keeps): the explanation says it was
    truncated and counts them all; the denial is the engine's, whole."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user, [creds] = rg.make_user(iam, rg.unique("many"))
    for p in range(3):
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": f"iam:GetUserPolicy", "Resource": f"arn:aws:iam::*:user/p{p}s{i}"}
            for i in range(60)]}
        arn = iam.create_policy(PolicyName=rg.unique(f"many{p}"), PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "iam", creds).delete_user(UserName=user["UserName"])
    code, _, _, rid = rg.err(ei)
    assert code == "AccessDenied"
    e = explained(srv, rid)["explanation"]
    assert e["truncated"] is True and e["statementsTotal"] == 180 and len(e["statements"]) == 128
    assert all(s["failed"] == "action" for s in e["statements"])
    assert e["missing"] == [f"no identity-based policy allows iam:DeleteUser on {user['Arn']}"]
