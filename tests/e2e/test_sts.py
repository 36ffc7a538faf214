"""STS: GetCallerIdentity and GetAccessKeyInfo, through boto3 and the aws CLI."""
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

import rg


def test_caller_identity_root(server, sts):
    r = sts.get_caller_identity()
    assert re.fullmatch(r"\d{12}", r["Account"])
    assert r["Account"] == server.account
    assert r["UserId"] == r["Account"]
    assert r["Arn"] == f"arn:aws:iam::{server.account}:root"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_caller_identity_user(server, iam):
    user, [creds] = rg.make_user(iam, path="/team/")
    r = rg.client(server, "sts", creds).get_caller_identity()
    assert r["UserId"] == user["UserId"]
    assert r["UserId"].startswith("AIDA")
    assert r["Account"] == server.account
    assert r["Arn"] == f"arn:aws:iam::{server.account}:user/team/{user['UserName']}"
    assert r["Arn"] == user["Arn"]


def test_caller_identity_cli(server, iam, cli):
    user, [creds] = rg.make_user(iam)
    with ThreadPoolExecutor(2) as ex:
        root, me = ex.map(lambda c: rg.cli_json(cli("sts", "get-caller-identity", creds=c)), [None, creds])
    assert root == {"UserId": server.account, "Account": server.account,
                    "Arn": f"arn:aws:iam::{server.account}:root"}
    assert me["UserId"] == user["UserId"] and me["UserId"].startswith("AIDA")
    assert me["Arn"] == f"arn:aws:iam::{server.account}:user/{user['UserName']}"


def test_access_key_info_own_keys(server, iam, sts):
    assert sts.get_access_key_info(AccessKeyId=server.root[0])["Account"] == server.account
    _, [(kid, _)] = rg.make_user(iam)
    assert sts.get_access_key_info(AccessKeyId=kid)["Account"] == server.account


def test_access_key_info_foreign_key(server, sts):
    # A key id this server never issued: like AWS, the account is read out of the id itself.
    for account in ("123456789012", "000000000042", "999999999999"):
        kid = rg.key_id_for_account(account)
        assert sts.get_access_key_info(AccessKeyId=kid)["Account"] == account, kid
    # A published example of a real AWS key id and the account it decodes to.
    assert sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"] == "609629065308"


def test_access_key_info_invalid_id(sts):
    with pytest.raises(ClientError) as ei:
        sts.get_access_key_info(AccessKeyId="NOTAKEYNOTAKEYNOTAK")
    code, _, status, _ = rg.err(ei)
    assert status == 400 and code in ("InvalidParameterValue", "ValidationError")


def test_access_key_info_cli(server, cli):
    kid = rg.key_id_for_account("210987654321")
    with ThreadPoolExecutor(2) as ex:
        foreign, own = ex.map(lambda k: rg.cli_json(cli("sts", "get-access-key-info", "--access-key-id", k)),
                              [kid, server.root[0]])
    assert foreign == {"Account": "210987654321"}
    assert own == {"Account": server.account}
