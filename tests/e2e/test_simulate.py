"""The IAM policy simulator: iam:SimulatePrincipalPolicy and iam:SimulateCustomPolicy, through boto3 and the aws CLI.

Every decision is the policy engine's (the one authorization uses): a user's own, its groups' and its attached
managed policies, a role's, the permissions boundary and PolicyInputList; MatchedStatements name the deciding
statement and where it sits in the document, as AWS reports it (the column just past the brace). The refusals:
a caller without iam:SimulatePrincipalPolicy gets AccessDenied, an unknown entity NoSuchEntity, a policy that does
not parse InvalidInput.
"""
import json

import botocore.exceptions
import pytest

import rg

S3_READ = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]}
DENY_DELETE = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}}
# AWS CLI's own example: the statement opens at character 37 of line 1 and closes at 166 -> columns 38 and 167.
CLI_EXAMPLE = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
               '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')


@pytest.fixture(scope="module")
def iam(server):
    return rg.client(server, "iam")


def results(resp):
    return {(r["EvalActionName"], r["EvalResourceName"]): r for r in resp["EvaluationResults"]}


def test_principal_policy_user_inline_group_and_managed(server, iam):
    user, _ = rg.make_user(iam, keys=0)
    name, arn = user["UserName"], user["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ, indent=4))
    group = rg.unique("g")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    iam.put_group_policy(GroupName=group, PolicyName="no-delete", PolicyDocument=json.dumps(DENY_DELETE))
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")

    r = results(iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject", "iam:ListUsers"],
        ResourceArns=["arn:aws:s3:::bucket/key"]))
    get = r[("s3:GetObject", "arn:aws:s3:::bucket/key")]
    assert get["EvalDecision"] == "allowed"
    # json.dumps(indent=4): the statement's '{' is the 9th character of line 4, its '}' the 9th of line 9
    assert get["MatchedStatements"] == [{"SourcePolicyId": "s3-read", "SourcePolicyType": "user",
                                         "StartPosition": {"Line": 4, "Column": 10},
                                         "EndPosition": {"Line": 9, "Column": 10}}]
    delete = r[("s3:DeleteObject", "arn:aws:s3:::bucket/key")]
    assert delete["EvalDecision"] == "explicitDeny"
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in delete["MatchedStatements"]] == [
        ("no-delete", "group")]
    put = r[("s3:PutObject", "arn:aws:s3:::bucket/key")]
    assert put["EvalDecision"] == "implicitDeny" and put["MatchedStatements"] == []
    lst = r[("iam:ListUsers", "arn:aws:s3:::bucket/key")]
    assert lst["EvalDecision"] == "allowed"
    assert lst["MatchedStatements"][0]["SourcePolicyId"] == "IAMReadOnlyAccess"
    assert lst["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"


def test_principal_policy_role_boundary_and_input_list(server, iam):
    role = rg.unique("r")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % server.account}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="all-s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    boundary = iam.create_policy(PolicyName=rg.unique("pb"), PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)

    r = results(iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:PutObject"],
                                              ResourceArns=["arn:aws:s3:::bucket/k"]))
    assert r[("s3:GetObject", "arn:aws:s3:::bucket/k")]["EvalDecision"] == "allowed"
    assert r[("s3:GetObject", "arn:aws:s3:::bucket/k")]["PermissionsBoundaryDecisionDetail"] == {
        "AllowedByPermissionsBoundary": True}
    put = r[("s3:PutObject", "arn:aws:s3:::bucket/k")]
    assert put["EvalDecision"] == "implicitDeny"
    assert put["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    # PolicyInputList adds to the role's own policies; its Deny is reported as PolicyInputList.1
    r = results(iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"],
                                              ResourceArns=["arn:aws:s3:::bucket/k"],
                                              PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
                                                  {"Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}]})]))
    got = r[("s3:GetObject", "arn:aws:s3:::bucket/k")]
    assert got["EvalDecision"] == "explicitDeny"
    assert got["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_custom_policy_cli_example_positions_and_context(server):
    args = ["iam", "simulate-custom-policy", "--policy-input-list", CLI_EXAMPLE, "--action-names",
            "dynamodb:CreateBackup", "--context-entries"]
    out = rg.cli_json(rg.aws_cli(server, *args, "ContextKeyName=aws:CurrentTime,ContextKeyValues=2019-04-25T11:00:00Z,"
                                                "ContextKeyType=date"))
    (res,) = out["EvaluationResults"]
    assert res["EvalDecision"] == "allowed"
    assert res["MatchedStatements"] == [{"SourcePolicyId": "PolicyInputList.1",
                                         "StartPosition": {"Line": 1, "Column": 38},
                                         "EndPosition": {"Line": 1, "Column": 167}}]
    assert res["MissingContextValues"] == []
    out = rg.cli_json(rg.aws_cli(server, *args, "ContextKeyName=aws:CurrentTime,ContextKeyValues=2014-04-25T11:00:00Z,"
                                                "ContextKeyType=date"))
    assert out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    # without the key the condition cannot be decided: AWS names it
    out = rg.cli_json(rg.aws_cli(server, "iam", "simulate-custom-policy", "--policy-input-list", CLI_EXAMPLE,
                                 "--action-names", "dynamodb:CreateBackup"))
    assert out["EvaluationResults"][0]["MissingContextValues"] == ["aws:CurrentTime"]


def test_principal_policy_cli_and_pagination(server, iam):
    user, _ = rg.make_user(iam, keys=0)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))
    out = rg.cli_json(rg.aws_cli(server, "iam", "simulate-principal-policy", "--policy-source-arn", user["Arn"],
                                 "--action-names", "s3:GetObject", "s3:PutObject", "--resource-arns",
                                 "arn:aws:s3:::bucket/a", "arn:aws:s3:::other/b"))
    got = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in out["EvaluationResults"]}
    assert got == {("s3:GetObject", "arn:aws:s3:::bucket/a"): "allowed",
                   ("s3:GetObject", "arn:aws:s3:::other/b"): "implicitDeny",
                   ("s3:PutObject", "arn:aws:s3:::bucket/a"): "implicitDeny",
                   ("s3:PutObject", "arn:aws:s3:::other/b"): "implicitDeny"}
    page = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject", "s3:PutObject"],
                                         ResourceArns=["arn:aws:s3:::bucket/a", "arn:aws:s3:::other/b"], MaxItems=3)
    assert page["IsTruncated"] and len(page["EvaluationResults"]) == 3
    rest = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject", "s3:PutObject"],
                                         ResourceArns=["arn:aws:s3:::bucket/a", "arn:aws:s3:::other/b"],
                                         MaxItems=3, Marker=page["Marker"])
    assert not rest["IsTruncated"]
    assert [(r["EvalActionName"], r["EvalResourceName"]) for r in rest["EvaluationResults"]] == [
        ("s3:PutObject", "arn:aws:s3:::other/b")]


def test_refusals(server, iam):
    user, creds = rg.make_user(iam)
    # a caller without iam:SimulatePrincipalPolicy
    rc = rg.aws_cli(server, "iam", "simulate-principal-policy", "--policy-source-arn", user["Arn"],
                    "--action-names", "s3:GetObject", creds=creds[0])
    code, op, msg = rg.cli_error(rc)
    assert (code, op) == ("AccessDenied", "SimulatePrincipalPolicy")
    assert msg == (f"User: {user['Arn']} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: "
                   f"{user['Arn']} because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
    mine = rg.client(server, "iam", creds=creds[0])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mine.simulate_custom_policy(PolicyInputList=[json.dumps(S3_READ)], ActionNames=["s3:GetObject"])
    assert rg.err(e)[0] == "AccessDenied"
    # allowed on itself only: another user is refused
    iam.put_user_policy(UserName=user["UserName"], PolicyName="sim-self", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
                                                 "Resource": user["Arn"]}]}))
    assert mine.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["iam:SimulatePrincipalPolicy"],
                                          ResourceArns=[user["Arn"]])["EvaluationResults"][0]["EvalDecision"] == \
        "allowed"
    other, _ = rg.make_user(iam, keys=0)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mine.simulate_principal_policy(PolicySourceArn=other["Arn"], ActionNames=["s3:GetObject"])
    assert rg.err(e)[0] == "AccessDenied"

    # an entity that does not exist
    gone = f"arn:aws:iam::{server.account}:user/{rg.unique('nobody')}"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=gone, ActionNames=["s3:GetObject"])
    code, msg, status, _ = rg.err(e)
    assert (code, status) == ("NoSuchEntity", 404)
    assert msg == f"The user with name {gone.rsplit('/', 1)[1]} cannot be found."
    # a policy that is not one
    code, op, msg = rg.cli_error(rg.aws_cli(server, "iam", "simulate-custom-policy", "--policy-input-list",
                                            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"', "--action-names",
                                            "s3:GetObject"))
    assert (code, op) == ("InvalidInput", "SimulateCustomPolicy")
    assert "Syntax errors in policy." in msg
    # an ARN that is no user, group or role
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:sts::{server.account}:assumed-role/r/s",
                                      ActionNames=["s3:GetObject"])
    assert rg.err(e)[0] == "InvalidInput"


def test_matched_statements_are_never_cut_short(server, iam):
    """4 deciding statements of one policy kind are all listed; a 5th, more than the engine's explanation keeps, is
    refused rather than answered with a partial MatchedStatements."""
    def doc(n):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"} for i in range(n)]})
    resp = iam.simulate_custom_policy(PolicyInputList=[doc(4)], ActionNames=["s3:GetObject"])
    assert len(resp["EvaluationResults"][0]["MatchedStatements"]) == 4
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc(5)], ActionNames=["s3:GetObject"])
    code, msg, status, _ = rg.err(e)
    assert code == "LimitExceeded"
    assert msg == "More statements decide s3:GetObject on * than the simulator can list."


def test_principal_policy_in_a_member_account_weighs_its_scps(fresh_server):
    """A user of a member account: the SCP attached to the account decides too (OrganizationsDecisionDetail)."""
    org = rg.client(fresh_server, "organizations")
    org.create_organization()
    root = org.list_roots()["Roots"][0]["Id"]
    car = org.create_account(Email=f"{rg.unique('m')}@example.com", AccountName="Member")["CreateAccountStatus"]
    member = rg.wait_account_created(org, car["Id"])["AccountId"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    scp = org.create_policy(Name="no-delete", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}))
    org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=member)

    sts = rg.client(fresh_server, "sts", creds=rg.admin_creds(fresh_server))
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                        RoleSessionName="sim")["Credentials"]
    iam = rg.client(fresh_server, "iam", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    user = iam.create_user(UserName="worker")["User"]
    iam.put_user_policy(UserName="worker", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    r = results(iam.simulate_principal_policy(PolicySourceArn=user["Arn"],
                                              ActionNames=["s3:GetObject", "s3:DeleteObject"]))
    assert r[("s3:GetObject", "*")]["EvalDecision"] == "allowed"
    assert r[("s3:GetObject", "*")]["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    assert r[("s3:DeleteObject", "*")]["EvalDecision"] == "explicitDeny"
    assert r[("s3:DeleteObject", "*")]["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    # with the resource named, EvalDecisionDetails is there (empty: one account) unless an SCP denies: AWS's
    # simulation ends there and leaves it out
    r = results(iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ResourceArns=["arn:aws:s3:::b/k"],
                                              ActionNames=["s3:GetObject", "s3:DeleteObject"]))
    assert r[("s3:GetObject", "arn:aws:s3:::b/k")]["EvalDecisionDetails"] == {}
    assert "EvalDecisionDetails" not in r[("s3:DeleteObject", "arn:aws:s3:::b/k")]
    # the management account's own users are not governed by SCPs: no detail
    mgmt = rg.client(fresh_server, "iam")
    u2, _ = rg.make_user(mgmt, keys=0)
    res = mgmt.simulate_principal_policy(PolicySourceArn=u2["Arn"], ActionNames=["s3:GetObject"])
    assert "OrganizationsDecisionDetail" not in res["EvaluationResults"][0]


def test_context_keys_for_principal_and_custom_policies(server, iam):
    user, _ = rg.make_user(iam, keys=0)
    group = rg.unique("g")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user["UserName"])
    iam.put_user_policy(UserName=user["UserName"], PolicyName="mfa", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {
            "Bool": {"aws:MultiFactorAuthPresent": "true"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}))
    iam.put_group_policy(GroupName=group, PolicyName="tags", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
            "StringNotEquals": {"aws:PrincipalTag/team": "ops", "AWS:SourceIp": "10.1.1.1"}}}]}))
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user["Arn"])["ContextKeyNames"]
    assert sorted(k.lower() for k in keys) == ["aws:multifactorauthpresent", "aws:principaltag/team", "aws:sourceip"]
    out = rg.cli_json(rg.aws_cli(server, "iam", "get-context-keys-for-custom-policy", "--policy-input-list",
                                 CLI_EXAMPLE))
    assert out["ContextKeyNames"] == ["aws:CurrentTime"]
    code, _, _ = rg.cli_error(rg.aws_cli(server, "iam", "get-context-keys-for-principal-policy",
                                         "--policy-source-arn", f"arn:aws:iam::{server.account}:role/none"))
    assert code == "NoSuchEntity"


def test_resource_specific_results_for_several_resources(server, iam):
    """With ResourceArns, each EvaluationResult carries its ResourceSpecificResults (EvalResourceDecision, the
    statements and missing keys for that resource), as AWS answers: one allowed and one denied resource."""
    user, _ = rg.make_user(iam, keys=0)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))
    r = results(iam.simulate_principal_policy(
        PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::bucket/key", "arn:aws:s3:::other/key"]))
    ok = r[("s3:GetObject", "arn:aws:s3:::bucket/key")]["ResourceSpecificResults"]
    assert [(x["EvalResourceName"], x["EvalResourceDecision"]) for x in ok] == [
        ("arn:aws:s3:::bucket/key", "allowed")]
    assert ok[0]["MatchedStatements"][0]["SourcePolicyId"] == "s3-read"
    no = r[("s3:GetObject", "arn:aws:s3:::other/key")]["ResourceSpecificResults"]
    assert [(x["EvalResourceName"], x["EvalResourceDecision"]) for x in no] == [
        ("arn:aws:s3:::other/key", "implicitDeny")]
    assert no[0]["MatchedStatements"] == []
    # without ResourceArns the simulation is of "*": no resource-specific part
    star = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject"])
    assert "ResourceSpecificResults" not in star["EvaluationResults"][0]


OTHER_ACCOUNT = "210987654321"


def test_eval_decision_details_same_and_cross_account(server, iam):
    """EvalDecisionDetails as AWS gives it: absent for "*" within one account, present and empty when ResourceArns
    names the resource; across accounts (ResourceOwner another account) each kind of policy's own decision under
    AWS's names, in the EvaluationResult and in its ResourceSpecificResults."""
    user, _ = rg.make_user(iam, keys=0)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="s3-read", PolicyDocument=json.dumps(S3_READ))
    star = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject"])
    assert "EvalDecisionDetails" not in star["EvaluationResults"][0]
    named = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject"],
                                          ResourceArns=["arn:aws:s3:::bucket/key"])["EvaluationResults"][0]
    assert named["EvalDecision"] == "allowed" and named["EvalDecisionDetails"] == {}
    assert "EvalDecisionDetails" not in named["ResourceSpecificResults"][0]

    caller = f"arn:aws:iam::{server.account}:user/{rg.unique('caller')}"
    bucket_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": f"arn:aws:iam::{server.account}:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]}

    def cross(**extra):
        return iam.simulate_custom_policy(PolicyInputList=[json.dumps(S3_READ)], ActionNames=["s3:GetObject"],
                                          ResourceArns=["arn:aws:s3:::bucket/key"], ResourceOwner=OTHER_ACCOUNT,
                                          CallerArn=caller, **extra)["EvaluationResults"][0]

    both = cross(ResourcePolicy=json.dumps(bucket_policy))
    assert both["EvalDecision"] == "allowed"
    assert both["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    assert both["ResourceSpecificResults"][0]["EvalDecisionDetails"] == both["EvalDecisionDetails"]
    # the other account's side is missing: no resource policy allows
    alone = cross()
    assert alone["EvalDecision"] == "implicitDeny"
    assert alone["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}
    # a boundary that denies the action has its own entry
    deny_get = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
    bounded = cross(ResourcePolicy=json.dumps(bucket_policy), PermissionsBoundaryPolicyInputList=[json.dumps(deny_get)])
    assert bounded["EvalDecision"] == "explicitDeny"
    assert bounded["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed",
                                              "Permissions Boundary Policy": "explicitDeny"}
    assert bounded["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


@pytest.mark.parametrize("ctype,bad,good,condition", [
    ("date", "yesterday", "2030-01-01T00:00:00Z", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
    ("ip", "10.0.0.300", "10.1.2.3", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    ("numeric", "ten", "5", {"NumericLessThan": {"s3:max-keys": "10"}}),
    ("boolean", "yes", "TRUE", {"Bool": {"aws:SecureTransport": "true"}}),
    ("binary", "not base64!", "QmluYXJ5", {"BinaryEquals": {"aws:UserAgent": "QmluYXJ5"}}),
])
def test_context_entry_values_are_read_by_type(server, iam, ctype, bad, good, condition):
    """A ContextKeyValues entry that is not of its ContextKeyType is refused (InvalidInput), never compared with
    nothing; a good one decides the condition (and in a list type, every value is checked)."""
    key = next(iter(next(iter(condition.values()))))
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": condition}]})

    def simulate(values, type_):
        return iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["s3:ListBucket"], ContextEntries=[
            {"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": type_}])

    assert simulate([good], ctype)["EvaluationResults"][0]["EvalDecision"] == "allowed"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        simulate([bad], ctype)
    code, msg, status, _ = rg.err(e)
    assert (code, status) == ("InvalidInput", 400)
    assert msg == f"Invalid value {bad} for context key {key} of type {ctype}."
    with pytest.raises(botocore.exceptions.ClientError) as e:
        simulate([good, bad], ctype + "List")
    assert rg.err(e)[:2] == ("InvalidInput", f"Invalid value {bad} for context key {key} of type {ctype}List.")
    # a string is anything
    assert simulate([bad], "string")["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_context_entry_bad_date_through_the_cli(server):
    rc = rg.aws_cli(server, "iam", "simulate-custom-policy", "--policy-input-list", CLI_EXAMPLE, "--action-names",
                    "dynamodb:CreateBackup", "--context-entries",
                    "ContextKeyName=aws:CurrentTime,ContextKeyValues=2019-13-45T11:00:00Z,ContextKeyType=date")
    code, op, msg = rg.cli_error(rc)
    assert (code, op) == ("InvalidInput", "SimulateCustomPolicy")
    assert msg == "Invalid value 2019-13-45T11:00:00Z for context key aws:CurrentTime of type date."


def test_resource_handling_option(server, iam):
    """ResourceHandlingOption: AWS's four EC2 scenarios, each requiring its resources in ResourceArns; anything else
    is InvalidInput."""
    ec2 = f"arn:aws:ec2:us-east-1:{server.account}:"
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]})
    base = [ec2 + "instance/*", "arn:aws:ec2:us-east-1::image/ami-12345678", ec2 + "security-group/sg-1",
            ec2 + "network-interface/*"]
    out = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["ec2:RunInstances"], ResourceArns=base,
                                     ResourceHandlingOption="EC2-VPC-InstanceStore")
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in out["EvaluationResults"]] == [
        (arn, "allowed") for arn in base]
    # the EBS scenario needs the volume, the subnet one the subnet
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["ec2:RunInstances"], ResourceArns=base,
                                   ResourceHandlingOption="EC2-VPC-EBS")
    assert rg.err(e)[:2] == ("InvalidInput",
                             "ResourceHandlingOption EC2-VPC-EBS requires ResourceArns to include a resource of type "
                             "volume.")
    out = rg.cli_json(rg.aws_cli(server, "iam", "simulate-custom-policy", "--policy-input-list", doc, "--action-names",
                                 "ec2:RunInstances", "--resource-handling-option", "EC2-VPC-EBS-Subnet",
                                 "--resource-arns", *base, ec2 + "subnet/subnet-1", ec2 + "volume/vol-1"))
    assert len(out["EvaluationResults"]) == 6
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["ec2:RunInstances"], ResourceArns=base,
                                   ResourceHandlingOption="EC2-Classic-Unknown")
    code, msg, status, _ = rg.err(e)
    assert (code, status) == ("InvalidInput", 400)
    assert msg.startswith("Invalid ResourceHandlingOption: EC2-Classic-Unknown.")
    # SimulatePrincipalPolicy reads it the same way
    user, _ = rg.make_user(iam, keys=0)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["ec2:RunInstances"],
                                      ResourceHandlingOption="EC2-VPC-InstanceStore")
    assert rg.err(e)[:2] == ("InvalidInput", "ResourceHandlingOption EC2-VPC-InstanceStore requires ResourceArns to "
                                             "include a resource of type instance.")


def test_pagination_bounds_and_paginator(server, iam):
    """MaxItems outside 1..1000 is AWS's ValidationError (sent without botocore's own check); a Marker that is not
    one of ours is InvalidInput; boto3's paginator walks every pair, one per page."""
    raw = rg.client(server, "iam", parameter_validation=False)
    for bad, constraint in ((0, "greater than or equal to 1"), (1001, "less than or equal to 1000")):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            raw.simulate_custom_policy(PolicyInputList=[json.dumps(S3_READ)], ActionNames=["s3:GetObject"],
                                       MaxItems=bad)
        code, msg, status, _ = rg.err(e)
        assert (code, status) == ("ValidationError", 400)
        assert msg == (f"1 validation error detected: Value '{bad}' at 'maxItems' failed to satisfy constraint: "
                       f"Member must have value {constraint}")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[json.dumps(S3_READ)], ActionNames=["s3:GetObject"],
                                   Marker="bm90IG91cnM=")
    assert rg.err(e)[:2] == ("InvalidInput", "Invalid Marker.")
    actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::bucket/a", "arn:aws:s3:::bucket/b"]
    pages = list(iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[json.dumps(S3_READ)], ActionNames=actions, ResourceArns=resources,
        PaginationConfig={"PageSize": 1}))
    assert [len(p["EvaluationResults"]) for p in pages] == [1] * 6
    assert [p["IsTruncated"] for p in pages] == [True] * 5 + [False] and "Marker" not in pages[-1]
    assert [(r["EvalActionName"], r["EvalResourceName"]) for p in pages for r in p["EvaluationResults"]] == [
        (a, r) for a in actions for r in resources]
    whole = iam.simulate_custom_policy(PolicyInputList=[json.dumps(S3_READ)], ActionNames=actions,
                                       ResourceArns=resources, MaxItems=1000)
    assert len(whole["EvaluationResults"]) == 6 and not whole["IsTruncated"]


def test_missing_context_values_go_with_the_named_resource(server, iam):
    """AWS: the result's MissingContextValues is for "*"; with ResourceArns the missing keys are listed "instead"
    under ResourceSpecificResults."""
    table = f"arn:aws:dynamodb:us-east-1:{server.account}:table/t"
    res = iam.simulate_custom_policy(PolicyInputList=[CLI_EXAMPLE], ActionNames=["dynamodb:CreateBackup"],
                                     ResourceArns=[table])["EvaluationResults"][0]
    assert res["MissingContextValues"] == []
    assert res["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:CurrentTime"]
    star = iam.simulate_custom_policy(PolicyInputList=[CLI_EXAMPLE], ActionNames=["dynamodb:CreateBackup"],
                                      ResourceArns=["*"])["EvaluationResults"][0]
    assert star["MissingContextValues"] == ["aws:CurrentTime"]
