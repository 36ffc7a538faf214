#!/usr/bin/env python3
"""gen.py - a seeded generator of random, valid IAM policy-evaluation cases for differential testing.

    python3 tests/difftest/gen.py --seed 1 -n 1000 [--no-known-gaps] [-o cases.json]

Writes a JSON array of cases in the shape `rolegate policy eval` and the oracle (oracle.mjs) read:

    {"name": "s1-42", "features": [...],
     "request": {"action", "resource": {"resource", "accountId"}, "principal", "context": {...}},
     "identityPolicies": [doc...], "resourcePolicy": doc, "serviceControlPolicies": [{"orgIdentifier", "policies"}],
     "resourceControlPolicies": [...], "permissionBoundaries": [doc...], "sessionPolicy": doc}

Case i of seed s depends on (s, i) only, so any case can be regenerated alone (`--only i`).

"Valid" means valid for the oracle's Strict mode: real actions of a curated set of services, request resources that are
ARNs of exactly one of the action's resource types (or "*" for actions that have none), context keys that apply to the
action (global aws: keys, and the action's own service keys) with values of the key's type, and policies that pass the
per-kind validation (no Principal in identity policies, SCPs, boundaries and session policies; a Principal in every
resource-policy statement; RCPs deny-only with Principal "*").

"features" names what each case exercises (principal kind, operators, qualifiers, variables, policy layers...). The
run's report uses them to say which features are over-represented among disagreements. Features that start with
"gap:" mark behaviour where the oracle is known to be incomplete (AWS's root user, policy variables in a 2008-10-17
policy); --no-known-gaps leaves those out.
"""
import argparse
import base64
import json
import random
import sys

HOME = "111122223333"  # the principal's usual account
OTHER = "444455556666"  # another account of the same organization
THIRD = "777788889999"  # an account outside the organization
ORG_ID = "o-a1b2c3d4e5"
ORG_ROOT = "r-a1b2"
OU_1 = "ou-a1b2-11111111"
OU_2 = "ou-a1b2-22222222"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]

# Services whose resources resource control policies apply to (AWS Organizations' list). RCPs are generated only
# for requests to these services.
RCP_SERVICES = {"s3", "sts", "kms", "sqs", "secretsmanager", "dynamodb"}

# ---------------------------------------------------------------------------------------------------------------------
# Condition keys: name -> type. Service keys are listed with the actions they apply to (CATALOG, below).

GLOBAL_KEY_TYPES = {
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalType": "String",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalServiceName": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:TokenIssueTime": "Date",
    "aws:SourceIdentity": "String",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date",
    "aws:SecureTransport": "Bool",
    "aws:SourceIp": "IPAddress",
    "aws:VpcSourceIp": "IPAddress",
    "aws:SourceVpc": "String",
    "aws:RequestedRegion": "String",
    "aws:ViaAWSService": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:UserAgent": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceAccount": "String",
    "aws:TagKeys": "ArrayOfString",
}
PREFIX_KEY_TYPES = {"aws:PrincipalTag/": "String", "aws:RequestTag/": "String", "aws:ResourceTag/": "String"}

TAG_VALUES = {
    "team": ["blue", "red", "Blue"],
    "env": ["dev", "prod", "stage"],
    "project": ["apollo", "gemini"],
    "cost-center": ["1234", "5678"],
}
TAG_KEYS = list(TAG_VALUES)

# ---------------------------------------------------------------------------------------------------------------------
# The action catalog. Each entry: action, resource family (None: the action has no resource type and its request
# resource is "*"), the action's own condition keys with their types, whether it takes tags in the request
# (aws:RequestTag/*, aws:TagKeys), and the kind of resource-based policy its resource can carry.

S3_COMMON = {"s3:TlsVersion": "Numeric", "s3:signatureAge": "Numeric", "s3:authType": "String",
             "s3:ResourceAccount": "String"}


def _k(*dicts, **more):
    out = {}
    for d in dicts:
        out.update(d)
    out.update(more)
    return out


CATALOG = [
    # s3: bucket policies; object and bucket ARNs have no region and no account.
    ("s3:GetObject", "s3-object", _k(S3_COMMON), False, "s3"),
    ("s3:PutObject", "s3-object", _k(S3_COMMON, {"s3:x-amz-acl": "String", "s3:x-amz-server-side-encryption": "String",
                                                  "s3:x-amz-server-side-encryption-aws-kms-key-id": "ARN",
                                                  "s3:RequestObjectTagKeys": "ArrayOfString",
                                                  "s3:object-lock-retain-until-date": "Date"}), False, "s3"),
    ("s3:DeleteObject", "s3-object", _k(S3_COMMON), False, "s3"),
    ("s3:ListBucket", "s3-bucket", _k(S3_COMMON, {"s3:prefix": "String", "s3:max-keys": "Numeric",
                                                  "s3:delimiter": "String"}), False, "s3"),
    ("s3:PutBucketPolicy", "s3-bucket", _k(S3_COMMON), False, "s3"),
    ("s3:CreateBucket", "s3-bucket", _k(S3_COMMON, {"s3:x-amz-acl": "String"}), True, None),
    ("s3:ListAllMyBuckets", None, _k(S3_COMMON), False, None),
    # iam: no resource policies.
    ("iam:CreateUser", "iam-user", {"iam:PermissionsBoundary": "ARN"}, True, None),
    ("iam:GetUser", "iam-user", {}, False, None),
    ("iam:DeleteUser", "iam-user", {}, False, None),
    ("iam:CreateAccessKey", "iam-user", {}, False, None),
    ("iam:TagUser", "iam-user", {}, True, None),
    ("iam:PutUserPermissionsBoundary", "iam-user", {"iam:PermissionsBoundary": "ARN"}, False, None),
    ("iam:CreateRole", "iam-role", {"iam:PermissionsBoundary": "ARN"}, True, None),
    ("iam:GetRole", "iam-role", {"iam:PermissionsBoundary": "ARN"}, False, None),
    ("iam:PassRole", "iam-role", {"iam:PassedToService": "String", "iam:AssociatedResourceArn": "ARN"}, False, None),
    ("iam:AttachRolePolicy", "iam-role", {"iam:PolicyARN": "ARN", "iam:PermissionsBoundary": "ARN"}, False, None),
    ("iam:UpdateAssumeRolePolicy", "iam-role", {"iam:PermissionsBoundary": "ARN"}, False, None),
    ("iam:CreatePolicy", "iam-policy", {}, True, None),
    ("iam:ListUsers", None, {}, False, None),
    ("iam:ListRoles", None, {}, False, None),
    # sts: the role's trust policy is the resource policy.
    ("sts:AssumeRole", "iam-role", {"sts:ExternalId": "String", "sts:RoleSessionName": "String",
                                    "sts:SourceIdentity": "String", "sts:TransitiveTagKeys": "ArrayOfString"},
     True, "trust"),
    ("sts:TagSession", "iam-role", {"sts:TransitiveTagKeys": "ArrayOfString"}, True, "trust"),
    ("sts:SetSourceIdentity", "iam-role", {"sts:SourceIdentity": "String"}, False, "trust"),
    ("sts:GetCallerIdentity", None, {}, False, None),
    ("sts:GetSessionToken", None, {}, False, None),
    ("sts:GetFederationToken", "sts-federated-user", {}, True, None),
    # ec2
    ("ec2:RunInstances", "ec2-instance", {"ec2:Region": "String", "ec2:InstanceType": "String",
                                          "ec2:ResourceTag/": "String"}, True, None),
    ("ec2:StartInstances", "ec2-instance", {"ec2:Region": "String", "ec2:InstanceType": "String",
                                            "ec2:ResourceTag/": "String"}, False, None),
    ("ec2:TerminateInstances", "ec2-instance", {"ec2:Region": "String", "ec2:InstanceType": "String",
                                                "ec2:ResourceTag/": "String"}, False, None),
    ("ec2:DeleteVolume", "ec2-volume", {"ec2:Region": "String", "ec2:VolumeSize": "Numeric", "ec2:Encrypted": "Bool",
                                        "ec2:ResourceTag/": "String"}, False, None),
    ("ec2:DescribeInstances", None, {"ec2:Region": "String"}, False, None),
    # dynamodb
    ("dynamodb:GetItem", "dynamodb-table", {"dynamodb:LeadingKeys": "ArrayOfString",
                                            "dynamodb:Attributes": "ArrayOfString", "dynamodb:Select": "String"},
     False, None),
    ("dynamodb:PutItem", "dynamodb-table", {"dynamodb:LeadingKeys": "ArrayOfString",
                                            "dynamodb:Attributes": "ArrayOfString"}, False, None),
    ("dynamodb:Query", "dynamodb-table", {"dynamodb:LeadingKeys": "ArrayOfString", "dynamodb:Select": "String"},
     False, None),
    ("dynamodb:DeleteTable", "dynamodb-table", {}, False, None),
    ("dynamodb:ListTables", None, {}, False, None),
    # kms: key policies.
    ("kms:Decrypt", "kms-key", {"kms:ViaService": "String", "kms:CallerAccount": "String",
                                "kms:EncryptionContextKeys": "ArrayOfString", "kms:EncryptionAlgorithm": "String"},
     False, "kms"),
    ("kms:Encrypt", "kms-key", {"kms:ViaService": "String", "kms:CallerAccount": "String",
                                "kms:EncryptionContextKeys": "ArrayOfString"}, False, "kms"),
    ("kms:GenerateDataKey", "kms-key", {"kms:ViaService": "String", "kms:CallerAccount": "String"}, False, "kms"),
    ("kms:ScheduleKeyDeletion", "kms-key", {"kms:CallerAccount": "String",
                                            "kms:ScheduleKeyDeletionPendingWindowInDays": "Numeric"}, False, "kms"),
    ("kms:ListKeys", None, {}, False, None),
    # sqs: queue policies.
    ("sqs:SendMessage", "sqs-queue", {}, False, "sqs"),
    ("sqs:ReceiveMessage", "sqs-queue", {}, False, "sqs"),
    ("sqs:DeleteQueue", "sqs-queue", {}, False, "sqs"),
    ("sqs:CreateQueue", "sqs-queue", {}, True, None),
    ("sqs:ListQueues", None, {}, False, None),
    # lambda: function policies.
    ("lambda:InvokeFunction", "lambda-function", {"lambda:InvokedViaFunctionUrl": "Bool"}, False, "lambda"),
    ("lambda:GetFunction", "lambda-function", {}, False, "lambda"),
    ("lambda:CreateFunction", "lambda-function", {"lambda:Layer": "ArrayOfString", "lambda:VpcIds": "String"},
     True, None),
    ("lambda:ListFunctions", None, {}, False, None),
    # secretsmanager: secret policies.
    ("secretsmanager:GetSecretValue", "secret", {"secretsmanager:VersionStage": "String",
                                                 "secretsmanager:SecretId": "ARN"}, False, "secretsmanager"),
    ("secretsmanager:PutSecretValue", "secret", {"secretsmanager:SecretId": "ARN"}, False, "secretsmanager"),
    # sns: topic policies.
    ("sns:Publish", "sns-topic", {}, False, "sns"),
    # organizations
    ("organizations:DescribeAccount", "org-account", {}, False, None),
    ("organizations:ListAccounts", None, {}, False, None),
    ("organizations:DescribeOrganization", None, {}, False, None),
    ("organizations:CreateAccount", None, {}, True, None),
]
ACTIONS = [c[0] for c in CATALOG]
BY_ACTION = {c[0]: c for c in CATALOG}
SERVICES = sorted({a.split(":")[0] for a in ACTIONS})
# Actions used where a statement should name something other than the request's action.
EXTRA_ACTIONS = ["s3:GetObjectVersion", "s3:PutObjectAcl", "iam:DeleteRole", "iam:ListAccessKeys", "ec2:StopInstances",
                 "dynamodb:Scan", "kms:CreateKey", "sqs:GetQueueAttributes", "lambda:AddPermission",
                 "sts:AssumeRoleWithWebIdentity", "organizations:ListRoots", "secretsmanager:DescribeSecret",
                 "sns:Subscribe", "cloudtrail:StopLogging"]

# Service principals and the service each one is, for resource policies.
SERVICE_PRINCIPALS = ["lambda.amazonaws.com", "ec2.amazonaws.com", "s3.amazonaws.com", "sns.amazonaws.com",
                      "cloudtrail.amazonaws.com", "events.amazonaws.com"]

USERS = ["alice", "bob", "carol"]
USER_PATHS = ["", "", "eng/", "ops/ci/"]
ROLES = ["Admin", "Deploy", "ReadOnly", "OrganizationAccountAccessRole"]
ROLE_PATHS = ["", "", "service-role/", "team/"]
SESSIONS = ["alice", "ci-job-7", "bob@example.com", "terraform"]
FED_USERS = ["dana", "erin"]  # distinct from USERS on purpose, see the principal kinds below
BUCKETS = ["corp-data", "corp-logs", "DataLake-2", "team-blue"]
TABLES = ["Orders", "Users", "orders-archive"]
QUEUES = ["jobs", "jobs-dlq", "Events.fifo"]
FUNCTIONS = ["processor", "api-handler", "Processor"]
TOPICS = ["alerts", "Builds"]
SECRETS = ["prod/db-AbCdEf", "dev/api-key-x1Y2z3"]
KMS_KEYS = ["1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321"]
INSTANCES = ["i-0abcd1234efgh5678", "i-0123456789abcdef0"]
VOLUMES = ["vol-049df61146c4d7901", "vol-1234567890abcdef0"]
POLICY_NAMES = ["Boundary", "dev/Boundary", "ReadS3", "AdminAccess"]
S3_KEYS = ["public/index.html", "logs/2024/01/app.log", "report.csv", "a?b.txt", "price$list.csv", "Report.CSV"]
SOURCE_IPS_V4 = ["203.0.113.5", "198.51.100.77", "10.1.2.3", "192.0.2.255"]
SOURCE_IPS_V6 = ["2001:db8:85a3::8a2e:370:7334", "2001:db8:1234:5678::1", "fd00::1", "2001:0db8:0000:0000::abcd"]
CIDRS_V4 = ["203.0.113.0/24", "198.51.100.0/25", "10.0.0.0/8", "192.0.2.0/24", "0.0.0.0/0", "203.0.113.5/32",
            "172.16.0.0/12", "10.1.2.0/30"]
CIDRS_V6 = ["2001:db8::/32", "2001:db8:85a3::/48", "fd00::/8", "2001:db8:1234:5678::/64", "::/0",
            "2001:db8:85a3::8a2e:370:7334/128", "2001:db9::/32"]
TIMES = [  # (ISO 8601, epoch seconds)
    ("2025-03-15T10:30:00Z", 1742034600),
    ("2024-12-31T23:59:59Z", 1735689599),
    ("2026-01-01T00:00:00Z", 1767225600),
]
USER_AGENTS = ["aws-cli/2.9.0 Python/3.11", "Boto3/1.43.0", "terraform/1.11.4"]
VIA_SERVICES = ["s3.us-east-1.amazonaws.com", "ec2.eu-west-1.amazonaws.com", "rds.us-east-1.amazonaws.com"]
BASE64_VALUES = [base64.b64encode(v).decode() for v in (b"rolegate", b"hello world", b"\x00\x01\xfe\xff")]

GAP_FEATURES = ("gap:root-principal", "gap:variables-in-2008-policy")


def key_type(key):
    """The type of a condition key (String, ArrayOfString, ARN, Numeric, Date, Bool, IPAddress), case-insensitively."""
    k = key.lower()
    for name, t in GLOBAL_KEY_TYPES.items():
        if name.lower() == k:
            return t
    for prefix, t in PREFIX_KEY_TYPES.items():
        if k.startswith(prefix.lower()):
            return t
    for c in CATALOG:
        for name, t in c[2].items():
            n = name.lower()
            if n == k or ((n.endswith("/") or n.endswith(":")) and k.startswith(n)):
                return t
    return "String"


def iso_to_epoch(iso):
    for i, e in TIMES:
        if i == iso:
            return e
    raise KeyError(iso)


def epoch_to_iso(epoch):
    import datetime
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Arn:
    """An ARN split into its six parts; `product` is the resource-type prefix of the resource part ("user/",
    "function:", "" for S3 and SQS), `name` the rest (the part policies put wildcards and variables in)."""

    def __init__(self, service, region, account, product, name, partition="aws"):
        self.partition, self.service, self.region, self.account = partition, service, region, account
        self.product, self.name = product, name

    def __str__(self):
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.product}{self.name}"

    def with_(self, **kw):
        a = Arn(self.service, self.region, self.account, self.product, self.name, self.partition)
        for k, v in kw.items():
            setattr(a, k, v)
        return a


class Principal:
    def __init__(self, kind, arn, account, **kw):
        self.kind, self.arn, self.account = kind, arn, account
        self.username = kw.get("username")
        self.role_name = kw.get("role_name")
        self.role_arn = kw.get("role_arn")
        self.session = kw.get("session")
        self.userid = kw.get("userid")
        self.service = kw.get("service")
        self.tags = kw.get("tags", {})

    def is_iam(self):
        return self.kind != "service"


class Gen:
    """Generates one case. All randomness comes from self.r, seeded from (seed, index)."""

    def __init__(self, seed, index, known_gaps=True):
        self.r = random.Random(f"rolegate-difftest:{seed}:{index}")
        self.name = f"s{seed}-{index}"
        self.features = set()
        self.known_gaps = known_gaps

    # -- helpers ------------------------------------------------------------------------------------------------
    def p(self, prob):
        return self.r.random() < prob

    def pick(self, seq):
        return self.r.choice(seq)

    def randint(self, a, b):
        return self.r.randint(a, b)

    def sample(self, seq, k):
        return self.r.sample(seq, k)

    def wpick(self, pairs):
        """Picks from [(weight, value)...]."""
        total = sum(w for w, _ in pairs)
        x = self.r.random() * total
        for w, v in pairs:
            x -= w
            if x < 0:
                return v
        return pairs[-1][1]

    def feat(self, *names):
        self.features.update(names)

    def maybe_list(self, values, force_list=False):
        """A single value is written as a bare string or as a one-element list; several as a list."""
        if len(values) == 1 and not force_list and self.p(0.6):
            return values[0]
        return list(values)

    def flip_case(self, s):
        """The same string with a different case (or the string itself when it has no letters)."""
        if not any(c.isalpha() for c in s):
            return s
        for _ in range(8):
            t = "".join(c.swapcase() if c.isalpha() and self.p(0.5) else c for c in s)
            if t != s:
                return t
        return s.swapcase()

    # -- principal -----------------------------------------------------------------------------------------------
    def gen_principal(self, scenario):
        if scenario == "service":
            svc = self.pick(SERVICE_PRINCIPALS)
            self.feat("principal:service")
            return Principal("service", svc, None, service=svc)
        kinds = [(30, "user"), (14, "role"), (38, "assumed-role"), (6, "federated-user")]
        if self.known_gaps:
            kinds.append((2, "root"))
        kind = self.wpick(kinds)
        account = HOME if self.p(0.85) else self.pick([OTHER, THIRD])
        self.feat("principal:" + kind)
        tags = {}
        if kind in ("user", "role", "assumed-role") and self.p(0.7):
            for k in self.r.sample(TAG_KEYS, self.r.randint(1, 3)):
                tags[k] = self.pick(TAG_VALUES[k])
        if kind == "user":
            name = self.pick(USERS)
            path = self.pick(USER_PATHS)
            arn = f"arn:aws:iam::{account}:user/{path}{name}"
            uid = "AIDA" + "".join(self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))
            return Principal(kind, arn, account, username=name, userid=uid, tags=tags)
        if kind in ("role", "assumed-role"):
            name = self.pick(ROLES)
            path = self.pick(ROLE_PATHS)
            role_arn = f"arn:aws:iam::{account}:role/{path}{name}"
            rid = "AROA" + "".join(self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))
            if kind == "role":
                return Principal(kind, role_arn, account, role_name=name, role_arn=role_arn, userid=rid, tags=tags)
            session = self.pick(SESSIONS)
            arn = f"arn:aws:sts::{account}:assumed-role/{name}/{session}"
            return Principal(kind, arn, account, role_name=name, role_arn=role_arn, session=session,
                             userid=f"{rid}:{session}", tags=tags)
        if kind == "federated-user":
            name = self.pick(FED_USERS)
            arn = f"arn:aws:sts::{account}:federated-user/{name}"
            return Principal(kind, arn, account, session=name, userid=f"{account}:{name}")
        arn = f"arn:aws:iam::{account}:root"
        self.feat("gap:root-principal")
        return Principal("root", arn, account, userid=account)

    # -- request resource ----------------------------------------------------------------------------------------
    def gen_resource(self, family, principal, res_account):
        """Returns an Arn (or None for "*"). Names are drawn from small pools, and sometimes from the principal's own
        attributes so that policy variables have something to match."""
        r = self
        region = r.pick(REGIONS)
        user = principal.username or (principal.session if principal.kind == "federated-user" else None)
        team = principal.tags.get("team")
        if family is None:
            return None
        if family == "s3-object":
            bucket = r.pick(BUCKETS)
            choices = [(4, r.pick(S3_KEYS))]
            if user:
                choices.append((4, f"home/{user}/notes.txt"))
            if principal.userid:
                choices.append((1, f"home/{principal.userid}/x.bin"))
            if team:
                choices.append((2, f"{team}/plan.md"))
            if principal.account:
                choices.append((1, f"acct/{principal.account}/data.bin"))
            return Arn("s3", "", "", "", f"{bucket}/{r.wpick(choices)}")
        if family == "s3-bucket":
            choices = [(4, r.pick(BUCKETS))]
            if team:
                choices.append((2, f"team-{team}"))
            return Arn("s3", "", "", "", r.wpick(choices))
        if family == "iam-user":
            choices = [(4, r.pick(USER_PATHS) + r.pick(USERS))]
            if principal.username:
                choices.append((4, principal.username))
            return Arn("iam", "", res_account, "user/", r.wpick(choices))
        if family == "iam-role":
            choices = [(4, r.pick(ROLE_PATHS) + r.pick(ROLES))]
            if team:
                choices.append((1, f"team-{team}"))
            return Arn("iam", "", res_account, "role/", r.wpick(choices))
        if family == "iam-policy":
            return Arn("iam", "", res_account, "policy/", r.pick(POLICY_NAMES))
        if family == "sts-federated-user":
            return Arn("sts", "", res_account, "federated-user/", r.pick(FED_USERS + ([user] if user else [])))
        if family == "ec2-instance":
            return Arn("ec2", region, res_account, "instance/", r.pick(INSTANCES))
        if family == "ec2-volume":
            return Arn("ec2", region, res_account, "volume/", r.pick(VOLUMES))
        if family == "dynamodb-table":
            choices = [(4, r.pick(TABLES))]
            if user:
                choices.append((1, f"{user}-items"))
            return Arn("dynamodb", region, res_account, "table/", r.wpick(choices))
        if family == "kms-key":
            return Arn("kms", region, res_account, "key/", r.pick(KMS_KEYS))
        if family == "sqs-queue":
            return Arn("sqs", region, res_account, "", r.pick(QUEUES))
        if family == "lambda-function":
            return Arn("lambda", region, res_account, "function:", r.pick(FUNCTIONS))
        if family == "secret":
            return Arn("secretsmanager", region, res_account, "secret:", r.pick(SECRETS))
        if family == "sns-topic":
            return Arn("sns", region, res_account, "", r.pick(TOPICS))
        if family == "org-account":
            return Arn("organizations", "", HOME, "account/", f"{ORG_ID}/{res_account}")
        raise ValueError(family)

    # -- request context -----------------------------------------------------------------------------------------
    def gen_context(self, principal, action, res_arn, res_account):
        """The request context, following AWS's "present only when" rules most of the time."""
        r = self
        ctx = {}
        _, family, service_keys, tagging, _ = BY_ACTION[action]
        p = principal
        in_org = p.account in (HOME, OTHER)
        if p.is_iam():
            ctx["aws:PrincipalArn"] = p.role_arn if p.kind == "assumed-role" else p.arn
            ctx["aws:PrincipalAccount"] = p.account
            ctx["aws:PrincipalType"] = {"user": "User", "role": "AssumedRole", "assumed-role": "AssumedRole",
                                        "federated-user": "FederatedUser", "root": "Account"}[p.kind]
            ctx["aws:userid"] = p.userid
            if p.username:
                ctx["aws:username"] = p.username
            for k, v in p.tags.items():
                ctx["aws:PrincipalTag/" + k] = v
            if in_org and r.p(0.9):
                ctx["aws:PrincipalOrgID"] = ORG_ID
                ctx["aws:PrincipalOrgPaths"] = [f"{ORG_ID}/{ORG_ROOT}/{r.pick([OU_1, OU_2])}/"]
            temporary = p.kind in ("assumed-role", "role", "federated-user")
            if temporary or r.p(0.3):
                mfa = r.p(0.5)
                ctx["aws:MultiFactorAuthPresent"] = "true" if mfa else "false"
                if mfa:
                    ctx["aws:MultiFactorAuthAge"] = str(r.pick([0, 30, 599, 600, 3600, 86400]))
            if temporary:
                ctx["aws:TokenIssueTime"] = r.pick(TIMES)[0]
                if r.p(0.3):
                    ctx["aws:SourceIdentity"] = r.pick(["alice", "bob@example.com"])
            ctx["aws:PrincipalIsAWSService"] = "false"
        else:
            ctx["aws:PrincipalIsAWSService"] = "true"
            ctx["aws:PrincipalServiceName"] = p.service
            if r.p(0.7):
                src_acct = r.pick([HOME, OTHER, THIRD])
                ctx["aws:SourceAccount"] = src_acct
                ctx["aws:SourceArn"] = r.pick([f"arn:aws:sns:us-east-1:{src_acct}:alerts",
                                               f"arn:aws:s3:::corp-data",
                                               f"arn:aws:cloudtrail:eu-west-1:{src_acct}:trail/main"])
        iso, epoch = r.pick(TIMES)
        ctx["aws:CurrentTime"] = iso
        ctx["aws:EpochTime"] = str(epoch)
        ctx["aws:SecureTransport"] = r.pick(["true", "true", "false"])
        if p.is_iam() and r.p(0.9):
            ctx["aws:SourceIp"] = r.pick(SOURCE_IPS_V4) if r.p(0.7) else r.pick(SOURCE_IPS_V6)
        if r.p(0.15):
            ctx["aws:SourceVpc"] = r.pick(["vpc-1a2b3c4d", "vpc-9f8e7d6c"])
            ctx["aws:VpcSourceIp"] = r.pick(["10.1.2.3", "10.200.0.9"])
        if r.p(0.8):
            ctx["aws:RequestedRegion"] = res_arn.region if res_arn and res_arn.region else r.pick(REGIONS)
        if p.is_iam():
            ctx["aws:ViaAWSService"] = "false"
            if r.p(0.1):
                ctx["aws:ViaAWSService"] = "true"
                ctx["aws:CalledVia"] = r.sample(["cloudformation.amazonaws.com", "athena.amazonaws.com"],
                                                r.randint(1, 2))
                ctx["aws:CalledViaFirst"] = ctx["aws:CalledVia"][0]
            if r.p(0.3):
                ctx["aws:UserAgent"] = r.pick(USER_AGENTS)
        if res_arn is not None and r.p(0.9):
            ctx["aws:ResourceAccount"] = res_account
            if res_account in (HOME, OTHER) and r.p(0.7):
                ctx["aws:ResourceOrgID"] = ORG_ID
        if res_arn is not None and res_arn.service != "s3" and r.p(0.5):
            for k in r.sample(TAG_KEYS, r.randint(1, 2)):
                ctx["aws:ResourceTag/" + k] = r.pick(TAG_VALUES[k])
        if tagging and r.p(0.7):
            keys = r.sample(TAG_KEYS, r.randint(0, 3))
            for k in keys:
                ctx["aws:RequestTag/" + k] = r.pick(TAG_VALUES[k])
            if keys or r.p(0.5):
                ctx["aws:TagKeys"] = list(keys)
                if not keys:
                    self.feat("empty-multivalued-context")
        for key, typ in service_keys.items():
            if not r.p(0.65):
                continue
            if key.endswith("/") or key.endswith(":"):  # a key family such as ec2:ResourceTag/ or kms:EncryptionContext:
                sub = r.pick(TAG_KEYS) if key.endswith("/") else r.pick(["aws:s3:arn", "purpose", "Department"])
                ctx[key + sub] = self.service_key_value(key, typ, principal, res_arn)
            else:
                ctx[key] = self.service_key_value(key, typ, principal, res_arn)
        if r.p(0.05):
            # Sparse: keys the request would carry are missing, so that negated operators, IfExists and Null see
            # absent keys that are usually present.
            for k in list(ctx):
                if r.p(0.5):
                    del ctx[k]
            self.feat("sparse-context")
        return ctx

    def service_key_value(self, key, typ, principal, res_arn):
        r = self
        user = principal.username or principal.session or "alice"
        table = {
            "s3:TlsVersion": lambda: r.pick(["1.2", "1.3", "1.0"]),
            "s3:signatureAge": lambda: str(r.pick([100, 60000, 600000])),
            "s3:authType": lambda: r.pick(["REST-HEADER", "REST-QUERY-STRING", "POST"]),
            "s3:ResourceAccount": lambda: res_arn and res_arn.account or r.pick([HOME, OTHER]),
            "s3:x-amz-acl": lambda: r.pick(["private", "public-read", "bucket-owner-full-control"]),
            "s3:x-amz-server-side-encryption": lambda: r.pick(["AES256", "aws:kms"]),
            "s3:x-amz-server-side-encryption-aws-kms-key-id": lambda: f"arn:aws:kms:us-east-1:{HOME}:key/{r.pick(KMS_KEYS)}",
            "s3:RequestObjectTagKeys": lambda: r.sample(TAG_KEYS, r.randint(1, 3)),
            "s3:object-lock-retain-until-date": lambda: r.pick(TIMES)[0],
            "s3:prefix": lambda: r.pick(["", "public/", f"home/{user}/", "home/", "logs/2024/"]),
            "s3:max-keys": lambda: str(r.pick([10, 100, 1000])),
            "s3:delimiter": lambda: "/",
            "iam:PermissionsBoundary": lambda: f"arn:aws:iam::{r.pick([HOME, OTHER])}:policy/{r.pick(POLICY_NAMES)}",
            "iam:PassedToService": lambda: r.pick(["ec2.amazonaws.com", "lambda.amazonaws.com",
                                                   "ecs-tasks.amazonaws.com"]),
            "iam:AssociatedResourceArn": lambda: f"arn:aws:ec2:us-east-1:{HOME}:instance/{r.pick(INSTANCES)}",
            "iam:PolicyARN": lambda: r.pick(["arn:aws:iam::aws:policy/ReadOnlyAccess",
                                             f"arn:aws:iam::{HOME}:policy/ReadS3",
                                             "arn:aws:iam::aws:policy/AdministratorAccess"]),
            "sts:ExternalId": lambda: r.pick(["ext-1234", "EXT-1234", "partner-7", "ext-*"]),
            "sts:RoleSessionName": lambda: r.pick(SESSIONS),
            "sts:SourceIdentity": lambda: r.pick(["alice", "bob@example.com"]),
            "sts:TransitiveTagKeys": lambda: r.sample(TAG_KEYS, r.randint(1, 2)),
            "ec2:Region": lambda: res_arn.region if res_arn and res_arn.region else r.pick(REGIONS),
            "ec2:InstanceType": lambda: r.pick(["t3.micro", "m5.large", "t3.2xlarge"]),
            "ec2:VolumeSize": lambda: str(r.pick([8, 100, 2000])),
            "ec2:Encrypted": lambda: r.pick(["true", "false"]),
            "dynamodb:LeadingKeys": lambda: r.sample([user, principal.userid or "x", "shared"], r.randint(1, 2)),
            "dynamodb:Attributes": lambda: r.sample(["id", "name", "email", "ssn"], r.randint(1, 3)),
            "dynamodb:Select": lambda: r.pick(["ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"]),
            "kms:ViaService": lambda: r.pick(VIA_SERVICES),
            "kms:CallerAccount": lambda: principal.account or HOME,
            "kms:EncryptionContextKeys": lambda: r.sample(["aws:s3:arn", "purpose", "Department"], r.randint(1, 2)),
            "kms:EncryptionAlgorithm": lambda: r.pick(["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256"]),
            "kms:ScheduleKeyDeletionPendingWindowInDays": lambda: str(r.pick([7, 14, 30])),
            "lambda:InvokedViaFunctionUrl": lambda: r.pick(["true", "false"]),
            "lambda:Layer": lambda: [f"arn:aws:lambda:us-east-1:{HOME}:layer:common:{r.randint(1, 3)}"],
            "lambda:VpcIds": lambda: r.pick(["vpc-1a2b3c4d", "vpc-9f8e7d6c"]),
            "secretsmanager:VersionStage": lambda: r.pick(["AWSCURRENT", "AWSPREVIOUS"]),
            "secretsmanager:SecretId": lambda: str(res_arn) if res_arn else "x",
        }
        if key in table:
            return table[key]()
        if key == "ec2:ResourceTag/":
            return r.pick(["dev", "prod", "blue"])
        if key == "kms:EncryptionContext:":
            return r.pick([f"arn:aws:s3:::corp-data/{user}", "backup", "Finance"])
        raise KeyError(key)

    # -- actions in statements -----------------------------------------------------------------------------------
    def action_pattern(self, action, match):
        """A pattern for the Action element that matches the request's action (match=True) or (very likely) not."""
        svc, name = action.split(":")
        r = self
        if match:
            kind = r.wpick([(30, "exact"), (6, "case"), (10, "svc*"), (4, "*"), (12, "prefix*"), (6, "*suffix"),
                            (6, "?"), (4, "mid*")])
            self.feat("action:" + kind)
            if kind == "exact":
                return action
            if kind == "case":
                return r.pick([svc.upper(), svc]) + ":" + self.flip_case(name)
            if kind == "svc*":
                return f"{svc}:*"
            if kind == "*":
                return "*"
            if kind == "prefix*":
                return f"{svc}:{name[:r.randint(1, max(1, len(name) - 1))]}*"
            if kind == "*suffix":
                return f"{svc}:*{name[r.randint(1, max(1, len(name) - 1)):]}"
            if kind == "?":
                i = r.randint(0, len(name) - 1)
                return f"{svc}:{name[:i]}?{name[i + 1:]}"
            i = r.randint(1, max(1, len(name) - 2))
            j = r.randint(i, len(name) - 1)
            return f"{svc}:{name[:i]}*{name[j:]}"
        kind = r.wpick([(30, "other"), (10, "other-svc*"), (8, "near"), (6, "near?"), (6, "prefix-other")])
        if kind == "other":
            return r.pick([a for a in ACTIONS + EXTRA_ACTIONS if a != action])
        if kind == "other-svc*":
            return r.pick([s for s in SERVICES + ["cloudtrail"] if s != svc]) + ":*"
        if kind == "near":
            return f"{svc}:{name}s"
        if kind == "near?":
            return f"{svc}:{name}?"
        return f"{svc}:{'X' if name[0] != 'X' else 'Y'}{name[1:]}*"

    def action_element(self, action, match):
        """Action values for a statement: one or several patterns; at least one matches when match=True."""
        n = self.wpick([(70, 1), (20, 2), (10, 3)])
        vals = [self.action_pattern(action, False) for _ in range(n - 1)]
        vals.insert(self.r.randint(0, len(vals)), self.action_pattern(action, match))
        return self.maybe_list(vals)

    # -- resources in statements ---------------------------------------------------------------------------------
    def variables_for(self, principal, ctx):
        """(variable, value) pairs that resolve in this request, for building patterns with policy variables."""
        out = []
        for key, var in (("aws:username", "${aws:username}"), ("aws:userid", "${aws:userid}"),
                         ("aws:PrincipalAccount", "${aws:PrincipalAccount}")):
            if key in ctx:
                out.append((var, ctx[key]))
        for k in TAG_KEYS:
            if "aws:PrincipalTag/" + k in ctx:
                out.append(("${aws:PrincipalTag/%s}" % k, ctx["aws:PrincipalTag/" + k]))
        return out

    def substitute_variable(self, text, principal, ctx):
        """Replaces one occurrence of a resolvable variable's value in text with the variable; returns (text, ok)."""
        pairs = [(v, val) for v, val in self.variables_for(principal, ctx) if val and val in text]
        if not pairs:
            return text, False
        var, val = self.pick(pairs)
        i = text.index(val)
        self.feat("var:" + var.split("/")[0].strip("${}") if "/" in var else "var:" + var.strip("${}"))
        return text[:i] + var + text[i + len(val):], True

    def escape_specials(self, text):
        """Writes the literal *, ? and $ of a name as ${*}, ${?} and ${$}."""
        out = []
        for c in text:
            if c in "*?$":
                out.append("${%s}" % c)
                self.feat("var:${" + c + "}")
            else:
                out.append(c)
        return "".join(out)

    def resource_pattern(self, arn, match, principal, ctx):
        """A Resource/NotResource value that matches the request resource `arn` (match=True) or does not."""
        r = self
        if arn is None:  # the request resource is "*": only "*" (or a pattern of "*") matches it
            if match:
                return "*"
            return str(self.gen_resource(self.pick(["s3-object", "iam-user", "sqs-queue"]), principal, HOME))
        name = arn.name
        if match:
            kinds = [(20, "exact"), (10, "*"), (14, "name*"), (6, "?"), (6, "region/account*"), (6, "all-after-product")]
            if self.variables_for(principal, ctx):
                kinds.append((18, "variable"))
            if any(c in name for c in "*?$"):
                kinds.append((30, "escaped"))
            kinds.append((3, "default-variable"))
            kind = r.wpick(kinds)
            self.feat("resource:" + kind)
            if kind == "exact":
                return str(arn)
            if kind == "*":
                return "*"
            if kind == "name*":
                k = r.randint(0, len(name))
                return str(arn.with_(name=name[:k] + "*"))
            if kind == "?":
                i = r.randint(0, len(name) - 1)
                return str(arn.with_(name=name[:i] + "?" + name[i + 1:]))
            if kind == "region/account*":
                a = arn.with_()
                if a.region and r.p(0.5):
                    a.region = r.pick(["*", a.region[:3] + "*"])
                elif a.account:
                    a.account = "*"
                else:
                    a.name = "*"
                return str(a)
            if kind == "all-after-product":
                return f"arn:aws:{arn.service}:{arn.region}:{arn.account}:{arn.product}*"
            if kind == "variable":
                text, ok = self.substitute_variable(name, principal, ctx)
                if ok:
                    if r.p(0.3):  # and a wildcard after it
                        text = text + "*" if not text.endswith("*") else text
                    return str(arn.with_(name=text))
                return str(arn)
            if kind == "escaped":
                return str(arn.with_(name=self.escape_specials(name)))
            # A variable that cannot be resolved, with a default that is the literal text.
            k = r.randint(1, len(name))
            self.feat("var-default")
            tag = r.pick(["nosuchtag", "env"])
            if ("aws:PrincipalTag/" + tag) in ctx:
                return str(arn)
            return str(arn.with_(name="${aws:PrincipalTag/%s, '%s'}%s" % (tag, name[:k], name[k:])))
        kinds = [(20, "other-name"), (8, "case"), (8, "other-account"), (6, "other-region"), (8, "other-service"),
                 (6, "unresolved-variable"), (4, "wrong-variable"), (2, "escaped-star")]
        kind = r.wpick(kinds)
        if kind == "other-name":
            other = self.gen_resource(self.family_of(arn), principal, arn.account or HOME)
            return str(other) if other is not None else "arn:aws:s3:::nothing-here"
        if kind == "case":
            flipped = self.flip_case(name)
            if flipped == name:
                return str(arn.with_(name=name + "-x"))
            self.feat("resource:case-mismatch")
            return str(arn.with_(name=flipped))
        if kind == "other-account":
            if arn.account:
                return str(arn.with_(account=THIRD if arn.account != THIRD else OTHER))
            return str(arn.with_(name="other-" + name))
        if kind == "other-region":
            if arn.region:
                return str(arn.with_(region=self.pick([x for x in REGIONS if x != arn.region])))
            return str(arn.with_(name=name + "/*"))
        if kind == "other-service":
            fam = self.pick(["iam-user", "dynamodb-table", "sqs-queue", "lambda-function", "s3-object"])
            other = self.gen_resource(fam, principal, arn.account or HOME)
            return str(other)
        if kind == "escaped-star":
            # ${*} is a literal '*', which no request resource holds.
            self.feat("var:${*}")
            return str(arn.with_(name=name + "${*}"))
        if kind == "unresolved-variable":
            self.feat("var-unresolved")
            return str(arn.with_(name="${aws:PrincipalTag/nosuchtag}" + name[1:]))
        self.feat("var-mismatch")
        return str(arn.with_(name="${aws:PrincipalType}" + name))

    def family_of(self, arn):
        return {"s3": "s3-object" if "/" in arn.name else "s3-bucket", "iam": {"user/": "iam-user",
                "role/": "iam-role", "policy/": "iam-policy"}.get(arn.product, "iam-user"),
                "sts": "sts-federated-user", "ec2": "ec2-instance" if arn.product == "instance/" else "ec2-volume",
                "dynamodb": "dynamodb-table", "kms": "kms-key", "sqs": "sqs-queue", "lambda": "lambda-function",
                "secretsmanager": "secret", "sns": "sns-topic", "organizations": "org-account"}[arn.service]

    def resource_element(self, arn, match, principal, ctx):
        n = self.wpick([(70, 1), (22, 2), (8, 3)])
        vals = [self.resource_pattern(arn, False, principal, ctx) for _ in range(n - 1)]
        vals.insert(self.r.randint(0, len(vals)), self.resource_pattern(arn, match, principal, ctx))
        return self.maybe_list(vals)

    # -- conditions ----------------------------------------------------------------------------------------------
    def key_type(self, key):
        return key_type(key)

    def candidate_keys(self, ctx, action):
        """Keys a condition may test: those present in the context, and a few that are absent."""
        present = list(ctx)
        absent_pool = ["aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:SourceIdentity",
                       "aws:PrincipalTag/project", "aws:PrincipalTag/team", "aws:RequestTag/env", "aws:TagKeys",
                       "aws:SourceVpc", "aws:username", "aws:PrincipalOrgID", "aws:CalledVia", "aws:SourceIp",
                       "aws:ResourceTag/env", "aws:SourceArn", "aws:TokenIssueTime", "aws:PrincipalOrgPaths"]
        absent_pool += [k for k in BY_ACTION[action][2] if not (k.endswith("/") or k.endswith(":"))]
        absent = [k for k in absent_pool if k not in ctx]
        return present, absent

    def condition_block(self, ctx, principal, action, want_match):
        """One (operator, key, values) entry. want_match biases the values towards matching the request."""
        r = self
        present, absent = self.candidate_keys(ctx, action)
        if present and (not absent or r.p(0.8)):
            key = r.pick(present)
        else:
            key = r.pick(absent)
            self.feat("key-absent")
        typ = self.key_type(key)
        value = ctx.get(key)
        multi = typ.startswith("ArrayOf")
        if r.p(0.08):
            # An operator of another type than the key's (a numeric test of a string key...): never an error, just
            # a comparison that does not match.
            base_typ = r.pick(["String", "Numeric", "Date", "Bool", "IPAddress", "ARN", "Binary"])
            self.feat("operator-type-mismatch")
        else:
            base_typ = typ[len("ArrayOf"):] if multi else typ
            if base_typ == "String" and r.p(0.05):
                base_typ = "Binary"
        if r.p(0.07):
            op, values = "Null", [r.pick(["true", "false"])]
            if r.p(0.2):
                values = [r.pick([True, False])]
                self.feat("json-bool-value")
        else:
            op, values = self.operator_and_values(base_typ, key, value, principal, ctx, want_match)
        # Qualifiers.
        set_op = None
        if op != "Null":
            if multi and r.p(0.85):
                set_op = r.pick(["ForAllValues", "ForAnyValue"])
            elif not multi and r.p(0.04):
                set_op = r.pick(["ForAllValues", "ForAnyValue"])
                self.feat("set-operator-on-single-valued-key")
            elif multi:
                self.feat("single-operator-on-multivalued-key")
            if r.p(0.22):
                op += "IfExists"
                self.feat("qual:IfExists")
        full = f"{set_op}:{op}" if set_op else op
        self.feat("op:" + op.replace("IfExists", ""))
        if set_op:
            self.feat("qual:" + set_op)
        if r.p(0.04):
            key = self.flip_case(key.split("/")[0]) + ("/" + key.split("/", 1)[1] if "/" in key else "")
            self.feat("key-case")
        return full, key, values

    def operator_and_values(self, typ, key, value, principal, ctx, want_match):
        r = self
        sample = value[0] if isinstance(value, list) and value else value
        if isinstance(value, list) and value and r.p(0.5):
            sample = r.pick(value)
        if typ == "String":
            op = r.pick(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
                         "StringLike", "StringNotLike"])
            negated = "Not" in op
            hit = want_match != negated
            return op, self.string_values(op, key, sample, value, principal, ctx, hit)
        if typ == "ARN":
            op = r.pick(["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"])
            negated = "Not" in op
            hit = want_match != negated
            return op, self.arn_values(op, sample, principal, ctx, hit)
        if typ == "Numeric":
            op = r.pick(["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                         "NumericGreaterThan", "NumericGreaterThanEquals"])
            return op, self.numeric_values(sample)
        if typ == "Date":
            op = r.pick(["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
                         "DateGreaterThanEquals"])
            return op, self.date_values(key, sample)
        if typ == "Bool":
            vals = [r.pick(["true", "false"])]
            if sample in ("true", "false") and want_match and r.p(0.5):
                vals = [sample]
            if r.p(0.15):
                vals = [v == "true" for v in vals]
                self.feat("json-bool-value")
            elif r.p(0.05):
                vals = [self.flip_case(v) for v in vals]
                self.feat("bool-case")
            return "Bool", vals
        if typ == "IPAddress":
            op = r.pick(["IpAddress", "NotIpAddress"])
            return op, self.ip_values(sample)
        if typ == "Binary":
            vals = [r.pick(BASE64_VALUES)]
            if isinstance(sample, str) and r.p(0.3):
                vals.append(base64.b64encode(sample.encode()).decode())
            return "BinaryEquals", vals
        raise ValueError(typ)

    def string_values(self, op, key, sample, value, principal, ctx, hit):
        r = self
        pool = self.string_pool(key, principal)
        like = "Like" in op
        ignore_case = "IgnoreCase" in op
        n = r.wpick([(60, 1), (30, 2), (10, 3)])
        vals = []
        for _ in range(n - 1):
            vals.append(r.pick(pool))
        if hit and isinstance(sample, str):
            kind = r.wpick([(30, "exact"), (10 if ignore_case else 2, "case"), (20 if like else 0, "wild"),
                            (15, "variable"), (4, "default-variable")])
            v = sample
            if kind == "case":
                v = self.flip_case(sample)
                self.feat("string-case-variant")
            elif kind == "wild" and sample:
                i = r.randint(0, len(sample))
                v = r.pick([sample[:i] + "*", "*" + sample[i:], sample[:i] + "?" + sample[i + 1:] if i < len(sample)
                            else sample + "*", "*"])
                self.feat("string-wildcard")
            elif kind == "variable":
                v2, ok = self.substitute_variable(sample, principal, ctx)
                if ok:
                    v = v2
            elif kind == "default-variable" and sample:
                k = r.randint(1, len(sample))
                if "aws:PrincipalTag/nosuchtag" not in ctx:
                    v = "${aws:PrincipalTag/nosuchtag, '%s'}%s" % (sample[:k], sample[k:])
                    self.feat("var-default")
            if not like and any(c in v for c in "*?") and "${" not in v:
                # A literal * or ? in StringEquals is the character itself.
                self.feat("literal-wildcard-char-in-equals")
            vals.insert(r.randint(0, len(vals)), v)
        else:
            v = r.pick(pool)
            if like and r.p(0.3):
                v = v[: r.randint(0, len(v))] + "*"
            if r.p(0.08):
                v = "${aws:PrincipalTag/nosuchtag}"
                self.feat("var-unresolved")
            vals.insert(r.randint(0, len(vals)), v)
        if like and r.p(0.05):
            vals.append("${*}")
            self.feat("var:${*}")
        return vals

    def string_pool(self, key, principal):
        k = key.lower()
        if k.startswith("aws:principaltag/") or k.startswith("aws:requesttag/") or k.startswith("aws:resourcetag/") \
                or k.startswith("ec2:resourcetag/"):
            return [v for vs in TAG_VALUES.values() for v in vs]
        pools = {
            "aws:username": USERS + ["Alice", "admin"],
            "aws:principaltype": ["User", "AssumedRole", "FederatedUser", "Account"],
            "aws:principalaccount": [HOME, OTHER, THIRD],
            "aws:resourceaccount": [HOME, OTHER, THIRD],
            "aws:sourceaccount": [HOME, OTHER, THIRD],
            "aws:principalorgid": [ORG_ID, "o-zzzzzzzzzz"],
            "aws:resourceorgid": [ORG_ID, "o-zzzzzzzzzz"],
            "aws:requestedregion": REGIONS + ["us-*"],
            "aws:tagkeys": TAG_KEYS + ["Team"],
            "aws:principalorgpaths": [f"{ORG_ID}/{ORG_ROOT}/{OU_1}/", f"{ORG_ID}/{ORG_ROOT}/{OU_2}/*",
                                      f"{ORG_ID}/*"],
            "aws:calledvia": ["cloudformation.amazonaws.com", "athena.amazonaws.com"],
            "sts:externalid": ["ext-1234", "partner-7", "ext-*"],
            "iam:passedtoservice": ["ec2.amazonaws.com", "lambda.amazonaws.com"],
            "s3:prefix": ["home/", "public/", "home/alice/"],
            "s3:x-amz-acl": ["private", "public-read"],
            "dynamodb:leadingkeys": USERS + ["shared"],
            "dynamodb:attributes": ["id", "name", "email"],
            "kms:viaservice": VIA_SERVICES,
            "kms:calleraccount": [HOME, OTHER],
            "ec2:instancetype": ["t3.micro", "t3.*", "m5.large"],
        }
        return pools.get(k, ["value-1", "dev", "alice", HOME, "x*"])

    def arn_values(self, op, sample, principal, ctx, hit):
        r = self
        pool = [f"arn:aws:iam::{HOME}:role/Admin", f"arn:aws:iam::{OTHER}:user/bob",
                f"arn:aws:iam::{HOME}:policy/Boundary", f"arn:aws:sns:us-east-1:{HOME}:alerts", "arn:aws:s3:::corp-data"]
        vals = [r.pick(pool) for _ in range(r.wpick([(70, 0), (30, 1)]))]
        if hit and isinstance(sample, str) and sample.startswith("arn:"):
            parts = sample.split(":", 5)
            kind = r.wpick([(30, "exact"), (20 if "Like" in op else 2, "wild"), (10, "variable")])
            v = sample
            if kind == "wild":
                j = r.randint(1, 5)
                if j == 5:
                    res = parts[5]
                    parts[5] = res[: r.randint(0, len(res))] + "*"
                elif parts[j]:
                    parts[j] = "*"
                v = ":".join(parts)
                self.feat("arn-wildcard")
            elif kind == "variable":
                res, ok = self.substitute_variable(parts[5], principal, ctx)
                if ok:
                    parts[5] = res
                    v = ":".join(parts)
            vals.insert(r.randint(0, len(vals)), v)
        else:
            vals.insert(r.randint(0, len(vals)), r.pick(pool))
        return vals

    def numeric_values(self, sample):
        r = self
        try:
            n = float(sample) if isinstance(sample, str) and "." in sample else int(sample)
        except (TypeError, ValueError):
            n = r.pick([0, 10, 600, 3600])
        vals = []
        for _ in range(r.wpick([(75, 1), (25, 2)])):
            delta = r.pick([0, 0, 1, -1, 10, -100, 0.5])
            v = n + delta
            if isinstance(v, float) and v == int(v) and not isinstance(n, float):
                v = int(v)
            s = str(round(v, 6)) if isinstance(v, float) else str(v)
            if r.p(0.1) and isinstance(v, int):
                self.feat("json-number-value")
                vals.append(v)
                continue
            if r.p(0.05) and isinstance(v, int):
                s = f"{v}.0"
                self.feat("numeric-decimal-form")
            vals.append(s)
        return vals

    def date_values(self, key, sample):
        r = self
        epoch_key = key.lower() == "aws:epochtime"
        if isinstance(sample, str) and sample.isdigit() and int(sample) < 4102444800:
            base = int(sample)
        elif isinstance(sample, str):
            try:
                base = iso_to_epoch(sample)
            except KeyError:
                base = r.pick(TIMES)[1]
        else:
            base = r.pick(TIMES)[1]
        vals = []
        for _ in range(r.wpick([(80, 1), (20, 2)])):
            t = base + r.pick([0, 0, 1, -1, 86400, -86400, 3600 * 24 * 365])
            if epoch_key:
                # aws:EpochTime holds epoch seconds; policies compare it with epoch values (the ISO form against an
                # epoch request value is left out: see the report on date formats).
                vals.append(str(t))
                self.feat("date-epoch")
            else:
                fmt = r.wpick([(70, "iso"), (10, "iso-millis"), (10, "date-only"), (5, "offset")])
                self.feat("date-" + fmt)
                iso = epoch_to_iso(t)
                if fmt == "iso":
                    vals.append(iso)
                elif fmt == "iso-millis":
                    vals.append(iso[:-1] + ".000Z")
                elif fmt == "date-only":
                    vals.append(iso[:10])
                else:
                    import datetime
                    d = datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(hours=2)))
                    vals.append(d.strftime("%Y-%m-%dT%H:%M:%S+02:00"))
        return vals

    def ip_values(self, sample):
        r = self
        vals = []
        v6 = isinstance(sample, str) and ":" in sample
        for _ in range(r.wpick([(70, 1), (30, 2)])):
            fam = v6 if r.p(0.8) else not v6
            if fam:
                vals.append(r.pick(CIDRS_V6))
                self.feat("ipv6")
            else:
                vals.append(r.pick(CIDRS_V4))
                self.feat("ipv4")
        if isinstance(sample, str) and r.p(0.1):
            vals.append(sample)  # a bare address, no prefix length
            self.feat("ip-without-prefix")
        return vals

    def condition(self, ctx, principal, action, want_match):
        """A Condition element: 1-3 operators, each with 1-2 keys."""
        r = self
        cond = {}
        for _ in range(r.wpick([(65, 1), (28, 2), (7, 3)])):
            for _ in range(r.wpick([(80, 1), (20, 2)])):
                op, key, values = self.condition_block(ctx, principal, action, want_match)
                block = cond.setdefault(op, {})
                if key in block or any(k.lower() == key.lower() for k in block):
                    continue
                block[key] = self.maybe_list(values) if len(values) > 1 or not isinstance(values[0], (bool, int)) \
                    else values[0]
        return cond

    # -- statements and policies ---------------------------------------------------------------------------------
    def statement(self, kind, action, arn, principal, ctx, effect, target, principal_elem=None):
        """kind: identity, boundary, session, scp, resource, trust, rcp."""
        r = self
        st = {}
        if r.p(0.3):
            st["Sid"] = r.pick(["Stmt1", "AllowThings", "DenyOthers", "S" + str(r.randint(1, 99))])
        st["Effect"] = effect
        if principal_elem is not None:
            st.update(principal_elem)
        match_action = target or r.p(0.15)
        use_not_action = kind != "rcp" and r.p(0.1)
        if use_not_action:
            self.feat("NotAction")
            st["NotAction"] = self.action_element(action, not match_action)
        else:
            st["Action"] = self.action_element(action, match_action)
            if kind == "rcp":
                vals = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                vals = [v if v != "*" else action.split(":")[0] + ":*" for v in vals]
                st["Action"] = self.maybe_list(vals)
        if kind != "trust":  # a trust policy has no Resource (AWS refuses one that has)
            match_res = target or r.p(0.2)
            if r.p(0.1):
                self.feat("NotResource")
                st["NotResource"] = self.resource_element(arn, not match_res, principal, ctx)
            else:
                st["Resource"] = self.resource_element(arn, match_res, principal, ctx)
        if r.p(0.45):
            want = (effect == "Allow") if r.p(0.8) else (effect != "Allow")
            cond = self.condition(ctx, principal, action, want)
            if cond:
                st["Condition"] = cond
        return st

    def policy(self, statements, allow_2008=True):
        r = self
        doc = {}
        has_vars = "${" in json.dumps(statements)
        if allow_2008 and r.p(0.06) and (not has_vars or (self.known_gaps and r.p(0.3))):
            if has_vars:
                self.feat("gap:variables-in-2008-policy")
            if r.p(0.7):
                doc["Version"] = "2008-10-17"
            self.feat("version-2008")
        else:
            doc["Version"] = "2012-10-17"
        if r.p(0.05):
            doc["Id"] = "policy-" + str(r.randint(1, 999))
        if len(statements) == 1 and r.p(0.4):
            doc["Statement"] = statements[0]
            self.feat("statement-object")
        else:
            doc["Statement"] = statements
        return doc

    def identity_policies(self, action, arn, principal, ctx, kind="identity", allow_bias=0.8):
        r = self
        docs = []
        for _ in range(r.wpick([(5, 0), (58, 1), (27, 2), (10, 3)]) if kind == "identity" else 1):
            sts = []
            for _ in range(r.wpick([(50, 1), (30, 2), (15, 3), (5, 5)])):
                effect = "Allow" if r.p(allow_bias) else "Deny"
                target = r.p(0.75 if effect == "Allow" else 0.35)
                sts.append(self.statement(kind, action, arn, principal, ctx, effect, target))
            docs.append(self.policy(sts))
        return docs

    def principal_value(self, principal, match):
        """A Principal element value (one entry) that names the request's principal (match) or someone else."""
        r = self
        p = principal
        if match:
            if p.kind == "service":
                self.feat("principal-elem:service")
                return ("Service", p.service)
            options = [(12, "account-id"), (12, "account-root"), (6, "star"), (6, "aws-star")]
            if p.kind in ("user", "federated-user", "role", "assumed-role"):
                options.append((25, "arn"))
            if p.kind in ("assumed-role",):
                options.append((20, "role-of-session"))
            kind = r.wpick(options)
            self.feat("principal-elem:" + kind)
            if kind == "account-id":
                return ("AWS", p.account)
            if kind == "account-root":
                return ("AWS", f"arn:aws:iam::{p.account}:root")
            if kind == "star":
                return ("*", "*")
            if kind == "aws-star":
                return ("AWS", "*")
            if kind == "role-of-session":
                return ("AWS", p.role_arn)
            return ("AWS", p.arn)
        # (No unique ids such as AIDA...: AWS accepts one only for a principal that exists, which a case cannot say.)
        kind = r.wpick([(20, "other-account"), (15, "other-user"), (10, "other-role"), (8, "other-session"),
                        (6, "service"), (3, "federated"), (3, "canonical")])
        acct = p.account or HOME
        other_acct = THIRD if acct != THIRD else OTHER
        if kind == "other-account":
            return ("AWS", r.pick([other_acct, f"arn:aws:iam::{other_acct}:root"]))
        if kind == "other-user":
            name = r.pick([u for u in USERS if u != p.username])
            return ("AWS", f"arn:aws:iam::{r.pick([acct, other_acct])}:user/{name}")
        if kind == "other-role":
            name = r.pick([x for x in ROLES if x != p.role_name])
            return ("AWS", f"arn:aws:iam::{acct}:role/{name}")
        if kind == "other-session":
            role = p.role_name or r.pick(ROLES)
            sess = r.pick([s for s in SESSIONS if s != p.session])
            return ("AWS", f"arn:aws:sts::{acct}:assumed-role/{role}/{sess}")
        if kind == "service":
            return ("Service", r.pick([s for s in SERVICE_PRINCIPALS if s != p.service]))
        if kind == "federated":
            return ("Federated", r.pick(["cognito-identity.amazonaws.com",
                                         f"arn:aws:iam::{acct}:saml-provider/Okta"]))
        return ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be")

    def principal_element(self, principal, match, effect):
        """{"Principal": ...} or {"NotPrincipal": ...}."""
        r = self
        entries = []
        n = r.wpick([(70, 1), (22, 2), (8, 3)])
        for _ in range(n - 1):
            entries.append(self.principal_value(principal, False))
        entries.insert(r.randint(0, len(entries)), self.principal_value(principal, match))
        if any(t == "*" for t, _ in entries):
            if len(entries) == 1:
                return {"Principal": "*"}
            entries = [("AWS", "*") if t == "*" else (t, v) for t, v in entries]
        elem = {}
        for t, v in entries:
            if t in elem:
                if not isinstance(elem[t], list):
                    elem[t] = [elem[t]]
                if v not in elem[t]:
                    elem[t].append(v)
            else:
                elem[t] = v if r.p(0.6) else [v]
        return {"Principal": elem}

    def not_principal_element(self, principal, named):
        """NotPrincipal naming the request's principal (named=True: the statement does not apply to it)."""
        entries = [self.principal_value(principal, False)]
        if named:
            t, v = self.principal_value(principal, True)
            if t == "*":
                t, v = "AWS", f"arn:aws:iam::{principal.account or HOME}:root"
            entries.append((t, v))
        elem = {}
        for t, v in entries:
            elem.setdefault(t, [])
            if v not in elem[t]:
                elem[t].append(v)
        return {"NotPrincipal": elem}

    def resource_policy(self, kind, action, arn, principal, ctx):
        r = self
        sts = []
        for _ in range(r.wpick([(50, 1), (30, 2), (15, 3), (5, 4)])):
            effect = "Allow" if r.p(0.8) else "Deny"
            target = r.p(0.75 if effect == "Allow" else 0.4)
            # NotPrincipal: only with Deny ("Using it with Allow is not supported") and never in a role trust policy
            # (AWS: reference_policies_elements_notprincipal.html).
            if effect == "Deny" and kind != "trust" and r.p(0.15):
                self.feat("NotPrincipal")
                pe = self.not_principal_element(principal, r.p(0.5))
            else:
                pe = self.principal_element(principal, r.p(0.7), effect)
            sts.append(self.statement(kind, action, arn, principal, ctx, effect, target, principal_elem=pe))
        return self.policy(sts)

    def control_policies(self, kind, action, arn, principal, ctx):
        """SCP or RCP levels, root first, the account last."""
        r = self
        levels = []
        ids = [ORG_ROOT] + r.sample([OU_1, OU_2], r.randint(0, 1)) + ([principal.account or HOME] if r.p(0.5) else [])
        for org_id in ids:
            docs = []
            if kind == "scp":
                if r.p(0.85):
                    docs.append({"Version": "2012-10-17",
                                 "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
                    self.feat("scp:full-access")
                for _ in range(r.wpick([(40, 0), (45, 1), (15, 2)]) if docs else 1):
                    sts = []
                    for _ in range(r.wpick([(70, 1), (30, 2)])):
                        effect = "Deny" if (docs and r.p(0.6)) else "Allow"
                        sts.append(self.statement("scp", action, arn, principal, ctx, effect,
                                                  r.p(0.6 if effect == "Allow" else 0.3)))
                    docs.append(self.policy(sts))
            else:
                for _ in range(r.wpick([(20, 0), (65, 1), (15, 2)])):
                    sts = []
                    for _ in range(r.wpick([(70, 1), (30, 2)])):
                        st = self.statement("rcp", action, arn, principal, ctx, "Deny", r.p(0.35),
                                            principal_elem={"Principal": "*"})
                        sts.append(st)
                    doc = self.policy(sts, allow_2008=False)
                    doc["Version"] = "2012-10-17"
                    docs.append(doc)
            levels.append({"orgIdentifier": org_id, "policies": docs})
        return levels

    # -- the case ------------------------------------------------------------------------------------------------
    def case(self):
        r = self
        scenario = r.wpick([(45, "identity"), (30, "resource"), (17, "trust"), (8, "service")])
        if scenario == "trust":
            action = r.wpick([(80, "sts:AssumeRole"), (10, "sts:TagSession"), (10, "sts:SetSourceIdentity")])
        elif scenario in ("resource", "service"):
            action = r.pick([a for a in ACTIONS if BY_ACTION[a][4] and BY_ACTION[a][4] != "trust"])
        else:
            action = r.pick(ACTIONS)
        principal = self.gen_principal(scenario)
        _, family, _, _, respol = BY_ACTION[action]
        if principal.kind == "service":
            res_account = r.pick([HOME, OTHER])
        else:
            res_account = principal.account if r.p(0.68) else r.pick([a for a in (HOME, OTHER, THIRD)
                                                                         if a != principal.account])
        arn = self.gen_resource(family, principal, res_account)
        if arn is None:
            res_account = principal.account or HOME
        self.feat("scenario:" + scenario)
        same = principal.account == res_account
        self.feat("same-account" if same else "cross-account")
        ctx = self.gen_context(principal, action, arn, res_account)
        case = {"name": self.name}
        case["request"] = {"action": action,
                           "resource": {"resource": str(arn) if arn is not None else "*", "accountId": res_account},
                           "principal": principal.arn, "context": ctx}
        if principal.is_iam():
            case["identityPolicies"] = self.identity_policies(action, arn, principal, ctx)
        else:
            case["identityPolicies"] = []
        if respol and (scenario in ("resource", "trust", "service") or r.p(0.15)):
            if scenario != "trust" or r.p(0.95):
                kind = "trust" if respol == "trust" else "resource"
                case["resourcePolicy"] = self.resource_policy(kind, action, arn, principal, ctx)
                self.feat("resource-policy" if kind == "resource" else "trust-policy")
        if principal.kind in ("user", "role", "assumed-role") and r.p(0.22):
            case["permissionBoundaries"] = self.identity_policies(action, arn, principal, ctx, kind="boundary",
                                                                  allow_bias=0.85)
            self.feat("boundary")
        if principal.kind in ("role", "assumed-role", "federated-user") and r.p(0.22):
            case["sessionPolicy"] = self.identity_policies(action, arn, principal, ctx, kind="session",
                                                           allow_bias=0.85)[0]
            self.feat("session-policy")
        if principal.is_iam() and r.p(0.3):
            case["serviceControlPolicies"] = self.control_policies("scp", action, arn, principal, ctx)
            self.feat("scp")
        if action.split(":")[0] in RCP_SERVICES and r.p(0.25):
            case["resourceControlPolicies"] = self.control_policies("rcp", action, arn, principal, ctx)
            self.feat("rcp")
        self.sets_and_anonymous(case, scenario)
        case["features"] = sorted(self.features)
        return case

    # -- requests about sets, anonymous requests ---------------------------------------------------------------------
    def sets_and_anonymous(self, case, scenario):
        """Turns some cases into a wildcard-resource request (part of the ARN's name replaced by '*': "could some
        matching resource be allowed"), a wildcard-action request ("iam:Get*"), or an anonymous (unsigned) one."""
        r = self
        req = case["request"]
        res = req["resource"]["resource"]
        roll = r.randint(1, 100)
        if roll <= 8 and res != "*" and scenario != "trust" and not res.startswith("arn:aws:sts:"):
            head, sep, name = res.rpartition("/") if "/" in res.split(":", 5)[5] else res.rpartition(":")
            if name:
                cut = r.randint(0, len(name) - 1)
                name = r.pick([name[:cut] + "*", "*" + name[cut + 1:], name[:cut] + "*" + name[cut + 1:], "*"])
                req["resource"]["resource"] = head + sep + name
                self.feat("wildcard-resource")
        elif roll <= 12 and scenario != "trust":
            svc, _, name = req["action"].partition(":")
            cut = r.randint(1, max(1, len(name) - 1))
            req["action"] = svc + ":" + r.pick([name[:cut] + "*", "*" + name[cut:]])
            self.feat("wildcard-action")
        elif roll <= 17 and case.get("resourcePolicy") and scenario in ("resource",):
            req["principal"] = {"type": "Anonymous"}
            req.pop("principalId", None)
            req["context"] = {k: v for k, v in req.get("context", {}).items()
                              if not k.lower().startswith(("aws:principal", "aws:userid", "aws:username"))}
            case["identityPolicies"] = []
            for k in ("permissionBoundaries", "sessionPolicy", "serviceControlPolicies"):
                case.pop(k, None)
            if r.p(0.5):
                # a resource policy that opens the action to everyone, so that anonymous cases are also allowed
                stmt = {"Effect": "Allow", "Principal": r.pick(["*", {"AWS": "*"}]), "Action": req["action"],
                        "Resource": res}
                case["resourcePolicy"]["Statement"] = list(case["resourcePolicy"].get("Statement") if isinstance(
                    case["resourcePolicy"].get("Statement"), list) else [case["resourcePolicy"]["Statement"]]) + [stmt]
            self.feat("anonymous")


def generate(seed, n, start=0, known_gaps=True):
    for i in range(start, start + n):
        yield Gen(seed, i, known_gaps).case()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-n", type=int, default=1000, help="number of cases")
    ap.add_argument("--start", type=int, default=0, help="index of the first case")
    ap.add_argument("--only", type=int, help="generate case INDEX alone")
    ap.add_argument("--no-known-gaps", action="store_true",
                    help="leave out features where the oracle is known to be incomplete (gap:*)")
    ap.add_argument("--jsonl", action="store_true", help="one case per line instead of a JSON array")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    start, n = (a.only, 1) if a.only is not None else (a.start, a.n)
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    cases = generate(a.seed, n, start, not a.no_known_gaps)
    if a.jsonl:
        for c in cases:
            out.write(json.dumps(c, separators=(",", ":")) + "\n")
    else:
        out.write("[\n")
        for i, c in enumerate(cases):
            out.write((",\n" if i else "") + json.dumps(c, separators=(",", ":")))
        out.write("\n]\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
