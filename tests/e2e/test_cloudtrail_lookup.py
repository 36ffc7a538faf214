"""CloudTrail's LookupEvents (JSON protocol) over rolegate's audit trail, through boto3 and `aws cloudtrail
lookup-events`: the events of the caller's account, newest first, paginated, filtered by one lookup attribute;
an AssumeRole into an account shows in that account's trail; a caller without cloudtrail:LookupEvents is refused.
"""
import json

import botocore.exceptions
import pytest

import rg


@pytest.fixture(scope="module")
def ct(server):
    return rg.client(server, "cloudtrail")


def test_events_newest_first_paginated_and_filtered(server, ct):
    iam = rg.client(server, "iam")
    names = [rg.unique("ct") for _ in range(3)]
    for n in names:
        iam.create_user(UserName=n)
    first = ct.lookup_events(MaxResults=2)
    assert [e["Resources"][0]["ResourceName"] for e in first["Events"]] == [names[2], names[1]]
    e = first["Events"][0]
    assert e["EventName"] == "CreateUser" and e["EventSource"] == "iam.amazonaws.com"
    assert e["Username"] == "root" and e["ReadOnly"] == "false"
    assert e["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": names[2]}]
    rec = json.loads(e["CloudTrailEvent"])
    assert rec["eventID"] == e["EventId"] and rec["requestParameters"] == {"userName": names[2]}
    assert rec["userIdentity"]["type"] == "Root"
    second = ct.lookup_events(MaxResults=2, NextToken=first["NextToken"])
    assert second["Events"][0]["Resources"][0]["ResourceName"] == names[0]

    by_name = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": names[1]}])
    assert [x["EventName"] for x in by_name["Events"]] == ["CreateUser"]
    by_id = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": e["EventId"]}])
    assert [x["EventId"] for x in by_id["Events"]] == [e["EventId"]]

    out = rg.cli_json(rg.aws_cli(server, "cloudtrail", "lookup-events", "--lookup-attributes",
                                 "AttributeKey=EventName,AttributeValue=CreateUser", "--max-results", "1"))
    assert out["Events"][0]["Resources"][0]["ResourceName"] == names[2]

    with pytest.raises(botocore.exceptions.ClientError) as x:
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                           {"AttributeKey": "Username", "AttributeValue": "B"}])
    assert rg.err(x)[0] == "InvalidLookupAttributesException"
    with pytest.raises(botocore.exceptions.ClientError) as x:
        ct.lookup_events(NextToken="bm90LW91cnM=")
    assert rg.err(x)[0] == "InvalidNextTokenException"


def test_assume_role_shows_in_the_role_account_and_refusal(server, ct):
    iam = rg.client(server, "iam")
    admin = rg.admin_creds(server)
    user = iam.get_access_key_last_used(AccessKeyId=admin[0])["UserName"]
    role = rg.unique("ctrole")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sts = rg.client(server, "sts", creds=admin)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{server.account}:role/{role}", RoleSessionName="look")["Credentials"]
    got = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}])["Events"]
    assert got and got[0]["Username"] == user and got[0]["ReadOnly"] == "true"
    assert got[0]["Resources"] == [{"ResourceType": "AWS::IAM::Role", "ResourceName": role}]

    # the role session has no cloudtrail:LookupEvents: AWS's AccessDeniedException (CloudTrail names no resource)
    mine = rg.client(server, "cloudtrail", creds=(creds["AccessKeyId"], creds["SecretAccessKey"]),
                     token=creds["SessionToken"])
    with pytest.raises(botocore.exceptions.ClientError) as x:
        mine.lookup_events()
    code, msg, status, _ = rg.err(x)
    assert (code, status) == ("AccessDeniedException", 400)
    assert msg == (f"User: arn:aws:sts::{server.account}:assumed-role/{role}/look is not authorized to perform: "
                   "cloudtrail:LookupEvents because no identity-based policy allows the "
                   "cloudtrail:LookupEvents action")


def test_pages_merge_both_databases_without_loss_or_repeat(fresh_server):
    """Writes (rolegate.db) and AssumeRoles (audit.db) interleaved: paging one event at a time gives exactly the
    events one page of 50 gives, in the same newest-first order (besides the records of the lookups themselves)."""
    iam = rg.client(fresh_server, "iam")
    admin = rg.admin_creds(fresh_server)
    role = rg.unique("pg")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{fresh_server.account}:root"},
         "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sts = rg.client(fresh_server, "sts", creds=admin)
    for i in range(4):
        iam.create_group(GroupName=f"{role}-{i}")
        sts.assume_role(RoleArn=f"arn:aws:iam::{fresh_server.account}:role/{role}", RoleSessionName=f"s{i}")
    ct = rg.client(fresh_server, "cloudtrail")
    whole = ct.lookup_events()["Events"]
    assert "NextToken" not in ct.lookup_events()
    names = [e["EventName"] for e in whole]
    assert names.count("AssumeRole") == 4 and names.count("CreateGroup") == 4
    assert [e["EventTime"] for e in whole] == sorted([e["EventTime"] for e in whole], reverse=True)
    paged, token = [], None
    while True:
        page = ct.lookup_events(MaxResults=1, **({"NextToken": token} if token else {}))
        paged += page["Events"]
        token = page.get("NextToken")
        if not token:
            break
        assert len(paged) <= len(whole) + 2  # + the two lookups above (see below)
    # the lookups are audited too (CloudTrail logs LookupEvents, a read-only event): those made after `whole` was
    # read may head the first page, newer than everything in it; apart from them the pages are exactly `whole`
    assert "LookupEvents" not in names
    lookups = [e for e in paged if e["EventName"] == "LookupEvents"]
    assert paged[:len(lookups)] == lookups and len(lookups) <= 2
    assert [e["EventId"] for e in paged[len(lookups):]] == [e["EventId"] for e in whole]
