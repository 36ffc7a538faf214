"""AWS Organizations through boto3 and the aws CLI: the organization, CreateAccount (asynchronous), accounts, OUs,
service control policies, tags; pagination; every refusal with AWS's exception name and message.

The seed flow (module fixture `seed`): CreateOrganization, CreateAccount Dev/Stage/Prod polled until SUCCEEDED,
CreateOrganizationalUnit. Tests that change the organization as a whole (SCPs, deletion) use a server of their own.
"""
import datetime
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

import rg

SCP = "SERVICE_CONTROL_POLICY"
FULL = "p-FullAWSAccess"
DENY_IAM = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

NOT_IN_USE = "Your account is not a member of an organization."
ACCESS_DENIED = "You don't have permissions to access this resource."
ACCOUNT_NOT_FOUND = ("We can't find an Amazon Web Services account with the AccountId that you specified, or the "
                     "account whose credentials you used to make this request isn't a member of an organization.")
PARENT_NOT_FOUND = "We can't find a root or OU with the ParentId that you specified."
OU_NOT_FOUND = "We can't find an OU with the OrganizationalUnitId that you specified."
POLICY_NOT_FOUND = "We can't find a policy with the PolicyId that you specified."
TARGET_NOT_FOUND = "We can't find a root, OU, account, or policy with the TargetId that you specified."

ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}")
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
POLICY_ID = re.compile(r"p-[0-9a-zA-Z_]{8,128}")
CAR_ID = re.compile(r"car-[a-z0-9]{8,32}")


def orgs(server, creds=None):
    return rg.client(server, "organizations", creds)


def oerr(ei):
    """(code, message, Reason or None) of a ClientError."""
    r = ei.value.response
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400, r
    return r["Error"]["Code"], r["Error"]["Message"], r.get("Reason")


def refused(fn, **kw):
    with pytest.raises(ClientError) as ei:
        fn(**kw)
    return oerr(ei)


def create_account(o, name, email=None):
    """CreateAccount; returns the first status (IN_PROGRESS) and the final one, polled."""
    first = o.create_account(Email=email or f"{rg.unique(name.lower())}@example.com", AccountName=name)
    first = first["CreateAccountStatus"]
    return first, rg.wait_account_created(o, first["Id"])


def all_pages(o, method, key, **kw):
    """Every item of a list, one item per page (MaxResults=1, following NextToken); also returns the page count."""
    items, pages, token = [], 0, None
    while True:
        args = dict(kw, MaxResults=1)
        if token:
            args["NextToken"] = token
        r = getattr(o, method)(**args)
        pages += 1
        assert len(r[key]) <= 1
        items += r[key]
        token = r.get("NextToken")
        if not token:
            return items, pages


@pytest.fixture(scope="module")
def org(server):
    return orgs(server)


@pytest.fixture(scope="module")
def seed(server, org):
    """The seed's organization: Ops (management) + Dev, Stage and Prod, and an OU."""
    o = org.create_organization()["Organization"]
    root = org.list_roots()["Roots"][0]
    requests = {name: org.create_account(Email=f"{rg.unique(name.lower())}@example.com",
                                         AccountName=name)["CreateAccountStatus"] for name in ("Dev", "Stage", "Prod")}
    accounts = {}
    for name, first in requests.items():
        final = rg.wait_account_created(org, first["Id"])
        assert first["State"] == "IN_PROGRESS" and final["State"] == "SUCCEEDED", (first, final)
        accounts[name] = final["AccountId"]
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="Environments")["OrganizationalUnit"]
    return {"org": o, "root": root, "accounts": accounts, "ou": ou}


# ---- without an organization ---------------------------------------------------------------------------------

def test_not_in_use(fresh_server):
    o = orgs(fresh_server)
    for method, kw in [("describe_organization", {}), ("list_accounts", {}), ("list_roots", {}),
                       ("delete_organization", {}), ("describe_account", {"AccountId": "123456789012"}),
                       ("create_account", {"Email": "a@example.com", "AccountName": "A"}),
                       ("list_policies", {"Filter": SCP})]:
        assert refused(getattr(o, method), **kw) == ("AWSOrganizationsNotInUseException", NOT_IN_USE, None), method


def test_cli_not_in_use(fresh_server):
    r = rg.aws_cli(fresh_server, "organizations", "describe-organization")
    assert rg.cli_error(r) == ("AWSOrganizationsNotInUseException", "DescribeOrganization", NOT_IN_USE)


# ---- the organization ----------------------------------------------------------------------------------------

def test_create_organization(server, seed, org):
    o = seed["org"]
    mgmt = server.account
    assert ORG_ID.fullmatch(o["Id"]), o
    assert o["Arn"] == f"arn:aws:organizations::{mgmt}:organization/{o['Id']}"
    assert o["FeatureSet"] == "ALL"
    assert o["MasterAccountId"] == mgmt
    assert o["MasterAccountArn"] == f"arn:aws:organizations::{mgmt}:account/{o['Id']}/{mgmt}"
    assert org.describe_organization()["Organization"] == o
    code, msg, _ = refused(org.create_organization)
    assert code == "AlreadyInOrganizationException"
    assert msg == ("This account is already a member of an organization. An account can belong to only one "
                   "organization at a time.")


def test_list_roots(server, seed, org):
    roots = org.list_roots()["Roots"]
    assert len(roots) == 1
    r = roots[0]
    assert ROOT_ID.fullmatch(r["Id"]) and r["Name"] == "Root" and r["PolicyTypes"] == []
    assert r["Arn"] == f"arn:aws:organizations::{server.account}:root/{seed['org']['Id']}/{r['Id']}"
    assert org.list_roots(MaxResults=1)["Roots"] == roots


def test_service_access_and_delegated_administrators_are_empty(seed, org):
    assert org.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []
    assert org.list_delegated_administrators()["DelegatedAdministrators"] == []
    assert org.list_delegated_administrators(ServicePrincipal="config.amazonaws.com")["DelegatedAdministrators"] == []


def test_consolidated_billing_organization(fresh_server):
    o = orgs(fresh_server)
    assert o.create_organization(FeatureSet="CONSOLIDATED_BILLING")["Organization"]["FeatureSet"] == \
        "CONSOLIDATED_BILLING"
    code, msg, reason = refused(o.list_aws_service_access_for_organization)
    assert (code, reason) == ("ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
    assert msg == ("The request failed because the organization does not have all features enabled. Please enable "
                   "all features in your organization and then retry.")
    root = o.list_roots()["Roots"][0]["Id"]
    assert refused(o.enable_policy_type, RootId=root, PolicyType=SCP)[0] == \
        "PolicyTypeNotAvailableForOrganizationException"


# ---- accounts ------------------------------------------------------------------------------------------------

def test_create_account_is_asynchronous(server, seed, org):
    email = f"{rg.unique('async')}@example.com"
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    s = org.create_account(Email=email, AccountName="Async",
                           Tags=[{"Key": "env", "Value": "sandbox"}])["CreateAccountStatus"]
    assert CAR_ID.fullmatch(s["Id"]) and s["AccountName"] == "Async" and s["State"] == "IN_PROGRESS"
    assert "AccountId" not in s and "CompletedTimestamp" not in s
    assert before - datetime.timedelta(seconds=5) <= s["RequestedTimestamp"] <= before + datetime.timedelta(seconds=60)
    # while it is in progress the account is not listed yet
    listed = [a["Email"] for a in org.list_accounts()["Accounts"] if "Email" in a]
    seen = org.describe_create_account_status(CreateAccountRequestId=s["Id"])["CreateAccountStatus"]
    if seen["State"] == "IN_PROGRESS":
        assert email not in listed
    done = rg.wait_account_created(org, s["Id"])
    assert done["State"] == "SUCCEEDED" and re.fullmatch(r"\d{12}", done["AccountId"])
    assert done["CompletedTimestamp"] >= done["RequestedTimestamp"]
    a = org.describe_account(AccountId=done["AccountId"])["Account"]
    assert a["Email"] == email and a["Name"] == "Async" and a["Status"] == "ACTIVE" and a["State"] == "ACTIVE"
    assert a["JoinedMethod"] == "CREATED"
    assert a["Arn"] == f"arn:aws:organizations::{server.account}:account/{seed['org']['Id']}/{done['AccountId']}"
    assert a["Paths"] == [f"{seed['org']['Id']}/{seed['root']['Id']}/{done['AccountId']}/"]
    assert org.list_tags_for_resource(ResourceId=done["AccountId"])["Tags"] == [{"Key": "env", "Value": "sandbox"}]
    assert done["AccountId"] in [x["Id"] for x in org.list_accounts_for_parent(ParentId=seed["root"]["Id"])["Accounts"]]


def test_create_account_with_an_email_in_use_fails(seed, org):
    email = f"{rg.unique('dup')}@example.com"
    first, ok = create_account(org, "First", email)
    assert ok["State"] == "SUCCEEDED"
    s = org.create_account(Email=email.upper(), AccountName="Second")["CreateAccountStatus"]
    assert s["State"] == "IN_PROGRESS"
    failed = rg.wait_account_created(org, s["Id"])
    assert failed["State"] == "FAILED" and failed["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in failed
    assert [x for x in org.list_accounts()["Accounts"] if x["Name"] == "Second"] == []


def test_create_account_refusals(seed, org):
    code, msg, reason = refused(org.create_account, Email="x@example.com", AccountName="X",
                                RoleName="AWSServiceRoleForX")
    assert (code, reason) == ("InvalidInputException", "INVALID_ROLE_NAME")
    code, _, reason = refused(org.create_account, Email="y@example.com", AccountName="Y",
                              Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    assert (code, reason) == ("InvalidInputException", "DUPLICATE_TAG_KEY")


def test_describe_create_account_status_not_found(seed, org):
    code, msg, _ = refused(org.describe_create_account_status, CreateAccountRequestId="car-0123456789abcdef")
    assert code == "CreateAccountStatusNotFoundException"
    assert msg == "We can't find an create account request with the CreateAccountRequestId that you specified."


def test_list_create_account_status(seed, org):
    all_statuses, pages = all_pages(org, "list_create_account_status", "CreateAccountStatuses")
    assert pages >= 3
    ids = [s["Id"] for s in all_statuses]
    assert len(ids) == len(set(ids))
    assert {"Dev", "Stage", "Prod"} <= {s["AccountName"] for s in all_statuses}
    succeeded = org.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert succeeded and all(s["State"] == "SUCCEEDED" for s in succeeded)
    assert all(s["State"] == "FAILED" for s in
               org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"])
    # the paginator of boto3 gives the same list
    p = org.get_paginator("list_create_account_status")
    via = [s["Id"] for page in p.paginate(PaginationConfig={"PageSize": 2}) for s in page["CreateAccountStatuses"]]
    assert via == ids


def test_describe_account(server, seed, org):
    dev = seed["accounts"]["Dev"]
    a = org.describe_account(AccountId=dev)["Account"]
    assert a["Id"] == dev and a["Name"] == "Dev" and a["JoinedMethod"] == "CREATED"
    mgmt = org.describe_account(AccountId=server.account)["Account"]
    assert mgmt["JoinedMethod"] == "INVITED" and mgmt["Status"] == "ACTIVE"
    assert refused(org.describe_account, AccountId="000000000000") == \
        ("AccountNotFoundException", ACCOUNT_NOT_FOUND, None)


def test_list_accounts_pagination(server, seed, org):
    every = org.list_accounts()["Accounts"]
    ids = [a["Id"] for a in every]
    assert ids == sorted(ids)
    assert {server.account, *seed["accounts"].values()} <= set(ids)
    paged, pages = all_pages(org, "list_accounts", "Accounts")
    assert [a["Id"] for a in paged] == ids and pages >= len(ids)
    p = org.get_paginator("list_accounts")
    assert [a["Id"] for page in p.paginate(PaginationConfig={"PageSize": 2}) for a in page["Accounts"]] == ids
    code, msg, reason = refused(org.list_accounts, NextToken="not-a-token")
    assert (code, reason) == ("InvalidInputException", "INVALID_NEXT_TOKEN")
    # a token of another list is refused too
    token = org.list_create_account_status(MaxResults=1)["NextToken"]
    assert refused(org.list_accounts, NextToken=token)[2] == "INVALID_NEXT_TOKEN"


def test_move_account(server, seed, org):
    root, ou = seed["root"]["Id"], seed["ou"]["Id"]
    _, s = create_account(org, "Mover")
    acct = s["AccountId"]
    org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
    assert org.list_parents(ChildId=acct)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
    assert org.describe_account(AccountId=acct)["Account"]["Paths"] == [f"{seed['org']['Id']}/{root}/{ou}/{acct}/"]
    assert acct in [a["Id"] for a in org.list_accounts_for_parent(ParentId=ou)["Accounts"]]
    assert acct not in [a["Id"] for a in org.list_accounts_for_parent(ParentId=root)["Accounts"]]
    assert {"Id": acct, "Type": "ACCOUNT"} in org.list_children(ParentId=ou, ChildType="ACCOUNT")["Children"]

    assert refused(org.move_account, AccountId=acct, SourceParentId=ou, DestinationParentId=ou) == \
        ("DuplicateAccountException", "That account is already present in the specified destination.", None)
    assert refused(org.move_account, AccountId=acct, SourceParentId="ou-zzzz-zzzzzzzz", DestinationParentId=root) == \
        ("SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified.",
         None)
    assert refused(org.move_account, AccountId=acct, SourceParentId=ou, DestinationParentId="ou-zzzz-zzzzzzzz") == \
        ("DestinationParentNotFoundException",
         "We can't find the destination container (a root or OU) with the ParentId that you specified.", None)
    assert refused(org.move_account, AccountId="000000000000", SourceParentId=ou, DestinationParentId=root) == \
        ("AccountNotFoundException", ACCOUNT_NOT_FOUND, None)
    org.move_account(AccountId=acct, SourceParentId=ou, DestinationParentId=root)
    assert org.list_parents(ChildId=acct)["Parents"] == [{"Id": root, "Type": "ROOT"}]


def test_remove_account(server, seed, org):
    _, s = create_account(org, "Leaver")
    acct = s["AccountId"]
    org.tag_resource(ResourceId=acct, Tags=[{"Key": "k", "Value": "v"}])
    org.remove_account_from_organization(AccountId=acct)
    assert acct not in [a["Id"] for a in org.list_accounts()["Accounts"]]
    assert refused(org.describe_account, AccountId=acct)[0] == "AccountNotFoundException"
    assert refused(org.remove_account_from_organization, AccountId=acct)[0] == "AccountNotFoundException"
    code, msg, _ = refused(org.remove_account_from_organization, AccountId=server.account)
    assert code == "MasterCannotLeaveOrganizationException"
    assert msg.startswith("You can't remove a management account from an organization.")


def test_close_account(server, seed, org):
    _, s = create_account(org, "Closer")
    acct = s["AccountId"]
    org.close_account(AccountId=acct)
    a = org.describe_account(AccountId=acct)["Account"]
    assert a["Status"] in ("PENDING_CLOSURE", "SUSPENDED"), a
    deadline = time.monotonic() + 10
    while a["Status"] == "PENDING_CLOSURE":
        assert a["State"] == "PENDING_CLOSURE"
        assert time.monotonic() < deadline
        time.sleep(0.2)
        a = org.describe_account(AccountId=acct)["Account"]
    assert a["Status"] == "SUSPENDED" and a["State"] == "CLOSED"
    assert refused(org.close_account, AccountId=acct) == \
        ("AccountAlreadyClosedException", "You attempted to close an account that is already closed.", None)
    code, msg, reason = refused(org.close_account, AccountId=server.account)
    assert (code, reason) == ("ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
    assert refused(org.close_account, AccountId="000000000000")[0] == "AccountNotFoundException"


# ---- organizational units ------------------------------------------------------------------------------------

def test_organizational_units(server, seed, org):
    root = seed["root"]["Id"]
    parent = org.create_organizational_unit(ParentId=root, Name=rg.unique("ou"),
                                            Tags=[{"Key": "team", "Value": "ops"}])["OrganizationalUnit"]
    assert OU_ID.fullmatch(parent["Id"]) and parent["Id"].startswith("ou-" + root[2:] + "-")
    assert parent["Arn"] == f"arn:aws:organizations::{server.account}:ou/{seed['org']['Id']}/{parent['Id']}"
    assert parent["Path"] == f"{seed['org']['Id']}/{root}/{parent['Id']}/"
    assert org.describe_organizational_unit(OrganizationalUnitId=parent["Id"])["OrganizationalUnit"] == parent
    assert org.list_tags_for_resource(ResourceId=parent["Id"])["Tags"] == [{"Key": "team", "Value": "ops"}]

    kids = [org.create_organizational_unit(ParentId=parent["Id"], Name=n)["OrganizationalUnit"]
            for n in ("a", "b", "c")]
    assert kids[0]["Path"] == f"{seed['org']['Id']}/{root}/{parent['Id']}/{kids[0]['Id']}/"
    listed, pages = all_pages(org, "list_organizational_units_for_parent", "OrganizationalUnits",
                              ParentId=parent["Id"])
    assert sorted(k["Id"] for k in kids) == [x["Id"] for x in listed] and pages >= 3
    children = org.list_children(ParentId=parent["Id"], ChildType="ORGANIZATIONAL_UNIT")["Children"]
    assert children == [{"Id": x["Id"], "Type": "ORGANIZATIONAL_UNIT"} for x in listed]
    assert org.list_children(ParentId=parent["Id"], ChildType="ACCOUNT")["Children"] == []
    assert org.list_parents(ChildId=kids[0]["Id"])["Parents"] == [{"Id": parent["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert org.list_parents(ChildId=parent["Id"])["Parents"] == [{"Id": root, "Type": "ROOT"}]

    assert refused(org.create_organizational_unit, ParentId=parent["Id"], Name="a") == \
        ("DuplicateOrganizationalUnitException", "An OU with the same name already exists.", None)
    renamed = org.update_organizational_unit(OrganizationalUnitId=kids[0]["Id"], Name="a2")["OrganizationalUnit"]
    assert renamed["Name"] == "a2" and renamed["Id"] == kids[0]["Id"]
    assert refused(org.update_organizational_unit, OrganizationalUnitId=kids[1]["Id"], Name="c")[0] == \
        "DuplicateOrganizationalUnitException"

    code, msg, _ = refused(org.delete_organizational_unit, OrganizationalUnitId=parent["Id"])
    assert code == "OrganizationalUnitNotEmptyException"
    assert msg == ("The specified OU is not empty. Move all accounts to another root or to other OUs, remove all "
                   "child OUs, and try the operation again.")
    for k in kids:
        org.delete_organizational_unit(OrganizationalUnitId=k["Id"])
    org.delete_organizational_unit(OrganizationalUnitId=parent["Id"])
    assert refused(org.describe_organizational_unit, OrganizationalUnitId=parent["Id"]) == \
        ("OrganizationalUnitNotFoundException", OU_NOT_FOUND, None)
    assert refused(org.delete_organizational_unit, OrganizationalUnitId=parent["Id"])[0] == \
        "OrganizationalUnitNotFoundException"


def test_ou_with_an_account_is_not_empty(seed, org):
    root = seed["root"]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name=rg.unique("holder"))["OrganizationalUnit"]
    _, s = create_account(org, "Held")
    org.move_account(AccountId=s["AccountId"], SourceParentId=root, DestinationParentId=ou["Id"])
    assert refused(org.delete_organizational_unit, OrganizationalUnitId=ou["Id"])[0] == \
        "OrganizationalUnitNotEmptyException"
    org.move_account(AccountId=s["AccountId"], SourceParentId=ou["Id"], DestinationParentId=root)
    org.delete_organizational_unit(OrganizationalUnitId=ou["Id"])


def test_ou_depth_limit(seed, org):
    parent = seed["root"]["Id"]
    made = []
    for depth in range(1, 6):
        parent = org.create_organizational_unit(ParentId=parent, Name=f"level{depth}")["OrganizationalUnit"]["Id"]
        made.append(parent)
    code, msg, reason = refused(org.create_organizational_unit, ParentId=parent, Name="level6")
    assert (code, reason, msg) == ("ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED",
                                   "You attempted to create an OU tree that is too many levels deep.")
    for ou in reversed(made):
        org.delete_organizational_unit(OrganizationalUnitId=ou)


def test_parent_and_child_not_found(seed, org):
    for method, kw in [("create_organizational_unit", {"ParentId": "ou-zzzz-zzzzzzzz", "Name": "x"}),
                       ("list_organizational_units_for_parent", {"ParentId": "r-zzzz"}),
                       ("list_children", {"ParentId": "r-zzzz", "ChildType": "ACCOUNT"}),
                       ("list_accounts_for_parent", {"ParentId": "ou-zzzz-zzzzzzzz"})]:
        assert refused(getattr(org, method), **kw) == ("ParentNotFoundException", PARENT_NOT_FOUND, None), method
    for child in ("000000000000", "ou-zzzz-zzzzzzzz"):
        assert refused(org.list_parents, ChildId=child) == \
            ("ChildNotFoundException",
             "We can't find an organizational unit (OU) or Amazon Web Services account with the ChildId that you "
             "specified.", None)


# ---- service control policies --------------------------------------------------------------------------------

@pytest.fixture
def scp_org(fresh_server):
    """A fresh organization with two accounts and an OU holding one of them, SCPs not enabled yet."""
    o = orgs(fresh_server)
    o.create_organization()
    root = o.list_roots()["Roots"][0]["Id"]
    ou = o.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    a = create_account(o, "A")[1]["AccountId"]
    b = create_account(o, "B")[1]["AccountId"]
    o.move_account(AccountId=b, SourceParentId=root, DestinationParentId=ou)
    return {"server": fresh_server, "o": o, "root": root, "ou": ou, "a": a, "b": b}


def test_scp_lifecycle(scp_org):
    o, root, ou, a, b = (scp_org[k] for k in ("o", "root", "ou", "a", "b"))
    mgmt = scp_org["server"].account
    org_id = o.describe_organization()["Organization"]["Id"]

    p = o.create_policy(Content=DENY_IAM, Description="No IAM", Name="NoIAM", Type=SCP,
                        Tags=[{"Key": "owner", "Value": "sec"}])["Policy"]
    s = p["PolicySummary"]
    assert POLICY_ID.fullmatch(s["Id"]) and s["Name"] == "NoIAM" and s["Description"] == "No IAM"
    assert s["Type"] == SCP and s["AwsManaged"] is False and p["Content"] == DENY_IAM
    assert s["Arn"] == f"arn:aws:organizations::{mgmt}:policy/{org_id}/service_control_policy/{s['Id']}"
    pid = s["Id"]

    # not enabled yet: nothing attaches
    assert refused(o.attach_policy, PolicyId=pid, TargetId=ou) == \
        ("PolicyTypeNotEnabledException",
         "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified "
         "type to entities in a root until you enable that type in the root.", None)

    r = o.enable_policy_type(RootId=root, PolicyType=SCP)["Root"]
    assert r["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    assert o.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    assert refused(o.enable_policy_type, RootId=root, PolicyType=SCP) == \
        ("PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled in the specified root.",
         None)
    # FullAWSAccess is attached to the root, every OU and every account
    targets = o.list_targets_for_policy(PolicyId=FULL)["Targets"]
    assert {(t["TargetId"], t["Type"]) for t in targets} == \
        {(root, "ROOT"), (ou, "ORGANIZATIONAL_UNIT"), (a, "ACCOUNT"), (b, "ACCOUNT"), (mgmt, "ACCOUNT")}
    assert {t["TargetId"]: t["Name"] for t in targets}[ou] == "Workloads"
    full = o.describe_policy(PolicyId=FULL)["Policy"]
    assert full["PolicySummary"]["AwsManaged"] is True and full["PolicySummary"]["Name"] == "FullAWSAccess"
    assert full["PolicySummary"]["Arn"] == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    assert json.loads(full["Content"]) == json.loads(ALLOW_ALL)
    # a new OU gets it too
    ou2 = o.create_organizational_unit(ParentId=root, Name="New")["OrganizationalUnit"]["Id"]
    assert [x["Id"] for x in o.list_policies_for_target(TargetId=ou2, Filter=SCP)["Policies"]] == [FULL]

    o.attach_policy(PolicyId=pid, TargetId=ou)
    assert refused(o.attach_policy, PolicyId=pid, TargetId=ou) == \
        ("DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.",
         None)
    assert sorted(x["Id"] for x in o.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"]) == \
        sorted([FULL, pid])
    assert o.list_targets_for_policy(PolicyId=pid)["Targets"] == [
        {"TargetId": ou, "Arn": f"arn:aws:organizations::{mgmt}:ou/{org_id}/{ou}", "Name": "Workloads",
         "Type": "ORGANIZATIONAL_UNIT"}]

    # every target keeps one SCP: FullAWSAccess can go from the OU now that NoIAM is there, but not NoIAM after it
    code, msg, reason = refused(o.detach_policy, PolicyId=FULL, TargetId=a)
    assert (code, reason) == ("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    assert msg == ("You attempted to detach a policy from an entity that would cause the entity to have fewer than "
                   "the minimum number of policies of a certain type required.")
    o.detach_policy(PolicyId=FULL, TargetId=ou)
    assert refused(o.detach_policy, PolicyId=pid, TargetId=ou)[2] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    assert [x["Id"] for x in o.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"]] == [pid]
    assert refused(o.detach_policy, PolicyId=pid, TargetId=root) == \
        ("PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.",
         None)

    # at most five per target
    extra = [o.create_policy(Content=ALLOW_ALL, Description="", Name=f"x{i}", Type=SCP)["Policy"]["PolicySummary"]
             ["Id"] for i in range(5)]
    for e in extra[:4]:
        o.attach_policy(PolicyId=e, TargetId=a)
    code, _, reason = refused(o.attach_policy, PolicyId=extra[4], TargetId=a)
    assert (code, reason) == ("ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    assert len(o.list_policies_for_target(TargetId=a, Filter=SCP)["Policies"]) == 5

    # in use: not deletable
    assert refused(o.delete_policy, PolicyId=pid) == \
        ("PolicyInUseException", "The policy is attached to one or more entities. You must detach it from all roots, "
         "OUs, and accounts before performing this operation.", None)
    o.delete_policy(PolicyId=extra[4])
    assert refused(o.describe_policy, PolicyId=extra[4]) == ("PolicyNotFoundException", POLICY_NOT_FOUND, None)

    # disabling detaches every SCP; the policies stay
    r = o.disable_policy_type(RootId=root, PolicyType=SCP)["Root"]
    assert r["PolicyTypes"] == []
    assert o.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"] == []
    assert o.list_targets_for_policy(PolicyId=FULL)["Targets"] == []
    assert refused(o.disable_policy_type, RootId=root, PolicyType=SCP)[0] == "PolicyTypeNotEnabledException"
    o.delete_policy(PolicyId=pid)
    # enabling again: FullAWSAccess only, everywhere
    o.enable_policy_type(RootId=root, PolicyType=SCP)
    assert [x["Id"] for x in o.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"]] == [FULL]


def test_scp_content_and_names(scp_org):
    o = scp_org["o"]
    code, msg, _ = refused(o.create_policy, Content="{not json", Description="", Name="bad", Type=SCP)
    assert code == "MalformedPolicyDocumentException" and msg
    code, msg, _ = refused(o.create_policy, Content=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}), Description="", Name="p", Type=SCP)
    assert code == "MalformedPolicyDocumentException"
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": [f"s3:Get{'x' * 40}{i}" for i in range(120)], "Resource": "*"}]})
    assert len(big) > 5120
    code, _, reason = refused(o.create_policy, Content=big, Description="", Name="big", Type=SCP)
    assert (code, reason) == ("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
    assert refused(o.create_policy, Content=ALLOW_ALL, Description="", Name="t", Type="TAG_POLICY")[0] == \
        "PolicyTypeNotAvailableForOrganizationException"

    p = o.create_policy(Content=ALLOW_ALL, Description="d", Name="One", Type=SCP)["Policy"]["PolicySummary"]["Id"]
    assert refused(o.create_policy, Content=ALLOW_ALL, Description="", Name="One", Type=SCP) == \
        ("DuplicatePolicyException", "A policy with the same name already exists.", None)
    assert refused(o.create_policy, Content=ALLOW_ALL, Description="", Name="FullAWSAccess", Type=SCP)[0] == \
        "DuplicatePolicyException"
    u = o.update_policy(PolicyId=p, Name="Two", Description="d2", Content=DENY_IAM)["Policy"]
    assert (u["PolicySummary"]["Name"], u["PolicySummary"]["Description"], u["Content"]) == ("Two", "d2", DENY_IAM)
    assert o.describe_policy(PolicyId=p)["Policy"] == u
    assert refused(o.update_policy, PolicyId=p, Content="[]")[0] == "MalformedPolicyDocumentException"
    for fn, kw in [(o.update_policy, {"PolicyId": FULL, "Name": "Mine"}), (o.delete_policy, {"PolicyId": FULL})]:
        code, msg, reason = refused(fn, **kw)
        assert (code, reason) == ("InvalidInputException", "IMMUTABLE_POLICY")
        assert msg == "You specified a policy that is managed by Amazon Web Services and can't be modified."
    assert refused(o.describe_policy, PolicyId="p-00000000") == ("PolicyNotFoundException", POLICY_NOT_FOUND, None)
    o.enable_policy_type(RootId=scp_org["root"], PolicyType=SCP)
    assert refused(o.attach_policy, PolicyId=p, TargetId="000000000000") == \
        ("TargetNotFoundException", TARGET_NOT_FOUND, None)
    assert refused(o.list_policies_for_target, TargetId="ou-zzzz-zzzzzzzz", Filter=SCP)[0] == \
        "TargetNotFoundException"
    assert refused(o.attach_policy, PolicyId="p-00000000", TargetId=scp_org["a"])[0] == "PolicyNotFoundException"

    listed, pages = all_pages(o, "list_policies", "Policies", Filter=SCP)
    assert [x["Id"] for x in listed] == sorted([FULL, p]) and pages >= 2
    assert o.list_policies(Filter="TAG_POLICY")["Policies"] == []


def test_policy_types_need_the_root(scp_org):
    o = scp_org["o"]
    for fn in (o.enable_policy_type, o.disable_policy_type):
        assert refused(fn, RootId="r-zzzz", PolicyType=SCP) == \
            ("RootNotFoundException", "We can't find a root with the RootId that you specified.", None)
    assert refused(o.enable_policy_type, RootId=scp_org["root"], PolicyType="TAG_POLICY")[0] == \
        "PolicyTypeNotAvailableForOrganizationException"


# ---- tags ----------------------------------------------------------------------------------------------------

def test_tags(seed, org):
    root, ou, dev = seed["root"]["Id"], seed["ou"]["Id"], seed["accounts"]["Dev"]
    pid = org.create_policy(Content=ALLOW_ALL, Description="", Name=rg.unique("tagged"), Type=SCP)["Policy"][
        "PolicySummary"]["Id"]
    for rid in (root, ou, dev, pid):
        org.tag_resource(ResourceId=rid, Tags=[{"Key": "env", "Value": "x"}, {"Key": "team", "Value": "y"}])
        org.tag_resource(ResourceId=rid, Tags=[{"Key": "env", "Value": "z"}])
        assert org.list_tags_for_resource(ResourceId=rid)["Tags"] == \
            [{"Key": "env", "Value": "z"}, {"Key": "team", "Value": "y"}], rid
        org.untag_resource(ResourceId=rid, TagKeys=["team", "absent"])
        assert org.list_tags_for_resource(ResourceId=rid)["Tags"] == [{"Key": "env", "Value": "z"}]
        org.untag_resource(ResourceId=rid, TagKeys=["env"])
    for rid in ("000000000000", "ou-zzzz-zzzzzzzz", "r-zzzz", "p-00000000"):
        assert refused(org.list_tags_for_resource, ResourceId=rid) == ("TargetNotFoundException", TARGET_NOT_FOUND,
                                                                       None), rid
        assert refused(org.tag_resource, ResourceId=rid, Tags=[{"Key": "a", "Value": "b"}])[0] == \
            "TargetNotFoundException"
    code, _, reason = refused(org.tag_resource, ResourceId=dev, Tags=[{"Key": "aws:x", "Value": "b"}])
    assert (code, reason) == ("InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
    org.tag_resource(ResourceId=ou, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    code, msg, reason = refused(org.tag_resource, ResourceId=ou, Tags=[{"Key": "one-more", "Value": "v"}])
    assert (code, reason, msg) == ("ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED",
                                   "You have exceeded the number of tags allowed on this resource.")
    org.tag_resource(ResourceId=ou, Tags=[{"Key": "k0", "Value": "replaced"}])  # replacing is not adding
    assert len(org.list_tags_for_resource(ResourceId=ou)["Tags"]) == 50
    org.untag_resource(ResourceId=ou, TagKeys=[f"k{i}" for i in range(50)])


# ---- who may call --------------------------------------------------------------------------------------------

def test_iam_user_of_the_management_account_needs_permission(server, seed, iam):
    user, [creds] = rg.make_user(iam)
    o = orgs(server, creds)
    with pytest.raises(ClientError) as ei:
        o.list_accounts()
    code, msg, _ = oerr(ei)
    assert code == "AccessDeniedException"
    assert msg == (f"User: {user['Arn']} is not authorized to perform: organizations:ListAccounts on resource: * "
                   f"because no identity-based policy allows the organizations:ListAccounts action")


def test_delete_organization(fresh_server):
    o = orgs(fresh_server)
    o.create_organization()
    root = o.list_roots()["Roots"][0]["Id"]
    o.enable_policy_type(RootId=root, PolicyType=SCP)
    ou = o.create_organizational_unit(ParentId=root, Name="x", Tags=[{"Key": "a", "Value": "b"}])
    o.create_policy(Content=DENY_IAM, Description="", Name="p", Type=SCP)
    _, s = create_account(o, "Member")
    code, msg, _ = refused(o.delete_organization)
    assert code == "OrganizationNotEmptyException"
    assert msg == ("The organization isn't empty. To delete an organization, you must first remove all accounts "
                   "except the management account.")
    o.remove_account_from_organization(AccountId=s["AccountId"])
    o.delete_organization()
    assert refused(o.describe_organization) == ("AWSOrganizationsNotInUseException", NOT_IN_USE, None)
    assert refused(o.describe_organizational_unit,
                   OrganizationalUnitId=ou["OrganizationalUnit"]["Id"])[0] == "AWSOrganizationsNotInUseException"
    # and a new one can be made, with nothing of the old one in it
    new = o.create_organization()["Organization"]
    assert [a["Id"] for a in o.list_accounts()["Accounts"]] == [fresh_server.account]
    assert [p["Id"] for p in o.list_policies(Filter=SCP)["Policies"]] == [FULL]
    assert new["Id"] != ou["OrganizationalUnit"]["Arn"].split("/")[1]


def assume(server, account, role="OrganizationAccountAccessRole", creds=None):
    """Credentials of a session of `role` in `account`, assumed by an administrator of the management account (or
    creds; AWS refuses AssumeRole to root users)."""
    sts = rg.client(server, "sts", creds or rg.admin_creds(server))
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="orgs-test")["Credentials"]
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]


def member_client(server, service, account, role="OrganizationAccountAccessRole"):
    creds, token = assume(server, account, role)
    return rg.client(server, service, creds, token=token)


def test_member_account_has_the_access_role(server, seed):
    """CreateAccount made OrganizationAccountAccessRole in the new account: it trusts the management account and
    has AdministratorAccess attached; the management account enters with sts:AssumeRole."""
    dev = seed["accounts"]["Dev"]
    iam = member_client(server, "iam", dev)
    role = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{dev}:role/OrganizationAccountAccessRole"
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"},
                       "Action": "sts:AssumeRole"}]}
    assert iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"] == \
        [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
    # the administrator can work in its account
    name = rg.unique("member-user")
    assert iam.create_user(UserName=name)["User"]["Arn"] == f"arn:aws:iam::{dev}:user/{name}"
    sts = member_client(server, "sts", dev)
    assert sts.get_caller_identity()["Account"] == dev


def test_create_account_with_a_role_name(server, seed, org):
    st = org.create_account(Email=f"{rg.unique('role')}@example.com", AccountName="Role",
                            RoleName="Admin")["CreateAccountStatus"]
    acct = rg.wait_account_created(org, st["Id"])["AccountId"]
    iam = member_client(server, "iam", acct, role="Admin")
    assert iam.get_role(RoleName="Admin")["Role"]["Arn"] == f"arn:aws:iam::{acct}:role/Admin"
    with pytest.raises(ClientError) as ei:
        iam.get_role(RoleName="OrganizationAccountAccessRole")
    assert ei.value.response["Error"]["Code"] == "NoSuchEntity"


@pytest.mark.sqlite_only('reads DATA/rolegate.db with sqlite3')
def test_created_account_in_storage_and_audit(server_factory):
    """What CreateAccount wrote, read from DATA/rolegate.db once the server has stopped: the account, its role
    trusting the management account with AdministratorAccess attached, and the audit records of the writes."""
    import sqlite3

    srv = server_factory.start()
    o = orgs(srv)
    o.create_organization()
    s = o.create_account(Email="store@example.com", AccountName="Stored", RoleName="Entry")["CreateAccountStatus"]
    acct = rg.wait_account_created(o, s["Id"])["AccountId"]
    denied = refused(o.describe_account, AccountId="000000000000")
    srv.stop_ok()
    db = sqlite3.connect(f"file:{srv.data_dir / 'rolegate.db'}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT name, email, status, is_management FROM accounts WHERE account_id = ?",
                          (acct,)).fetchall() == [("Stored", "store@example.com", "ACTIVE", 0)]
        roles = db.execute("SELECT role_id, name, path, trust_policy FROM roles WHERE account_id = ?",
                           (acct,)).fetchall()
        assert [(r[1], r[2]) for r in roles] == [("Entry", "/")]
        assert roles[0][0].startswith("AROA")
        assert json.loads(roles[0][3]) == {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{srv.account}:root"},
                           "Action": "sts:AssumeRole"}]}
        assert db.execute("SELECT policy_arn, entity_type FROM policy_attachments WHERE entity_id = ?",
                          (roles[0][0],)).fetchall() == [("arn:aws:iam::aws:policy/AdministratorAccess", "role")]
        audit = db.execute("SELECT action, outcome, resource FROM audit WHERE action LIKE 'organizations:%' "
                           "ORDER BY seq").fetchall()
    finally:
        db.close()
    # writes are audited; reads are not
    assert audit == [("organizations:CreateOrganization", "Success", "*"),
                     ("organizations:CreateAccount", "Success", "*")]
    assert denied[0] == "AccountNotFoundException"


def test_member_accounts_read_only_their_organization(server, seed):
    """A member account may describe its organization; the rest is for the management account."""
    dev = seed["accounts"]["Dev"]
    o = member_client(server, "organizations", dev)
    assert o.describe_organization()["Organization"] == seed["org"]
    for method, kw in [("list_accounts", {}), ("list_roots", {}), ("describe_account", {"AccountId": dev}),
                       ("list_parents", {"ChildId": dev}), ("list_policies", {"Filter": SCP}),
                       ("create_account", {"Email": "m@example.com", "AccountName": "M"}),
                       ("create_organizational_unit", {"ParentId": seed["root"]["Id"], "Name": "m"}),
                       ("list_create_account_status", {}), ("delete_organization", {}),
                       ("tag_resource", {"ResourceId": dev, "Tags": [{"Key": "a", "Value": "b"}]})]:
        assert refused(getattr(o, method), **kw) == ("AccessDeniedException", ACCESS_DENIED, None), method
    assert refused(o.create_organization)[0] == "AlreadyInOrganizationException"


def test_closed_account_principals_are_refused(server, seed, org):
    _, s = create_account(org, "Doomed")
    acct = s["AccountId"]
    creds, token = assume(server, acct)
    sts = rg.client(server, "sts", creds, token=token)
    assert sts.get_caller_identity()["Account"] == acct
    org.close_account(AccountId=acct)
    with pytest.raises(ClientError) as ei:
        sts.get_caller_identity()
    assert ei.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_scp_denies_even_the_member_administrator(fresh_server):
    o = orgs(fresh_server)
    o.create_organization()
    root = o.list_roots()["Roots"][0]["Id"]
    o.enable_policy_type(RootId=root, PolicyType=SCP)
    ou = o.create_organizational_unit(ParentId=root, Name="Locked")["OrganizationalUnit"]["Id"]
    acct = create_account(o, "Locked")[1]["AccountId"]
    o.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
    iam = member_client(fresh_server, "iam", acct)
    iam.list_users()  # AdministratorAccess, FullAWSAccess everywhere: allowed
    pid = o.create_policy(Content=DENY_IAM, Description="", Name="NoIAM", Type=SCP)["Policy"]["PolicySummary"]["Id"]
    o.attach_policy(PolicyId=pid, TargetId=ou)
    with pytest.raises(ClientError) as ei:
        iam.list_users()
    code, msg = ei.value.response["Error"]["Code"], ei.value.response["Error"]["Message"]
    assert code == "AccessDenied" and "with an explicit deny in a service control policy" in msg, msg
    # the management account is never limited by SCPs
    o.attach_policy(PolicyId=pid, TargetId=fresh_server.account)
    rg.client(fresh_server, "iam").list_users()


# ---- the aws CLI ---------------------------------------------------------------------------------------------

def test_cli_seed_flow(fresh_server):
    cli = lambda *a: rg.aws_cli(fresh_server, "organizations", *a)  # noqa: E731
    o = rg.cli_json(cli("create-organization", "--feature-set", "ALL"))["Organization"]
    assert ORG_ID.fullmatch(o["Id"])
    assert rg.cli_error(cli("create-organization"))[0] == "AlreadyInOrganizationException"
    s = rg.cli_json(cli("create-account", "--email", "cli@example.com", "--account-name", "Cli"))[
        "CreateAccountStatus"]
    assert s["State"] == "IN_PROGRESS"
    deadline = time.monotonic() + 15
    while s["State"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.3)
        s = rg.cli_json(cli("describe-create-account-status", "--create-account-request-id", s["Id"]))[
            "CreateAccountStatus"]
    assert s["State"] == "SUCCEEDED"
    root = rg.cli_json(cli("list-roots"))["Roots"][0]["Id"]
    ou = rg.cli_json(cli("create-organizational-unit", "--parent-id", root, "--name", "Envs"))[
        "OrganizationalUnit"]["Id"]
    assert cli("move-account", "--account-id", s["AccountId"], "--source-parent-id", root,
               "--destination-parent-id", ou)[0] == 0
    accounts = rg.cli_json(cli("list-accounts-for-parent", "--parent-id", ou))["Accounts"]
    assert [a["Id"] for a in accounts] == [s["AccountId"]]
    # the CLI's own pagination (--page-size) follows NextToken
    all_accounts = rg.cli_json(cli("list-accounts", "--page-size", "1"))["Accounts"]
    assert sorted(a["Id"] for a in all_accounts) == sorted([fresh_server.account, s["AccountId"]])
    assert rg.cli_json(cli("enable-policy-type", "--root-id", root, "--policy-type", SCP))["Root"]["PolicyTypes"] == \
        [{"Type": SCP, "Status": "ENABLED"}]
    p = rg.cli_json(cli("create-policy", "--content", DENY_IAM, "--description", "no iam", "--name", "NoIAM",
                        "--type", SCP))["Policy"]["PolicySummary"]["Id"]
    assert cli("attach-policy", "--policy-id", p, "--target-id", ou)[0] == 0
    listed = rg.cli_json(cli("list-policies-for-target", "--target-id", ou, "--filter", SCP))["Policies"]
    assert sorted(x["Id"] for x in listed) == sorted([FULL, p])
    assert rg.cli_error(cli("describe-account", "--account-id", "000000000000")) == \
        ("AccountNotFoundException", "DescribeAccount", ACCOUNT_NOT_FOUND)


# ---- Terraform's calls ---------------------------------------------------------------------------------------

def test_terraform_provider_calls(server, seed, org):
    """What aws_organizations_organization and aws_organizations_account read (internal/service/organizations)."""
    o = org.describe_organization()["Organization"]
    accounts = [a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    assert {a["Id"] for a in accounts} >= {o["MasterAccountId"], *seed["accounts"].values()}
    assert all({"Arn", "Id", "Name", "Status"} <= set(a) for a in accounts)
    roots = [r for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]]
    assert roots[0]["Id"] == seed["root"]["Id"] and "PolicyTypes" in roots[0]
    assert [p for page in org.get_paginator("list_aws_service_access_for_organization").paginate()
            for p in page["EnabledServicePrincipals"]] == []
    dev = seed["accounts"]["Dev"]
    a = org.describe_account(AccountId=dev)["Account"]
    assert {"Arn", "Email", "JoinedMethod", "JoinedTimestamp", "Name", "Status"} <= set(a)
    parents = [p for page in org.get_paginator("list_parents").paginate(ChildId=dev) for p in page["Parents"]]
    assert len(parents) == 1
    assert org.list_tags_for_resource(ResourceId=dev)["Tags"] == []


TF_MAIN = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region                  = "us-east-1"
  skip_region_validation  = true
  skip_metadata_api_check = true
  endpoints {
    organizations = "ENDPOINT"
    sts           = "ENDPOINT"
    iam           = "ENDPOINT"
  }
}
resource "aws_organizations_organization" "org" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY"]
}
resource "aws_organizations_organizational_unit" "envs" {
  name      = "Environments"
  parent_id = aws_organizations_organization.org.roots[0].id
  tags      = { team = "platform" }
}
resource "aws_organizations_account" "dev" {
  name      = "Dev"
  email     = "dev@example.com"
  parent_id = aws_organizations_organizational_unit.envs.id
  tags      = { env = "dev" }
}
resource "aws_organizations_policy" "no_leave" {
  name       = "DenyLeaving"
  content    = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Deny", Action = "organizations:LeaveOrganization", Resource = "*" }] })
  depends_on = [aws_organizations_organization.org]
}
resource "aws_organizations_policy_attachment" "envs" {
  policy_id = aws_organizations_policy.no_leave.id
  target_id = aws_organizations_organizational_unit.envs.id
}
output "dev_id" { value = aws_organizations_account.dev.id }
output "ou_id" { value = aws_organizations_organizational_unit.envs.id }
output "policy_id" { value = aws_organizations_policy.no_leave.id }
"""


def test_terraform_organization_accounts_ous_and_scps(fresh_server, tmp_path):
    """The real provider (hashicorp/aws 5.100.0 from the image's mirror): apply, plan (no changes), destroy."""
    import os
    import shutil
    import subprocess

    plugin = rg.TF_PLUGIN
    if not shutil.which("terraform") or not os.path.isdir(plugin):
        pytest.skip(f"terraform or its provider mirror ({plugin}) is not installed: Terraform test not run")
    (tmp_path / "cli.tfrc").write_text(rg.TF_CLI_CONFIG)
    (tmp_path / "main.tf").write_text(TF_MAIN.replace("ENDPOINT", fresh_server.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TF_CLI_CONFIG_FILE=str(tmp_path / "cli.tfrc"), AWS_ACCESS_KEY_ID=fresh_server.root[0],
               AWS_SECRET_ACCESS_KEY=fresh_server.root[1], AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
               TF_DATA_DIR=str(tmp_path / ".terraform"))

    def tf(*args, ok=(0,)):
        p = subprocess.run(["terraform", *args, "-no-color"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300)
        assert p.returncode in ok, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
        return p

    tf("init", "-input=false")
    tf("apply", "-auto-approve", "-input=false")
    out = json.loads(tf("output", "-json").stdout)
    dev, ou, pid = out["dev_id"]["value"], out["ou_id"]["value"], out["policy_id"]["value"]
    o = orgs(fresh_server)
    assert o.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    assert o.list_parents(ChildId=dev)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
    assert o.list_tags_for_resource(ResourceId=dev)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert sorted(p["Id"] for p in o.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"]) == \
        sorted([FULL, pid])
    # nothing to change: every attribute read back matches
    assert tf("plan", "-detailed-exitcode", "-input=false").returncode == 0
    tf("destroy", "-auto-approve", "-input=false")
    # Terraform's calls all succeeded (the log is flushed asynchronously: DescribeOrganization's "not in use" after
    # the destroy, Terraform's check or the one below, may or may not be in it yet; it is expected)
    refusals = [line for line in fresh_server.log().splitlines() if "action=organizations:" in line
                and "status=200" not in line and "error=AWSOrganizationsNotInUseException" not in line]
    assert refusals == [], refusals
    assert refused(o.describe_organization) == ("AWSOrganizationsNotInUseException", NOT_IN_USE, None)
