"""`rolegate analyze escalation`: BishopFox iam-vulnerable's 31 privilege-escalation paths, each built in one account
through boto3 (its users, roles and policies as its Terraform defines them: the policy attached to a user and to a role
the operator may assume), must be found with its method and path; the same principal fixed (an explicit Deny of the
step, or a permissions boundary, or the resource narrowed to itself) must not be. One server, one analysis run."""
import json
import subprocess

import pytest

import rg

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "cloudformation.amazonaws.com",
            "datapipeline.amazonaws.com", "codebuild.amazonaws.com", "sagemaker.amazonaws.com"]

# (catalogue id, actions its policy allows on "*", principals that escalate, expected target: a name of TARGETS,
#  "self", "policy", "group" or "ending")
SCENARIOS = [
    ("privesc1-CreateNewPolicyVersion", ["iam:CreatePolicyVersion"], ["user", "role"], "policy"),
    ("privesc2-SetExistingDefaultPolicyVersion", ["iam:SetDefaultPolicyVersion"], ["user", "role"], "policy"),
    ("privesc3-CreateEC2WithExistingIP", ["iam:PassRole", "ec2:DescribeInstances", "ec2:RunInstances"],
     ["user", "role"], "svc"),
    ("privesc4-CreateAccessKey", ["iam:CreateAccessKey"], ["user", "role"], "admin_nologin"),
    ("privesc5-CreateLoginProfile", ["iam:CreateLoginProfile"], ["user", "role"], "admin_nologin"),
    ("privesc6-UpdateLoginProfile", ["iam:UpdateLoginProfile"], ["user", "role"], "admin_login"),
    ("privesc7-AttachUserPolicy", ["iam:AttachUserPolicy"], ["user"], "self"),
    ("privesc8-AttachGroupPolicy", ["iam:AttachGroupPolicy"], ["user"], "group"),
    ("privesc9-AttachRolePolicy", ["iam:AttachRolePolicy"], ["role"], "self"),
    ("privesc10-PutUserPolicy", ["iam:PutUserPolicy"], ["user"], "self"),
    ("privesc11-PutGroupPolicy", ["iam:PutGroupPolicy"], ["user"], "group"),
    ("privesc12-PutRolePolicy", ["iam:PutRolePolicy"], ["role"], "self"),
    ("privesc13-AddUserToGroup", ["iam:AddUserToGroup"], ["user"], "admin_group"),
    ("privesc14-UpdatingAssumeRolePolicy", ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"], ["user", "role"], "svc"),
    ("privesc15-PassExistingRoleToNewLambdaThenInvoke", ["iam:PassRole", "lambda:CreateFunction",
                                                         "lambda:InvokeFunction"], ["user", "role"], "svc"),
    ("privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo", ["lambda:CreateFunction", "iam:PassRole",
                                                               "lambda:CreateEventSourceMapping"], ["user", "role"],
     "svc"),
    ("privesc17-EditExistingLambdaFunctionWithRole", ["lambda:UpdateFunctionCode"], ["user", "role"], "svc"),
    ("privesc18-PassExistingRoleToNewGlueDevEndpoint", ["iam:PassRole", "glue:CreateDevEndpoint",
                                                        "glue:GetDevEndpoint"], ["user", "role"], "svc"),
    ("privesc19-UpdateExistingGlueDevEndpoint", ["glue:UpdateDevEndpoint"], ["user", "role"], "svc"),
    ("privesc20-PassExistingRoleToCloudFormation", ["iam:PassRole", "cloudformation:CreateStack",
                                                    "cloudformation:DescribeStacks"], ["user", "role"], "svc"),
    ("privesc21-PassExistingRoleToNewDataPipeline", ["iam:PassRole", "datapipeline:CreatePipeline",
                                                     "datapipeline:PutPipelineDefinition",
                                                     "datapipeline:ActivatePipeline"], ["user", "role"], "svc"),
    ("privesc-AssumeRole", [], ["role"], "ending"),
    ("privesc-cloudFormationUpdateStack", ["cloudformation:UpdateStack", "cloudformation:DescribeStacks"],
     ["user", "role"], "svc"),
    ("privesc-codeBuildCreateProjectPassRole", ["codebuild:CreateProject", "codebuild:StartBuild",
                                                "codebuild:StartBuildBatch", "iam:PassRole", "iam:ListRoles"],
     ["user", "role"], "svc"),
    ("privesc-ec2InstanceConnect", ["ec2:DescribeInstances", "ec2-instance-connect:SendSSHPublicKey",
                                    "ec2-instance-connect:SendSerialConsoleSSHPublicKey"], ["user", "role"], "svc"),
    ("privesc-sageMakerCreateNotebookPassRole", ["sagemaker:CreateNotebookInstance",
                                                 "sagemaker:CreatePresignedNotebookInstanceUrl", "iam:PassRole"],
     ["user", "role"], "svc"),
    ("privesc-sageMakerCreatePresignedNotebookURL", ["sagemaker:ListNotebookInstances",
                                                     "sagemaker:CreatePresignedNotebookInstanceUrl"],
     ["user", "role"], "svc"),
    ("privesc-sageMakerCreateProcessingJob", ["sagemaker:CreateProcessingJob", "iam:PassRole"], ["user", "role"],
     "svc"),
    ("privesc-sageMakerCreateTrainingJob", ["sagemaker:CreateTrainingJob", "iam:PassRole"], ["user", "role"], "svc"),
    ("privesc-ssmSendCommand", ["ssm:SendCommand", "ssm:ListCommandInvocations"], ["user", "role"], "svc"),
    ("privesc-ssmStartSession", ["ssm:StartSession"], ["user", "role"], "svc"),
]
FIXES = ["deny", "boundary"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*"):
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def step_action(cid, actions):
    """The step itself (iam:PassRole where the path passes a role), never a Describe/List/Get beside it."""
    if cid.startswith("privesc2-"):
        return "iam:SetDefaultPolicyVersion"
    if cid == "privesc-AssumeRole":
        return "sts:AssumeRole"
    steps = [a for a in actions if not a.split(":")[1].startswith(("Describe", "List", "Get"))]
    return "iam:PassRole" if "iam:PassRole" in steps else steps[0]


def short(cid):
    return cid.split("-", 1)[1][:40]


class World:
    """Everything the scenarios build, and the one analysis of it."""

    def __init__(self, iam, account):
        self.iam, self.account = iam, account
        self.root_trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                               "Action": "sts:AssumeRole"})
        self.arns = {}

    def user(self, name, policy_arn=None):
        u = self.iam.create_user(UserName=name)["User"]
        if policy_arn:
            self.iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
        return u["Arn"]

    def role(self, name, trust=None, policy_arn=None):
        r = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or self.root_trust)["Role"]
        if policy_arn:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        return r["Arn"]

    def targets(self):
        iam = self.iam
        self.arns["admin_nologin"] = self.user("esc-admin-nologin", ADMIN)
        self.arns["admin_login"] = self.user("esc-admin-login", ADMIN)
        iam.create_login_profile(UserName="esc-admin-login", Password="Esc-admin-login-1!")
        iam.create_group(GroupName="esc-admin-group")
        iam.attach_group_policy(GroupName="esc-admin-group", PolicyArn=ADMIN)
        self.arns["admin_group"] = f"arn:aws:iam::{self.account}:group/esc-admin-group"
        svc_trust = doc({"Effect": "Allow", "Principal": {"Service": SERVICES}, "Action": "sts:AssumeRole"})
        self.arns["svc"] = self.role("esc-service-admin", svc_trust, ADMIN)
        iam.create_instance_profile(InstanceProfileName="esc-service-admin")
        iam.add_role_to_instance_profile(InstanceProfileName="esc-service-admin", RoleName="esc-service-admin")
        self.boundary = iam.create_policy(PolicyName="esc-boundary",
                                          PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))["Policy"]["Arn"]

    def scenario(self, cid, actions, kinds, fix=None):
        """The scenario's policy, attached to a user and a role (fix: a variant that must not escalate)."""
        iam, base = self.iam, short(cid) + (f"-{fix}" if fix else "")
        if cid == "privesc-AssumeRole":
            return self.assume_chain(base, fix)
        if cid.startswith("privesc2-"):
            # v1 allows everything; v2, the default, only lets the holder choose the default version
            arn = iam.create_policy(PolicyName=base, PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
            iam.create_policy_version(PolicyArn=arn, SetAsDefault=True,
                                      PolicyDocument=doc(allow(["iam:SetDefaultPolicyVersion", "iam:GetPolicy*",
                                                                "iam:ListPolicyVersions"])))
        else:
            arn = iam.create_policy(PolicyName=base, PolicyDocument=doc(allow(actions)))["Policy"]["Arn"]
        out = {"policy": arn}
        out["user"] = self.user(base + "-user", arn)
        out["role"] = self.role(base + "-role", policy_arn=arn)
        if cid.startswith(("privesc8-", "privesc11-")):
            iam.create_group(GroupName=base + "-group")
            iam.add_user_to_group(GroupName=base + "-group", UserName=base + "-user")
            out["group"] = f"arn:aws:iam::{self.account}:group/{base}-group"
        if fix == "deny":
            first = step_action(cid, actions)
            deny = doc({"Effect": "Deny", "Action": first, "Resource": "*"})
            iam.put_user_policy(UserName=base + "-user", PolicyName="fix", PolicyDocument=deny)
            iam.put_role_policy(RoleName=base + "-role", PolicyName="fix", PolicyDocument=deny)
        elif fix == "boundary":
            iam.put_user_permissions_boundary(UserName=base + "-user", PermissionsBoundary=self.boundary)
            iam.put_role_permissions_boundary(RoleName=base + "-role", PermissionsBoundary=self.boundary)
        return out

    def assume_chain(self, base, fix):
        start = self.role(base + "-start")
        mid = self.role(base + "-mid", doc({"Effect": "Allow", "Principal": {"AWS": start}, "Action": "sts:AssumeRole"}))
        ending = self.role(base + "-end", doc({"Effect": "Allow", "Principal": {"AWS": mid}, "Action": "sts:AssumeRole"}))
        arn = self.iam.create_policy(PolicyName=base + "-high", PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
        self.iam.attach_role_policy(RoleName=base + "-end", PolicyArn=arn)
        if fix == "deny":  # the intermediate role may not go on
            self.iam.put_role_policy(RoleName=base + "-mid", PolicyName="fix",
                                     PolicyDocument=doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))
        elif fix == "boundary":
            self.iam.put_role_permissions_boundary(RoleName=base + "-mid", PermissionsBoundary=self.boundary)
        return {"role": start, "mid": mid, "ending": ending}


def analyze(srv, *args):
    p = subprocess.run([str(rg.BIN), "analyze", "escalation", "--data", str(srv.data_dir), *args],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def world(server, iam):
    account = rg.client(server, "sts").get_caller_identity()["Account"]
    w = World(iam, account)
    w.targets()
    w.built = {}
    for cid, actions, kinds, _ in SCENARIOS:
        w.built[(cid, None)] = w.scenario(cid, actions, kinds)
        for fix in FIXES:
            w.built[(cid, fix)] = w.scenario(cid, actions, kinds, fix)
    # resource narrowed to itself: CreateAccessKey on its own user only
    w.narrow = w.user("esc-narrow-user")
    iam.put_user_policy(UserName="esc-narrow-user", PolicyName="self-keys",
                        PolicyDocument=doc(allow("iam:CreateAccessKey", w.narrow)))
    # iam:PassRole only to Lambda (iam:PassedToService): the Lambda path, not the Glue one
    w.lambda_only = w.user("esc-passrole-lambda-only")
    iam.put_user_policy(UserName="esc-passrole-lambda-only", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
        allow(["lambda:CreateFunction", "lambda:InvokeFunction", "glue:CreateDevEndpoint"])))
    w.findings = json.loads(analyze(server, "--format", "json").stdout)
    return w


def found(w, principal, cid):
    return [f for f in w.findings if f["principal"] == principal and f["catalogue"] == cid]


@pytest.mark.parametrize("cid,actions,kinds,target", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_path_found(world, cid, actions, kinds, target):
    built = world.built[(cid, None)]
    for kind in kinds:
        fs = found(world, built[kind], cid)
        assert fs, f"{cid}: {built[kind]} not found; findings of it: " + \
            json.dumps([f for f in world.findings if f["principal"] == built[kind]])
        want = built[kind] if target == "self" else built.get(target) or world.arns[target]
        targets = [f["target"] for f in fs]
        assert any(t.startswith(want) for t in targets), (cid, kind, targets)
        f = next(f for f in fs if f["target"].startswith(want))
        assert f["path"][0] == built[kind] and want in f["path"][-2] and len(f["path"]) >= 4, f["path"]
        if cid == "privesc-AssumeRole":
            assert any(built["mid"] in step for step in f["path"]), f["path"]
        else:
            assert any(a in " ".join(f["path"]) for a in actions or ["iam:SetDefaultPolicyVersion"]), f["path"]
            assert " policy " in f["path"][1], f["path"]  # the policy and statement that grant the step


@pytest.mark.parametrize("fix", FIXES)
@pytest.mark.parametrize("cid,actions,kinds,target", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_fixed_variant_not_found(world, cid, actions, kinds, target, fix):
    built = world.built[(cid, fix)]
    for kind in kinds:
        assert not found(world, built[kind], cid), (cid, fix, found(world, built[kind], cid))


def test_resource_narrowed_to_itself_not_found(world):
    assert not [f for f in world.findings if f["principal"] == world.narrow]


def test_passed_to_service_condition(world):
    assert found(world, world.lambda_only, "privesc15-PassExistingRoleToNewLambdaThenInvoke")
    assert not found(world, world.lambda_only, "privesc18-PassExistingRoleToNewGlueDevEndpoint")


def test_service_paths_marked_as_aws_only(world):
    f = found(world, world.built[("privesc15-PassExistingRoleToNewLambdaThenInvoke", None)]["user"],
              "privesc15-PassExistingRoleToNewLambdaThenInvoke")[0]
    assert f["rolegate_serves"] is False and f["service"] == "lambda.amazonaws.com"
    f = found(world, world.built[("privesc4-CreateAccessKey", None)]["user"], "privesc4-CreateAccessKey")[0]
    assert f["rolegate_serves"] is True


def test_administrators_are_not_findings_and_table_format(world, server):
    assert not [f for f in world.findings if f["principal"] == world.arns["admin_login"]]
    p = analyze(server, "--format", "table")
    assert "privesc" not in p.stdout.splitlines()[0] and "CreateAccessKey" in p.stdout
    assert p.stdout.strip().endswith(f"{len(world.findings)} finding(s)")


def test_scp_fixes_every_path(server, world):
    """The 31 scenarios again in a member account: found; with an SCP on the account that denies each step, none is."""
    o = rg.client(server, "organizations")
    o.create_organization(FeatureSet="ALL")
    root = o.list_roots()["Roots"][0]
    o.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    car = o.create_account(AccountName="esc-member", Email="esc-member@example.com")["CreateAccountStatus"]
    member = rg.wait_account_created(o, car["Id"])["AccountId"]
    admin = rg.admin_creds(server)
    c = rg.client(server, "sts", creds=admin).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="build")["Credentials"]
    miam = rg.client(server, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    w = World(miam, member)
    w.targets()
    built = {cid: w.scenario(cid, actions, kinds) for cid, actions, kinds, _ in SCENARIOS}
    steps = sorted({step_action(cid, actions) for cid, actions, _, _ in SCENARIOS})

    def missing():
        findings = json.loads(analyze(server, "--account", member, "--format", "json").stdout)
        assert all(f["account"] == member for f in findings)
        return [(cid, kind) for cid, _, kinds, _ in SCENARIOS for kind in kinds
                if not [f for f in findings if f["principal"] == built[cid][kind] and f["catalogue"] == cid]]

    assert missing() == []
    # IAM's actions act on the caller's own account: only sts:AssumeRole crosses accounts
    every = json.loads(analyze(server, "--format", "json").stdout)
    assert {f["account"] for f in every} == {world.account, member}
    assert not [f for f in every if f["catalogue"] != "privesc-AssumeRole" and f"::{f['account']}:" not in f["target"]]
    scp = o.create_policy(Name="esc-deny-steps", Description="the escalation steps", Type="SERVICE_CONTROL_POLICY",
                          Content=doc({"Effect": "Allow", "Action": "*", "Resource": "*"},
                                      {"Effect": "Deny", "Action": steps, "Resource": "*"}))["Policy"]["PolicySummary"]
    o.attach_policy(PolicyId=scp["Id"], TargetId=member)
    assert len(missing()) == sum(len(kinds) for _, _, kinds, _ in SCENARIOS)
