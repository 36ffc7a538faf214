"""Authentication (SigV4) and authorization as a client sees them."""
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError

import rg


def test_wrong_secret(server):
    bad = (server.root[0], rg.random_secret())
    for service, call in (("sts", lambda c: c.get_caller_identity()), ("iam", lambda c: c.list_users())):
        with pytest.raises(ClientError) as ei:
            call(rg.client(server, service, bad))
        code, msg, status, _ = rg.err(ei)
        assert (code, status) == ("SignatureDoesNotMatch", 403)
        assert msg.startswith("The request signature we calculated does not match the signature you provided."), msg


def test_unknown_key(server):
    with pytest.raises(ClientError) as ei:
        rg.client(server, "sts", (rg.random_key_id(), rg.random_secret())).get_caller_identity()
    assert rg.err(ei)[:3] == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_signature_expired(server):
    with pytest.raises(ClientError) as ei:
        rg.client(server, "sts", clock=rg.Offset(-20 * 60)).get_caller_identity()
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert msg.startswith("Signature expired:"), msg


def test_signature_not_yet_current(server):
    with pytest.raises(ClientError) as ei:
        rg.client(server, "iam", clock=rg.Offset(+20 * 60)).list_users()
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert msg.startswith("Signature not yet current:"), msg


def test_small_clock_skew_is_accepted(server):
    for offset in (-10 * 60, +10 * 60):
        assert rg.client(server, "sts", clock=rg.Offset(offset)).get_caller_identity()["Account"] == server.account


def test_signing_time_is_explicit(server):
    """The requests above are signed at the time given, whatever signer botocore uses: the same raw request signed
    20 minutes ago, 20 minutes ahead, and now."""
    body = rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION)
    for offset, prefix in ((-20 * 60, "Signature expired:"), (+20 * 60, "Signature not yet current:")):
        r = rg.signed(server, body, service="sts", when=time.time() + offset)
        assert r.status == 403, r
        assert (r.error()["code"], r.error()["message"][:len(prefix)]) == ("SignatureDoesNotMatch", prefix)
    assert rg.signed(server, body, service="sts", when=time.time()).status == 200


def test_no_authentication(server):
    for body in (rg.iam_form("ListUsers"), rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION)):
        r = rg.send(server, "POST", "/", body.encode(), {"Content-Type": rg.FORM})
        assert r.status == 403, r
        e = r.error()
        assert e["code"] == "MissingAuthenticationToken"
        assert e["request_id"] == r.request_id
    # nor with urllib, GET with the parameters in the query string
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(server.url + "/?" + rg.iam_form("ListUsers"), timeout=10)
    assert ei.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in ei.value.read()


def test_access_denied_message(server, iam):
    user, [creds] = rg.make_user(iam)
    me = rg.client(server, "iam", creds)
    with pytest.raises(ClientError) as ei:
        me.list_users()
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: arn:aws:iam::{server.account}:user/{user['UserName']} is not authorized to perform: "
                   f"iam:ListUsers on resource: arn:aws:iam::{server.account}:user/ because no identity-based "
                   f"policy allows the iam:ListUsers action")
    # writes are refused too, and have no effect
    victim = rg.unique("victim")
    with pytest.raises(ClientError) as ei:
        me.create_user(UserName=victim)
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: {user['Arn']} is not authorized to perform: iam:CreateUser on resource: "
                   f"arn:aws:iam::{server.account}:user/{victim} because no identity-based policy allows the "
                   f"iam:CreateUser action")
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName=victim)
    assert rg.err(ei)[0] == "NoSuchEntity"
    # a user cannot make itself another key or delete its own
    for call in (lambda: me.create_access_key(), lambda: me.delete_access_key(AccessKeyId=creds[0]),
                 lambda: me.update_access_key(AccessKeyId=creds[0], Status="Inactive")):
        with pytest.raises(ClientError) as ei:
            call()
        assert rg.err(ei)[:1] == ("AccessDenied",)
    assert len(iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]) == 1
    # GetCallerIdentity needs no permission
    assert rg.client(server, "sts", creds).get_caller_identity()["Arn"] == user["Arn"]


def test_access_denied_cli(server, iam, cli):
    user, [creds] = rg.make_user(iam)
    result = cli("iam", "list-users", creds=creds)
    assert result[0] != 0 and result[1] == ""
    assert rg.cli_error(result) == (
        "AccessDenied", "ListUsers",
        f"User: {user['Arn']} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{server.account}:user/ because no identity-based policy allows the iam:ListUsers action")


def presigned_caller_identity(server, expires=60):
    return rg.client(server, "sts").generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=expires,
                                                           HttpMethod="GET")


def test_presigned_url(server):
    url = presigned_caller_identity(server)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert q["Action"] == ["GetCallerIdentity"] and "X-Amz-Signature" in q
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        body = r.read()
    assert f"<Arn>arn:aws:iam::{server.account}:root</Arn>".encode() in body
    # usable more than once while it is valid
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200


def test_presigned_url_tampered(server):
    url = presigned_caller_identity(server)
    parts = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(parts.query)

    def with_query(pairs):
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(pairs)))

    sig = dict(q)["X-Amz-Signature"]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    tampered = [
        with_query([(k, flipped if k == "X-Amz-Signature" else v) for k, v in q]),
        with_query([(k, "3600" if k == "X-Amz-Expires" else v) for k, v in q]),
        with_query(q + [("Extra", "1")]),
        with_query([(k, "GetAccessKeyInfo" if k == "Action" else v) for k, v in q] + [("AccessKeyId", "AKIAX")]),
    ]
    for url in tampered:
        with pytest.raises(urllib.error.HTTPError) as ei:
            urllib.request.urlopen(url, timeout=10)
        assert ei.value.code in (400, 403), url
        body = ei.value.read()
        assert b"<Code>SignatureDoesNotMatch</Code>" in body or b"<Code>IncompleteSignature</Code>" in body, body
        assert ei.value.code == 403 or b"IncompleteSignature" in body


def test_presigned_url_expired(server):
    query = {"Action": "GetCallerIdentity", "Version": rg.STS_VERSION}
    # signed 50 s ago for 60 s: still valid; signed 120 s ago for 60 s: expired
    with urllib.request.urlopen(rg.presign(server, "sts", query, time.time() - 50, expires=60), timeout=10) as r:
        assert r.status == 200
    url = rg.presign(server, "sts", query, time.time() - 120, expires=60)
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(url, timeout=10)
    assert ei.value.code == 403
    body = ei.value.read().decode()
    assert "<Code>SignatureDoesNotMatch</Code>" in body or "<Code>AccessDenied</Code>" in body
    assert "expired" in body.lower()


def test_session_token_refused(server):
    # temporary credentials are not issued by this server, so any session token is invalid
    c = rg.client(server, "sts")
    c2 = rg.client(server, "sts", token="FQoGZXIvYXdzEJr//////////wEaDOkp")
    assert c.get_caller_identity()["Account"] == server.account
    with pytest.raises(ClientError) as ei:
        c2.get_caller_identity()
    assert rg.err(ei)[:1] == ("InvalidClientTokenId",)
    assert rg.err(ei)[2] == 403


def test_presigned_plus_means_what_was_signed(server, iam):
    """A '+' in a query is a space to the server, to the signature as to the action: a boto3 presigned URL whose
    signed %2B is rewritten to a literal '+' is refused (it would mean a space); a signed %20 rewritten to '+' keeps
    its meaning and is accepted; the URLs as signed do exactly what was signed."""
    c = rg.client(server, "iam")

    def presigned_create(name, value):
        return c.generate_presigned_url("create_user", Params={"UserName": name, "Tags": [{"Key": "k", "Value": value}]},
                                        ExpiresIn=60, HttpMethod="GET")

    plus = rg.unique("plus")
    url = presigned_create(plus, "a+b")
    assert "a%2Bb" in url
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(url.replace("a%2Bb", "a+b"), timeout=10)
    assert ei.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in ei.value.read()
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName=plus)
    assert rg.err(ei)[0] == "NoSuchEntity"  # nothing was made
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    assert iam.list_user_tags(UserName=plus)["Tags"] == [{"Key": "k", "Value": "a+b"}]

    space = rg.unique("space")
    url = presigned_create(space, "a b")
    assert "a%20b" in url
    with urllib.request.urlopen(url.replace("a%20b", "a+b"), timeout=10) as r:
        assert r.status == 200
    assert iam.list_user_tags(UserName=space)["Tags"] == [{"Key": "k", "Value": "a b"}]
