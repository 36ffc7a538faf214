"""IAM quotas per account through boto3: AWS's defaults, LimitExceeded with AWS's messages, counted in the write
transaction of the create (concurrent creates at the edge let exactly one through), and raised with
`rolegate server --quota NAME=N` (values below AWS's default refused).

The groups quota is reached at its real default (300) through the API. The other account-wide quotas are checked at
raised limits: the server makes one entity of each kind, stops, and the test copies that row in its database until
the account is one short of the limit (thousands of API calls would prove nothing more), then restarts it."""
import sqlite3
import subprocess
import threading

import pytest
from botocore.exceptions import ClientError

import rg

TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
         '"Action":"sts:AssumeRole"}]}')
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}'


def refused(call, **kw):
    with pytest.raises(ClientError) as ei:
        call(**kw)
    return rg.err(ei)[:3]


def limit_exceeded(name, n):
    return ("LimitExceeded", f"Cannot exceed quota for {name}: {n}", 409)


@pytest.mark.sqlite_only('writes DATA/rolegate.db with sqlite3')
def test_groups_quota_at_aws_default(fresh_server):
    iam = rg.client(fresh_server, "iam")
    assert iam.get_account_summary()["SummaryMap"]["GroupsQuota"] == 300
    for i in range(299):
        iam.create_group(GroupName=f"g{i}")
    # eight concurrent creates for the last place: exactly one gets it
    results = []

    def create(i):
        try:
            rg.client(fresh_server, "iam").create_group(GroupName=f"last{i}")
            results.append("ok")
        except ClientError as e:
            results.append((e.response["Error"]["Code"], e.response["Error"]["Message"]))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted(
        ["ok"] + [("LimitExceeded", "Cannot exceed quota for GroupsPerAccount: 300")] * 7, key=str), results
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Groups"], summary["GroupsQuota"]) == (300, 300)
    assert refused(iam.create_group, GroupName="one-more") == limit_exceeded("GroupsPerAccount", 300)
    assert "one-more" not in [g["GroupName"] for g in iam.list_groups(MaxItems=1000)["Groups"]]
    # a name already taken is still EntityAlreadyExists, and a deleted group frees its place
    assert refused(iam.create_group, GroupName="g0")[0] == "EntityAlreadyExists"
    iam.delete_group(GroupName="g0")
    iam.create_group(GroupName="one-more")


def fill(db, table, key, template, n, also=()):
    """Copies the row of `table` whose `key` is `template` n times with new ids and names (and `also` columns)."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    row = dict(con.execute(f"SELECT * FROM {table} WHERE {key} = ?", (template,)).fetchone())
    rows = []
    for i in range(n):
        r = dict(row, **{key: f"{template}-fill{i}"})
        for col in ("name", "name_lc") + tuple(also):
            if col in r:
                r[col] = f"{r[col]}-fill{i}"
        rows.append(r)
    cols = list(row)
    con.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                    [tuple(r[c] for c in cols) for r in rows])
    con.commit()
    con.close()


@pytest.mark.sqlite_only('writes DATA/rolegate.db with sqlite3')
def test_raised_quotas_are_honoured(server_factory):
    limits = {"users": 5002, "roles": 1003, "policies": 1504, "instance-profiles": 1005, "groups": 306,
              "policies-per-user": 11, "policies-per-group": 12, "policies-per-role": 13}
    args = [a for k, v in limits.items() for a in ("--quota", f"{k}={v}")]
    srv = server_factory.start(args=args)
    iam = rg.client(srv, "iam")
    summary = iam.get_account_summary()["SummaryMap"]
    assert {k: summary[k] for k in ("UsersQuota", "RolesQuota", "PoliciesQuota", "InstanceProfilesQuota",
                                    "GroupsQuota", "AttachedPoliciesPerUserQuota",
                                    "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota")} == {
        "UsersQuota": 5002, "RolesQuota": 1003, "PoliciesQuota": 1504, "InstanceProfilesQuota": 1005,
        "GroupsQuota": 306, "AttachedPoliciesPerUserQuota": 11, "AttachedPoliciesPerGroupQuota": 12,
        "AttachedPoliciesPerRoleQuota": 13}
    assert summary["AccessKeysPerUserQuota"] == 2  # AWS's fixed quotas stay
    # one of each, then copies up to one short of the limit
    user = iam.create_user(UserName="tu")["User"]["UserId"]
    role = iam.create_role(RoleName="tr", AssumeRolePolicyDocument=TRUST)["Role"]["RoleId"]
    pol = iam.create_policy(PolicyName="tp", PolicyDocument=POLICY)["Policy"]["PolicyId"]
    prof = iam.create_instance_profile(InstanceProfileName="ti")["InstanceProfile"]["InstanceProfileId"]
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="tm")["VirtualMFADevice"]["SerialNumber"]
    grp = iam.create_group(GroupName="tg")["Group"]["GroupId"]
    att = [iam.create_policy(PolicyName=f"a{i}", PolicyDocument=POLICY)["Policy"]["Arn"] for i in range(14)]
    srv.stop_ok()
    db = srv.data_dir / "rolegate.db"
    fill(db, "users", "user_id", user, 5002 - 2)  # one place left; the role session below makes none
    fill(db, "roles", "role_id", role, 1003 - 2)
    fill(db, "managed_policies", "policy_id", pol, 1504 - 2 - len(att), also=("arn",))
    fill(db, "instance_profiles", "profile_id", prof, 1005 - 2)
    fill(db, "mfa_devices", "serial", serial, 5002 - 2)  # virtual MFA devices: as many as the users quota
    fill(db, "groups", "group_id", grp, 306 - 2)
    srv.start()
    iam = rg.client(srv, "iam")
    iam.create_user(UserName="last")
    assert refused(iam.create_user, UserName="over") == limit_exceeded("UsersPerAccount", 5002)
    iam.create_role(RoleName="last", AssumeRolePolicyDocument=TRUST)
    assert refused(iam.create_role, RoleName="over", AssumeRolePolicyDocument=TRUST) == \
        limit_exceeded("RolesPerAccount", 1003)
    iam.create_policy(PolicyName="last", PolicyDocument=POLICY)
    assert refused(iam.create_policy, PolicyName="over", PolicyDocument=POLICY) == \
        limit_exceeded("PoliciesPerAccount", 1504)
    iam.create_instance_profile(InstanceProfileName="last")
    assert refused(iam.create_instance_profile, InstanceProfileName="over") == \
        limit_exceeded("InstanceProfilesPerAccount", 1005)
    iam.create_virtual_mfa_device(VirtualMFADeviceName="last")
    assert refused(iam.create_virtual_mfa_device, VirtualMFADeviceName="over") == \
        limit_exceeded("VirtualMFADevicesPerAccount", 5002)
    iam.create_group(GroupName="last")
    assert refused(iam.create_group, GroupName="over") == limit_exceeded("GroupsPerAccount", 306)
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["Roles"], summary["Policies"], summary["InstanceProfiles"],
            summary["Groups"]) == (5002, 1003, 1504, 1005, 306)
    # managed policies per user, group and role at their raised limits
    for kind, name, n, quota in (("user", "tu", 11, "PoliciesPerUser"), ("group", "tg", 12, "PoliciesPerGroup"),
                                 ("role", "tr", 13, "PoliciesPerRole")):
        attach = getattr(iam, f"attach_{kind}_policy")
        key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
        for arn in att[:n]:
            attach(**{key: name, "PolicyArn": arn})
        assert refused(attach, **{key: name, "PolicyArn": att[n]}) == limit_exceeded(quota, n)


def test_quota_option_refuses_lowering_and_unknown_names(tmp_path):
    def run(*args):
        return subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"),
                               *args], capture_output=True, text=True, timeout=30)

    for args, says in ((("--quota", "groups=299"), "below AWS's default (300)"),
                       (("--quota", "roles=1000x"), "not a number"),
                       (("--quota", "groups=-1"), "not a number"),
                       (("--quota", "widgets=5"), "users groups roles policies instance-profiles"),
                       (("--quota=users",), "is not NAME=N")):
        r = run(*args)
        assert r.returncode != 0 and says in r.stderr, (args, r.returncode, r.stderr)
    assert not (tmp_path / "d").exists()  # refused before anything was made
    h = subprocess.run([str(rg.BIN), "server", "--help"], capture_output=True, text=True, timeout=30)
    assert h.returncode == 0 and "--quota NAME=N" in h.stdout and "groups=300" in h.stdout and \
        "policies-per-role=10" in h.stdout
