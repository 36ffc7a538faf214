"""The aws CLI (v1, pip) against rolegate: every served action at least once, and its error output.

Each CLI call is a new process (~1 s), so calls that do not depend on each other run concurrently."""
import datetime
import re
from concurrent.futures import ThreadPoolExecutor

import rg


def parallel(*calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as ex:
        return [f.result() for f in [ex.submit(c) for c in calls]]


def test_cli_user_lifecycle(server, iam, cli):
    name, new = rg.unique("cli"), rg.unique("cli-new")
    path = "/" + rg.unique("clipath") + "/"
    u = rg.cli_json(cli("iam", "create-user", "--user-name", name, "--path", path,
                        "--tags", "Key=team,Value=blue", "Key=env,Value=dev"))["User"]
    assert u["UserName"] == name and u["Path"] == path
    assert u["Arn"] == f"arn:aws:iam::{server.account}:user{path}{name}"
    assert u["UserId"].startswith("AIDA")
    assert u["Tags"] == [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]
    created = datetime.datetime.fromisoformat(u["CreateDate"].replace("Z", "+00:00"))
    assert abs((created - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 60

    got, listed, tagged, untagged, dup = parallel(
        lambda: cli("iam", "get-user", "--user-name", name.upper()),
        lambda: cli("iam", "list-users", "--path-prefix", path),
        lambda: cli("iam", "tag-user", "--user-name", name, "--tags", "Key=owner,Value=ops"),
        lambda: cli("iam", "untag-user", "--user-name", name, "--tag-keys", "ENV"),
        lambda: cli("iam", "create-user", "--user-name", name.upper()))
    assert rg.cli_json(got)["User"]["UserId"] == u["UserId"]
    assert [x["UserName"] for x in rg.cli_json(listed)["Users"]] == [name]
    assert tagged[0] == 0 and tagged[1].strip() == "", tagged
    assert untagged[0] == 0 and untagged[1].strip() == "", untagged
    assert rg.cli_error(dup) == ("EntityAlreadyExists", "CreateUser", f"User with name {name.upper()} already exists.")

    tags = rg.cli_json(cli("iam", "list-user-tags", "--user-name", name))
    assert tags["Tags"] == [{"Key": "team", "Value": "blue"}, {"Key": "owner", "Value": "ops"}]

    assert cli("iam", "update-user", "--user-name", name, "--new-user-name", new, "--new-path", "/moved/")[0] == 0
    r = iam.get_user(UserName=new)["User"]
    assert r["UserId"] == u["UserId"] and r["Path"] == "/moved/"
    assert r["Arn"] == f"arn:aws:iam::{server.account}:user/moved/{new}"

    gone, deleted = parallel(lambda: cli("iam", "get-user", "--user-name", name),
                             lambda: cli("iam", "delete-user", "--user-name", new))
    assert rg.cli_error(gone) == ("NoSuchEntity", "GetUser", f"The user with name {name} cannot be found.")
    assert deleted[0] == 0 and deleted[1].strip() == "", deleted
    assert new not in [x["UserName"] for x in iam.list_users()["Users"]]


def test_cli_access_key_lifecycle(server, iam, cli):
    user, _ = rg.make_user(iam, keys=0)
    name = user["UserName"]
    k = rg.cli_json(cli("iam", "create-access-key", "--user-name", name))["AccessKey"]
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", k["AccessKeyId"]) and len(k["SecretAccessKey"]) == 40
    assert k["Status"] == "Active" and k["UserName"] == name
    creds = (k["AccessKeyId"], k["SecretAccessKey"])

    listed, me = parallel(lambda: cli("iam", "list-access-keys", "--user-name", name),
                          lambda: cli("sts", "get-caller-identity", creds=creds))
    meta = rg.cli_json(listed)["AccessKeyMetadata"]
    assert [(m["AccessKeyId"], m["Status"], m["UserName"]) for m in meta] == [(k["AccessKeyId"], "Active", name)]
    assert rg.cli_json(me)["Arn"] == user["Arn"]

    used, inactive = parallel(
        lambda: cli("iam", "get-access-key-last-used", "--access-key-id", k["AccessKeyId"]),
        lambda: cli("iam", "update-access-key", "--user-name", name, "--access-key-id", k["AccessKeyId"],
                    "--status", "Inactive"))
    used = rg.cli_json(used)
    assert used["UserName"] == name
    last = used["AccessKeyLastUsed"]
    assert (last["ServiceName"], last["Region"]) == ("sts", "us-east-1")
    assert "LastUsedDate" in last
    assert inactive[0] == 0, inactive
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"

    refused, conflict = parallel(lambda: cli("sts", "get-caller-identity", creds=creds),
                                 lambda: cli("iam", "delete-user", "--user-name", name))
    assert rg.cli_error(refused) == ("InvalidClientTokenId", "GetCallerIdentity",
                                     "The security token included in the request is invalid.")
    assert rg.cli_error(conflict) == ("DeleteConflict", "DeleteUser",
                                      "Cannot delete entity, must delete access keys first.")

    assert cli("iam", "delete-access-key", "--user-name", name, "--access-key-id", k["AccessKeyId"])[0] == 0
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    iam.delete_user(UserName=name)


def test_cli_quota_and_validation_errors(server, iam, cli):
    user, _ = rg.make_user(iam, keys=2)
    quota, invalid, toolong = parallel(
        lambda: cli("iam", "create-access-key", "--user-name", user["UserName"]),
        lambda: cli("iam", "create-user", "--user-name", "bad name"),
        lambda: cli("iam", "create-user", "--user-name", "x" * 65))
    assert rg.cli_error(quota) == ("LimitExceeded", "CreateAccessKey", "Cannot exceed quota for AccessKeysPerUser: 2")
    assert rg.cli_error(invalid) == (
        "ValidationError", "CreateUser",
        "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    code, _, msg = rg.cli_error(toolong)
    assert code == "ValidationError" and msg.endswith("Member must have length less than or equal to 64")


def test_cli_paginates_list_users(server, iam, cli):
    path = "/" + rg.unique("clipg") + "/"
    names = sorted(rg.unique(f"p{i}") for i in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=path)
    # --page-size 2: the CLI follows the markers itself (3 requests) and prints every user;
    # --max-items 2: one page and a NextToken
    every, first = parallel(lambda: cli("iam", "list-users", "--path-prefix", path, "--page-size", "2"),
                            lambda: cli("iam", "list-users", "--path-prefix", path, "--max-items", "2"))
    assert sorted(u["UserName"] for u in rg.cli_json(every)["Users"]) == names
    first = rg.cli_json(first)
    assert [u["UserName"] for u in first["Users"]] == names[:2] and first.get("NextToken")
    log = server.log()
    assert len(re.findall(r"action=iam:ListUsers status=200", log)) >= 4
