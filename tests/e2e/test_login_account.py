"""Login profiles, the account password policy, account aliases and GetAccountSummary through boto3 and the aws CLI:
AWS's default password policy and a custom one enforced on CreateLoginProfile and UpdateLoginProfile with AWS's
PasswordPolicyViolation wording; passwords stored only as salted PBKDF2 hashes and never logged or audited;
UpdateAccountPasswordPolicy replacing the whole policy with AWS's defaults; one alias per account, unique among
accounts; every SummaryMap key, with counts that follow what is created.
"""
import json
import sqlite3
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import rg

SUMMARY_KEYS = {
    "Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates", "ServerCertificatesQuota",
    "UserPolicySizeQuota", "GroupPolicySizeQuota", "GroupsPerUserQuota", "SigningCertificatesPerUserQuota",
    "AccessKeysPerUserQuota", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
    "AccountPasswordPresent", "AccountSigningCertificatesPresent", "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota", "PolicySizeQuota",
    "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota", "GlobalEndpointTokenVersion",
    "AssumeRolePolicySizeQuota", "InstanceProfiles", "InstanceProfilesQuota", "Providers", "RolePolicySizeQuota",
    "Roles", "RolesQuota",
}


def password(p):
    """A password used in a test: no log may ever contain it."""
    rg.SEEN_SECRETS.add(p)
    return p


def violation(ei):
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("PasswordPolicyViolation", 400)
    return msg


# ---- login profiles and the default password policy ------------------------------------------------------------

def test_login_profile_lifecycle(iam):
    user = rg.unique("lp")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as ei:
        iam.get_login_profile(UserName=user)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"Login Profile for User {user} cannot be found.", 404)

    p = iam.create_login_profile(UserName=user, Password=password("Correct-Horse-9"),
                                 PasswordResetRequired=True)["LoginProfile"]
    assert p["UserName"] == user and p["PasswordResetRequired"] is True
    got = iam.get_login_profile(UserName=user)["LoginProfile"]
    assert got == p
    assert "Password" not in got

    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("Another-Pass-1"))
    assert rg.err(ei)[:3] == ("EntityAlreadyExists", f"Login Profile for user {user} already exists.", 409)

    iam.update_login_profile(UserName=user, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName=user, Password=password("Battery-Staple-7"))
    # a password change alone leaves the flag
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName=user, Password=password("Battery-Staple-8"), PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is True

    iam.delete_login_profile(UserName=user)
    for call in (lambda: iam.get_login_profile(UserName=user), lambda: iam.delete_login_profile(UserName=user),
                 lambda: iam.update_login_profile(UserName=user, PasswordResetRequired=True)):
        with pytest.raises(ClientError) as ei:
            call()
        assert rg.err(ei)[:2] == ("NoSuchEntity", f"Login Profile for User {user} cannot be found.")


def test_change_password(server_factory):
    """iam:ChangePassword through boto3: a user changes its own password (authorized on itself, or by the password
    policy's AllowUsersToChangePassword; the old one checked, the new one held to the policy, PasswordResetRequired
    cleared); the root user cannot (InvalidUserType)."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user = rg.unique("cp")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    rg.SEEN_SECRETS.add(key["SecretAccessKey"])
    mine = rg.client(srv, "iam", creds=(key["AccessKeyId"], key["SecretAccessKey"]))
    old, new = password("Old-Passw0rd-1"), password("New-Passw0rd-2")

    # without a permission on its own user: refused by the policy engine
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=old, NewPassword=new)
    assert rg.err(ei)[0] == "AccessDenied" and f"iam:ChangePassword on resource: arn:aws:iam::{srv.account}:user/{user}" \
        in rg.err(ei)[1]
    # the password policy's AllowUsersToChangePassword grants it (past the permission check: no login profile yet)
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=old, NewPassword=new)
    assert rg.err(ei)[0] == "NoSuchEntity"
    # an explicit deny still wins over it
    iam.put_user_policy(UserName=user, PolicyName="no-password", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}]}))
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=old, NewPassword=new)
    assert rg.err(ei)[0] == "AccessDenied" and "explicit deny" in rg.err(ei)[1]
    iam.delete_user_policy(UserName=user, PolicyName="no-password")
    iam.delete_account_password_policy()
    iam.put_user_policy(UserName=user, PolicyName="own-password", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword",
                                                "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    # no login profile yet
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=old, NewPassword=new)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"Login Profile for User {user} cannot be found.", 404)

    iam.create_login_profile(UserName=user, Password=old, PasswordResetRequired=True)
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=password("Not-The-Old-1"), NewPassword=new)
    assert rg.err(ei)[0] == "AccessDenied"
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=old, NewPassword="x")
    assert "minimum length" in violation(ei)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is True

    mine.change_password(OldPassword=old, NewPassword=new)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    # the old password is gone: changing from it again fails, from the new one works
    with pytest.raises(ClientError) as ei:
        mine.change_password(OldPassword=old, NewPassword=password("Third-Passw0rd-3"))
    assert rg.err(ei)[0] == "AccessDenied"
    mine.change_password(OldPassword=new, NewPassword=password("Third-Passw0rd-3"))

    # the root user has no IAM password
    with pytest.raises(ClientError) as ei:
        iam.change_password(OldPassword=old, NewPassword=new)
    assert rg.err(ei)[:3] == ("InvalidUserType",
                              "The request was rejected because the type of user for the transaction was incorrect.",
                              400)


def test_login_profile_missing_user(iam):
    for call in (lambda: iam.create_login_profile(UserName="nobody-lp", Password=password("Xy1!xy1!xy")),
                 lambda: iam.get_login_profile(UserName="nobody-lp"),
                 lambda: iam.delete_login_profile(UserName="nobody-lp")):
        with pytest.raises(ClientError) as ei:
            call()
        assert rg.err(ei)[:3] == ("NoSuchEntity", "The user with name nobody-lp cannot be found.", 404)
    # the root has no login profile to name: UserName is needed
    with pytest.raises(ClientError) as ei:
        iam.get_login_profile()
    assert rg.err(ei)[:2] == ("ValidationError", "Must specify userName when calling with non-User credentials")


def test_default_password_policy(server_factory):
    """Without a custom policy, AWS's default: 8 characters, three of the four kinds."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user = rg.unique("dflt")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("Ab1!"))
    assert violation(ei) == "Password should have a minimum length of 8"
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("abcdefgh1"))
    assert violation(ei) == ("Password should meet 1 more of the following requirements: Password should have at "
                             "least one uppercase letter, Password should have at least one symbol")
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("abcdefghij"))
    assert violation(ei).startswith("Password should meet 2 more of the following requirements: ")
    # nothing was created by the refusals
    with pytest.raises(ClientError) as ei:
        iam.get_login_profile(UserName=user)
    assert rg.err(ei)[0] == "NoSuchEntity"
    # three kinds are enough, a symbol is not needed
    iam.create_login_profile(UserName=user, Password=password("Abcdefg1"))
    # Latin-1 characters count as characters, not bytes
    iam.update_login_profile(UserName=user, Password=password("Ab1éééé!"))


def test_password_policy(server_factory, tmp_path):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    with pytest.raises(ClientError) as ei:
        iam.get_account_password_policy()
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"The Password Policy with domain name {srv.account} cannot be found.",
                              404)
    with pytest.raises(ClientError) as ei:
        iam.delete_account_password_policy()
    assert rg.err(ei)[:3] == ("NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.", 404)

    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=5, HardExpiry=False)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True, "AllowUsersToChangePassword": True,
        "ExpirePasswords": True, "MaxPasswordAge": 90, "PasswordReusePrevention": 5, "HardExpiry": False}

    user = rg.unique("strict")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("Abcdefg1!"))
    assert violation(ei) == "Password should have a minimum length of 12"
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("abcdefghijkl"))
    assert violation(ei) == ("Password should have at least one uppercase letter, Password should have at least one "
                             "number, Password should have at least one symbol")
    # every one of AWS's symbols counts: with one, only the missing uppercase letter is reported
    for symbol in "!@#$%^&*()_+-=[]{}|'":
        with pytest.raises(ClientError) as ei:
            iam.create_login_profile(UserName=user, Password=password(f"abcdefghij1{symbol}"))
        assert violation(ei) == "Password should have at least one uppercase letter", symbol
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName=user, Password=password("Abcdefghij1~"))  # '~' is not one of AWS's symbols
    assert violation(ei) == "Password should have at least one symbol"
    iam.create_login_profile(UserName=user, Password=password("Abcdefghij1!"))
    with pytest.raises(ClientError) as ei:
        iam.update_login_profile(UserName=user, Password=password("short1!A"))
    assert violation(ei) == "Password should have a minimum length of 12"

    # an update replaces the whole policy: what is left out takes AWS's defaults
    iam.update_account_password_policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False, "HardExpiry": False}
    iam.update_login_profile(UserName=user, Password=password("abcde1"))  # 6 characters and a number: enough now
    with pytest.raises(ClientError) as ei:
        iam.update_login_profile(UserName=user, Password=password("abcdef"))
    assert violation(ei) == "Password should have at least one number"

    # the model's bounds (botocore checks them itself: raw requests get the server's answer), nothing changed
    for kw in ({"MinimumPasswordLength": 5}, {"MinimumPasswordLength": 129}, {"MaxPasswordAge": 1096},
               {"PasswordReusePrevention": 25}, {"MaxPasswordAge": 0}):
        r = rg.signed(srv, rg.iam_form("UpdateAccountPasswordPolicy", **kw))
        assert (r.status, r.error()["code"]) == (400, "ValidationError"), kw
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 6

    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as ei:
        iam.get_account_password_policy()
    assert rg.err(ei)[0] == "NoSuchEntity"
    # back to AWS's default policy
    with pytest.raises(ClientError) as ei:
        iam.update_login_profile(UserName=user, Password=password("abcde1"))
    assert violation(ei) == "Password should have a minimum length of 8"

    # the aws CLI
    cli = lambda *a: rg.aws_cli(srv, *a)  # noqa: E731
    assert cli("iam", "update-account-password-policy", "--minimum-password-length", "10",
               "--require-symbols")[0] == 0
    got = rg.cli_json(cli("iam", "get-account-password-policy"))["PasswordPolicy"]
    assert (got["MinimumPasswordLength"], got["RequireSymbols"], got["RequireNumbers"]) == (10, True, False)
    code, op, msg = rg.cli_error(cli("iam", "update-login-profile", "--user-name", user, "--password",
                                     password("abcdefghij")))
    assert (code, op, msg) == ("PasswordPolicyViolation", "UpdateLoginProfile",
                               "Password should have at least one symbol")
    assert cli("iam", "delete-account-password-policy")[0] == 0


@pytest.mark.sqlite_only('reads DATA/rolegate.db with sqlite3')
def test_password_never_stored_logged_or_audited(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user = rg.unique("hash")
    iam.create_user(UserName=user)
    secret = password("Sup3r-Secret-Pa55")
    iam.create_login_profile(UserName=user, Password=secret)
    secret2 = password("An0ther-Secret!")
    iam.update_login_profile(UserName=user, Password=secret2)
    refused = password("weakpass")
    with pytest.raises(ClientError):
        iam.update_login_profile(UserName=user, Password=refused)
    assert srv.stop() == 0
    db = sqlite3.connect(f"file:{Path(srv.data_dir) / 'rolegate.db'}?mode=ro", uri=True)
    try:
        (stored,) = db.execute("SELECT password_hash FROM login_profiles").fetchone()
        audit = db.execute("SELECT action, outcome, coalesce(detail, '') FROM audit").fetchall()
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    scheme, iterations, salt, digest = stored.split("$")
    assert (scheme, iterations) == ("pbkdf2-sha256", "600000")
    assert len(salt) == 24 and len(digest) == 44
    for p in (secret, secret2, refused):
        assert p not in dump
        assert p not in srv.all_logs()
    audited = {(a, o) for a, o, _ in audit}
    assert ("iam:CreateLoginProfile", "Success") in audited
    assert ("iam:UpdateLoginProfile", "Success") in audited
    assert ("iam:UpdateLoginProfile", "PasswordPolicyViolation") in audited
    assert all('"Password":"***"' in d for a, _, d in audit if a in ("iam:CreateLoginProfile",
                                                                     "iam:UpdateLoginProfile"))


# ---- account aliases -------------------------------------------------------------------------------------------

@pytest.mark.sqlite_only('writes DATA/rolegate.db with sqlite3')
def test_account_alias(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    r = iam.list_account_aliases()
    assert r["AccountAliases"] == [] and r["IsTruncated"] is False
    alias = rg.unique("ops").lower()
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    iam.create_account_alias(AccountAlias=alias)  # already this account's: nothing changes
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    # one alias per account: a new one replaces the old
    alias2 = rg.unique("ops2").lower()
    iam.create_account_alias(AccountAlias=alias2)
    assert iam.list_account_aliases()["AccountAliases"] == [alias2]
    with pytest.raises(ClientError) as ei:
        iam.delete_account_alias(AccountAlias=alias)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"The account alias {alias} cannot be found.", 404)
    # AWS's pattern: lower case, digits, single hyphens inside
    for bad in ("Ops", "-ops", "ops-", "o--ps", "ab", "a" * 64, "ops_1"):
        r = rg.signed(srv, rg.iam_form("CreateAccountAlias", AccountAlias=bad))
        assert (r.status, r.error()["code"]) == (400, "ValidationError"), bad
    assert iam.list_account_aliases()["AccountAliases"] == [alias2]

    # aliases are unique among every account the server holds: another account's alias is taken
    other = "999988887777"
    db = sqlite3.connect(str(Path(srv.data_dir) / "rolegate.db"), timeout=30)
    try:
        with db:
            db.execute("INSERT INTO accounts(account_id, name, created_ms) VALUES (?, 'other', 0)", (other,))
            db.execute("INSERT INTO account_aliases(account_id, alias) VALUES (?, 'taken-alias')", (other,))
    finally:
        db.close()
    with pytest.raises(ClientError) as ei:
        iam.create_account_alias(AccountAlias="taken-alias")
    assert rg.err(ei)[:3] == ("EntityAlreadyExists", "The account alias taken-alias already exists.", 409)
    assert iam.list_account_aliases()["AccountAliases"] == [alias2]

    cli = lambda *a: rg.aws_cli(srv, *a)  # noqa: E731
    assert rg.cli_json(cli("iam", "list-account-aliases"))["AccountAliases"] == [alias2]
    assert cli("iam", "delete-account-alias", "--account-alias", alias2)[0] == 0
    assert rg.cli_json(cli("iam", "list-account-aliases"))["AccountAliases"] == []
    code, _, msg = rg.cli_error(cli("iam", "delete-account-alias", "--account-alias", alias2))
    assert (code, msg) == ("NoSuchEntity", f"The account alias {alias2} cannot be found.")


def test_alias_in_the_mfa_qr_label(server_factory):
    """CreateVirtualMFADevice still works (and labels its QR code) once the account has an alias."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    iam.create_account_alias(AccountAlias="labelled-acct")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="labelled")["VirtualMFADevice"]
    rg.SEEN_SECRETS.add(d["Base32StringSeed"].decode())
    assert d["QRCodePNG"][:8] == b"\x89PNG\r\n\x1a\n"


# ---- GetAccountSummary -----------------------------------------------------------------------------------------

def test_account_summary(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    s0 = iam.get_account_summary()["SummaryMap"]
    assert set(s0) == SUMMARY_KEYS
    assert all(isinstance(v, int) for v in s0.values())
    assert (s0["Users"], s0["Groups"], s0["Roles"], s0["Policies"], s0["MFADevices"], s0["MFADevicesInUse"]) == (
        0, 0, 0, 0, 0, 0)
    assert (s0["AccessKeysPerUserQuota"], s0["UsersQuota"], s0["VersionsPerPolicyQuota"]) == (2, 5000, 5)
    assert s0["AccountAccessKeysPresent"] == 1  # the root's key signs these calls
    assert s0["AccountMFAEnabled"] == 0

    names = [rg.unique("sum") for _ in range(3)]
    for n in names:
        iam.create_user(UserName=n)
    rg.make_user(iam, keys=2)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="summed")["VirtualMFADevice"]
    rg.SEEN_SECRETS.add(d["Base32StringSeed"].decode())
    s1 = iam.get_account_summary()["SummaryMap"]
    assert s1["Users"] == 4 and s1["MFADevices"] == 1 and s1["MFADevicesInUse"] == 0
    iam.delete_user(UserName=names[0])
    s2 = iam.get_account_summary()["SummaryMap"]
    assert s2["Users"] == 3
    # everything that is not a count stays as it was
    assert {k: v for k, v in s2.items() if k.endswith("Quota")} == {k: v for k, v in s0.items() if k.endswith("Quota")}

    out = rg.cli_json(rg.aws_cli(srv, "iam", "get-account-summary"))["SummaryMap"]
    assert out == s2
