"""IAM access keys through boto3: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed, and what each does to authentication."""
import datetime
import re

import pytest
from botocore.exceptions import ClientError

import rg


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def test_create_access_key_shape(server, iam, sts):
    name = rg.unique("key")
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", k["AccessKeyId"]), k["AccessKeyId"]
    assert len(k["SecretAccessKey"]) == 40
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", k["SecretAccessKey"])
    assert k["Status"] == "Active"
    assert k["UserName"] == name
    assert abs((k["CreateDate"] - now()).total_seconds()) < 60
    # the id embeds the account, as AWS's do
    assert sts.get_access_key_info(AccessKeyId=k["AccessKeyId"])["Account"] == server.account
    # and the key works at once
    me = rg.client(server, "sts", (k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{server.account}:user/{name}"


def test_access_key_quota(iam):
    user, creds = rg.make_user(iam, keys=2)
    with pytest.raises(ClientError) as ei:
        iam.create_access_key(UserName=user["UserName"])
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("LimitExceeded", 409)
    assert msg == "Cannot exceed quota for AccessKeysPerUser: 2"
    listed = iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted(c[0] for c in creds)
    # deleting one frees a slot
    iam.delete_access_key(UserName=user["UserName"], AccessKeyId=creds[0][0])
    k = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])


def test_create_access_key_for_missing_user(iam):
    with pytest.raises(ClientError) as ei:
        iam.create_access_key(UserName="no-such-keyholder")
    assert rg.err(ei)[:3] == ("NoSuchEntity", "The user with name no-such-keyholder cannot be found.", 404)


def test_list_access_keys(iam):
    user, creds = rg.make_user(iam, keys=2)
    r = iam.list_access_keys(UserName=user["UserName"])
    assert r["IsTruncated"] is False
    meta = r["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in meta} == {c[0] for c in creds}
    for k in meta:
        assert k["UserName"] == user["UserName"]
        assert k["Status"] == "Active"
        assert "SecretAccessKey" not in k
        assert abs((k["CreateDate"] - now()).total_seconds()) < 60
    page = iam.list_access_keys(UserName=user["UserName"], MaxItems=1)
    assert len(page["AccessKeyMetadata"]) == 1 and page["IsTruncated"] is True
    rest = iam.list_access_keys(UserName=user["UserName"], MaxItems=1, Marker=page["Marker"])
    assert rest["IsTruncated"] is False
    assert {page["AccessKeyMetadata"][0]["AccessKeyId"], rest["AccessKeyMetadata"][0]["AccessKeyId"]} == {
        c[0] for c in creds}
    # a user without keys
    empty = rg.unique("nokeys")
    iam.create_user(UserName=empty)
    assert iam.list_access_keys(UserName=empty)["AccessKeyMetadata"] == []


def test_list_access_keys_of_root(server, iam):
    meta = iam.list_access_keys()["AccessKeyMetadata"]
    assert server.root[0] in [k["AccessKeyId"] for k in meta]
    for k in meta:
        assert "UserName" not in k


def test_update_access_key_inactive_then_active(server, iam):
    user, [(kid, secret)] = rg.make_user(iam)
    sts_user = rg.client(server, "sts", (kid, secret))
    assert sts_user.get_caller_identity()["UserId"] == user["UserId"]

    iam.update_access_key(UserName=user["UserName"], AccessKeyId=kid, Status="Inactive")
    assert iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(ClientError) as ei:
        sts_user.get_caller_identity()
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert msg == "The security token included in the request is invalid."

    iam.update_access_key(UserName=user["UserName"], AccessKeyId=kid, Status="Active")
    assert sts_user.get_caller_identity()["UserId"] == user["UserId"]


def test_update_access_key_bad_status_and_wrong_owner(iam):
    a, [(ka, _)] = rg.make_user(iam)
    b, _ = rg.make_user(iam, keys=0)
    with pytest.raises(ClientError) as ei:
        iam.update_access_key(UserName=a["UserName"], AccessKeyId=ka, Status="Sleeping")
    code, msg, status, _ = rg.err(ei)
    assert status == 400 and code == "ValidationError"
    assert msg.startswith("1 validation error detected: Value 'Sleeping' at 'status' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [Active, Inactive"), msg
    # in the model's enum, but not a status a key can be given
    with pytest.raises(ClientError) as ei:
        iam.update_access_key(UserName=a["UserName"], AccessKeyId=ka, Status="Expired")
    assert rg.err(ei)[2] == 400
    # a key is only found under its own user
    with pytest.raises(ClientError) as ei:
        iam.update_access_key(UserName=b["UserName"], AccessKeyId=ka, Status="Inactive")
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"The Access Key with id {ka} cannot be found.", 404)
    assert iam.list_access_keys(UserName=a["UserName"])["AccessKeyMetadata"][0]["Status"] == "Active"


def test_delete_access_key(server, iam):
    user, [(kid, secret), (kid2, secret2)] = rg.make_user(iam, keys=2)
    iam.delete_access_key(UserName=user["UserName"], AccessKeyId=kid)
    with pytest.raises(ClientError) as ei:
        rg.client(server, "sts", (kid, secret)).get_caller_identity()
    assert rg.err(ei)[:3] == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    # the other key still works, and the deleted one is gone from the list
    assert rg.client(server, "sts", (kid2, secret2)).get_caller_identity()["UserId"] == user["UserId"]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]] == [kid2]
    with pytest.raises(ClientError) as ei:
        iam.delete_access_key(UserName=user["UserName"], AccessKeyId=kid)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"The Access Key with id {kid} cannot be found.", 404)


def test_access_key_last_used(server, iam):
    user, [(kid, secret)] = rg.make_user(iam)
    r = iam.get_access_key_last_used(AccessKeyId=kid)
    assert r["UserName"] == user["UserName"]
    assert r["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert r["AccessKeyLastUsed"]["Region"] == "N/A"
    assert "LastUsedDate" not in r["AccessKeyLastUsed"]

    t0 = now()
    rg.client(server, "sts", (kid, secret)).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=kid)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts"
    assert used["Region"] == "us-east-1"
    assert abs((used["LastUsedDate"] - t0).total_seconds()) < 60

    # a call to another service is recorded as such (even if it is refused by authorization)
    with pytest.raises(ClientError):
        rg.client(server, "iam", (kid, secret)).list_users()
    used = iam.get_access_key_last_used(AccessKeyId=kid)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam"
    assert used["Region"] == "us-east-1"


def test_access_key_last_used_unknown_key(iam):
    kid = rg.key_id_for_account("111122223333")
    with pytest.raises(ClientError) as ei:
        iam.get_access_key_last_used(AccessKeyId=kid)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"The Access Key with id {kid} cannot be found.", 404)


def test_root_key_last_used(server, iam):
    r = iam.get_access_key_last_used(AccessKeyId=server.root[0])
    assert r["AccessKeyLastUsed"]["ServiceName"] in ("iam", "sts")
    assert r["AccessKeyLastUsed"]["Region"] == "us-east-1"


def test_root_access_keys(fresh_server):
    srv = fresh_server
    iam = rg.client(srv, "iam")
    k = iam.create_access_key()["AccessKey"]  # no UserName: the caller's (root's) own key
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])
    assert "UserName" not in k
    root2 = (k["AccessKeyId"], k["SecretAccessKey"])
    assert rg.client(srv, "sts", root2).get_caller_identity()["Arn"] == f"arn:aws:iam::{srv.account}:root"
    assert {m["AccessKeyId"] for m in iam.list_access_keys()["AccessKeyMetadata"]} == {srv.root[0], root2[0]}
    with pytest.raises(ClientError) as ei:
        iam.create_access_key()
    assert rg.err(ei)[:3] == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    # root keys are not any user's keys
    user, _ = rg.make_user(iam, keys=0)
    with pytest.raises(ClientError) as ei:
        iam.delete_access_key(UserName=user["UserName"], AccessKeyId=root2[0])
    assert rg.err(ei)[0] == "NoSuchEntity"
    # the second root key can retire the first
    iam2 = rg.client(srv, "iam", root2)
    iam2.update_access_key(AccessKeyId=srv.root[0], Status="Inactive")
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts").get_caller_identity()
    assert rg.err(ei)[0] == "InvalidClientTokenId"
    iam2.update_access_key(AccessKeyId=srv.root[0], Status="Active")
    iam.delete_access_key(AccessKeyId=root2[0])
    assert [m["AccessKeyId"] for m in iam.list_access_keys()["AccessKeyMetadata"]] == [srv.root[0]]
