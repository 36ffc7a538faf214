"""sts:AssumeRoleWithWebIdentity (issue 17): a test OIDC issuer on loopback (tests/e2e/oidckit.py: HTTPS with a
CA the test makes, pinned by its thumbprint) issues GitHub-Actions-shaped tokens; a role trusts it for one
repository. boto3 and the aws CLI get credentials (unsigned calls, as on AWS); every bad token is refused with
AWS's code, message and status."""
import json
import os
import re
import subprocess
import time

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

import oidckit
import rg

# AWS's own words, as people pasted them from real STS answers:
# https://github.com/sentry-kubernetes/charts/issues/514
NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
# https://github.com/aws/aws-cli/issues/7194 (two spaces after the comma, as AWS writes it)
NO_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
          "AssumeRoleWithWebIdentity documentation for requirements")


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    iss = oidckit.Issuer(tmp_path_factory.mktemp("oidc"))
    yield iss
    iss.stop()


@pytest.fixture(scope="module")
def fed(server, issuer):
    """The provider of the issuer and a role that trusts it for acme/infra (any ref), allowed to read IAM."""
    iam = rg.client(server, "iam")
    account = rg.client(server, "sts").get_caller_identity()["Account"]
    arn = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=[issuer.thumbprint])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{account}:oidc-provider/{issuer.host_path}"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer.host_path}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{issuer.host_path}:sub": "repo:acme/infra:*"}}}]}
    role = iam.create_role(RoleName=rg.unique("gha"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    return {"provider": arn, "role": role, "account": account, "iam": iam}


def unsigned_sts(server):
    return rg.client(server, "sts", signature_version=UNSIGNED)


def assume(server, fed, token, session="gha-run", **kw):
    return unsigned_sts(server).assume_role_with_web_identity(RoleArn=fed["role"]["Arn"], RoleSessionName=session,
                                                              WebIdentityToken=token, **kw)


def refused(server, fed, token, **kw):
    with pytest.raises(ClientError) as e:
        assume(server, fed, token, **kw)
    return rg.err(e)[:3]


def test_boto3_gets_credentials_that_work(server, issuer, fed):
    r = assume(server, fed, issuer.token(), session="run-42", DurationSeconds=900)
    assert r["SubjectFromWebIdentityToken"] == "repo:acme/infra:ref:refs/heads/main"
    assert r["Audience"] == "sts.amazonaws.com"
    assert r["Provider"] == fed["provider"]
    role = fed["role"]
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{fed['account']}:assumed-role/{role['RoleName']}/run-42"
    assert r["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:run-42"
    c = r["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    left = c["Expiration"].timestamp() - time.time()
    assert 800 < left <= 905
    creds = (c["AccessKeyId"], c["SecretAccessKey"])
    who = rg.client(server, "sts", creds=creds, token=c["SessionToken"]).get_caller_identity()
    assert who["Arn"] == r["AssumedRoleUser"]["Arn"]
    # the role's policies apply: IAM reads yes, writes no
    role_iam = rg.client(server, "iam", creds=creds, token=c["SessionToken"])
    role_iam.get_role(RoleName=role["RoleName"])
    with pytest.raises(ClientError) as e:
        role_iam.create_user(UserName=rg.unique("no"))
    assert rg.err(e)[0] == "AccessDenied"


def test_es256_token(server, issuer, fed):
    r = assume(server, fed, issuer.token(key=issuer.ec))
    assert r["SubjectFromWebIdentityToken"] == "repo:acme/infra:ref:refs/heads/main"


def test_aws_cli(server, issuer, fed):
    env = rg.cli_env(os.devnull, os.devnull)
    env["AWS_DEFAULT_REGION"] = rg.REGION
    p = subprocess.run([rg.aws_binary(), "--endpoint-url", server.url, "sts", "assume-role-with-web-identity",
                        "--role-arn", fed["role"]["Arn"], "--role-session-name", "cli",
                        "--web-identity-token", issuer.token(), "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{fed['role']['RoleName']}/cli")
    assert out["Provider"] == fed["provider"]
    # and a refusal, in the CLI's words
    p = subprocess.run([rg.aws_binary(), "--endpoint-url", server.url, "sts", "assume-role-with-web-identity",
                        "--role-arn", fed["role"]["Arn"], "--role-session-name", "cli",
                        "--web-identity-token", issuer.token(sub="repo:evil/infra:ref:refs/heads/main")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert rg.cli_error((p.returncode, p.stdout, p.stderr)) == ("AccessDenied", "AssumeRoleWithWebIdentity",
                                                                  NOT_AUTHORIZED)


def test_another_repository_is_refused(server, issuer, fed):
    assert refused(server, fed, issuer.token(sub="repo:acme/website:ref:refs/heads/main",
                                             repository="acme/website")) == ("AccessDenied", NOT_AUTHORIZED, 403)


def test_expired_token(server, issuer, fed):
    now = int(time.time())
    code, msg, status = refused(server, fed, issuer.token(iat=now - 900, nbf=now - 900, exp=now - 60))
    assert (code, status) == ("ExpiredTokenException", 400)
    # https://github.com/aws/aws-sdk-java-v2/issues/5709: "Token expired: current date/time 1731098245 must be
    # before the expiration date/time 1731095240" (in 2021 AWS wrote no space before the second number)
    assert re.fullmatch(rf"Token expired: current date/time \d+ must be before the expiration date/time {now - 60}",
                        msg), msg


def test_wrong_audience(server, issuer, fed):
    # https://github.com/awslabs/amazon-eks-irsa-cfn/pull/18
    assert refused(server, fed, issuer.token(aud="https://github.com/acme")) == (
        "InvalidIdentityToken", "Incorrect token audience", 400)


def test_missing_audience_and_subject(server, issuer, fed):
    # https://github.com/aws/aws-sdk-ruby/issues/2698 (InvalidIdentityToken "Missing a required claim: aud")
    assert refused(server, fed, issuer.token(aud=None)) == (
        "InvalidIdentityToken", "Missing a required claim: aud", 400)
    # https://github.com/aws-actions/configure-aws-credentials/issues/502 (the message; its code is not shown there)
    assert refused(server, fed, issuer.token(sub=None)) == ("IDPRejectedClaim", "Missing a required claim: sub", 403)


def test_signed_by_another_key(server, issuer, fed, tmp_path):
    other = oidckit.Key(tmp_path, "other", "RSA", kid="rsa-1")  # the issuer's kid, another key
    code, msg, status = refused(server, fed, issuer.token(key=other))
    assert (code, status) == ("InvalidIdentityToken", 400)
    stranger = oidckit.Key(tmp_path, "stranger", "RSA", kid="not-published")
    assert refused(server, fed, issuer.token(key=stranger)) == ("InvalidIdentityToken", NO_KEY, 400)


def test_alg_none_and_hmac_refused(server, issuer, fed):
    claims = issuer.claims()
    none = oidckit.jwt({"alg": "none", "typ": "JWT"}, claims)
    assert refused(server, fed, none)[::2] == ("InvalidIdentityToken", 400)
    # the classic confusion: HS256 keyed with the issuer's public key, which anyone can fetch
    import hashlib
    import hmac
    pem = issuer.rsa.public_pem()
    hs = oidckit.jwt({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims,
                     lambda data: hmac.new(pem, data, hashlib.sha256).digest())
    assert refused(server, fed, hs)[::2] == ("InvalidIdentityToken", 400)
    # a token cut or garbled
    assert refused(server, fed, "not-a-jwt")[::2] == ("InvalidIdentityToken", 400)


def test_unregistered_issuer(server, issuer, fed):
    iss = "https://token.example.org/unregistered"
    # https://github.com/treeverse/dvc.org/pull/5273
    assert refused(server, fed, issuer.token(iss=iss)) == (
        "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {iss}", 400)


def test_not_yet_valid(server, issuer, fed):
    now = int(time.time())
    assert refused(server, fed, issuer.token(nbf=now + 3600, iat=now, exp=now + 7200))[::2] == (
        "InvalidIdentityToken", 400)


def test_thumbprint_mismatch_and_unreachable_issuer(server, issuer, fed, tmp_path):
    iam = fed["iam"]
    other = oidckit.Issuer(tmp_path, name="other")
    try:
        arn = iam.create_open_id_connect_provider(Url=other.url, ClientIDList=["sts.amazonaws.com"],
                                                  ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn},
                                                         "Action": "sts:AssumeRoleWithWebIdentity"}]}
        role = iam.create_role(RoleName=rg.unique("pin"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        sts = unsigned_sts(server)
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="ss",
                                              WebIdentityToken=other.token())
        # https://github.com/aws-actions/configure-aws-credentials/issues/762
        assert rg.err(e)[:3] == ("InvalidIdentityToken",
                                 "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint", 400)
        assert other.requests["jwks"] == 0  # nothing was taken from it
        # with its CA's thumbprint it is trusted
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                       ThumbprintList=[other.thumbprint])
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="ss", WebIdentityToken=other.token())
        # stopped: the keys are cached, so it still works; a new key id cannot be fetched
        other.stop()
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="ss", WebIdentityToken=other.token())
    finally:
        other.stop() if other.thread.is_alive() else None
    gone = oidckit.Issuer(tmp_path, name="gone")
    gone.stop()  # nothing listens on its port any more
    arn = iam.create_open_id_connect_provider(Url=gone.url, ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=[gone.thumbprint])["OpenIDConnectProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn},
                                                     "Action": "sts:AssumeRoleWithWebIdentity"}]}
    role = iam.create_role(RoleName=rg.unique("gone"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    with pytest.raises(ClientError) as e:
        unsigned_sts(server).assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="ss",
                                                           WebIdentityToken=gone.token())
    assert rg.err(e)[::2] == ("IDPCommunicationError", 400)


def test_unknown_kids_fetch_once(server, issuer, fed, tmp_path):
    """Tokens naming key ids the cache lacks make the server fetch the keys again, at most once per 10 s."""
    assume(server, fed, issuer.token())  # cached
    before = issuer.requests["jwks"]
    stranger = oidckit.Key(tmp_path, "s", "RSA")
    for i in range(8):
        assert refused(server, fed, issuer.token(key=stranger, kid=f"made-up-{i}"))[0] == "InvalidIdentityToken"
    assert issuer.requests["jwks"] - before <= 1
    # a rotated key (published after the cache was filled) is found
    rotated = oidckit.Key(tmp_path, "rotated", "RSA", kid="rsa-2")
    issuer.keys.append(rotated)
    time.sleep(10.5)
    assume(server, fed, issuer.token(key=rotated))


def test_trust_policy_keys_and_audit(server, issuer, fed):
    """A trust policy on the token's claims (the GitHub claims AWS lists are keys only for GitHub's issuer), and
    aws:FederatedProvider; every call is in the audit trail, refusals included."""
    iam = fed["iam"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": fed["provider"]}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"aws:FederatedProvider": fed["provider"],
                                       f"{issuer.host_path}:sub": "repo:acme/infra:ref:refs/heads/main"}}}]}
    role = iam.create_role(RoleName=rg.unique("keys"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    sts = unsigned_sts(server)
    sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="audited", WebIdentityToken=issuer.token())
    with pytest.raises(ClientError):
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="audited",
                                          WebIdentityToken=issuer.token(sub="repo:acme/infra:ref:refs/heads/dev"))
    ct = rg.client(server, "cloudtrail")
    deadline = time.time() + 10
    while True:
        events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                     "AttributeValue": "AssumeRoleWithWebIdentity"}])["Events"]
        mine = [json.loads(e["CloudTrailEvent"]) for e in events if role["RoleName"] in e["CloudTrailEvent"]]
        if len(mine) >= 2 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert len(mine) == 2, mine
    assert {e.get("errorCode") for e in mine} == {None, "AccessDenied"}
    assert all("WebIdentityToken" not in json.dumps(e) or "***" in json.dumps(e) for e in mine)
    assert issuer.token().split(".")[0] not in json.dumps(mine)


# ---- the broker: profiles with web_identity_token_file ----------------------------------------------------------

def broker_env(tmp_path, config):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "config").write_text(config)
    env = rg.cli_env(str(home / ".aws" / "config"), str(home / ".aws" / "credentials"))
    env.update(HOME=str(home), ROLEGATE_NO_KEYRING="1", XDG_CACHE_HOME=str(home / ".cache"))
    return env


def test_broker_web_identity_profiles(server, issuer, fed, tmp_path):
    """`rolegate exec` and `credential-process` with a web_identity_token_file + role_arn profile, as botocore's
    AssumeRoleWithWebIdentityProvider: the token read from the file at each call; such a profile as the source of
    another role's profile; a refusal in STS's words."""
    iam = fed["iam"]
    target = iam.create_role(RoleName=rg.unique("chained"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": fed["role"]["Arn"]}}]}))["Role"]
    iam.put_role_policy(RoleName=fed["role"]["RoleName"], PolicyName="chain", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": target["Arn"]}]}))
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token(exp=int(time.time()) + 3600))
    env = broker_env(tmp_path, f"""[profile ci]
role_arn = {fed['role']['Arn']}
web_identity_token_file = {token_file}
role_session_name = ci-run
region = us-east-1
endpoint_url = {server.url}

[profile ci-nameless]
role_arn = {fed['role']['Arn']}
web_identity_token_file = {token_file}
region = us-east-1
endpoint_url = {server.url}

[profile ci-chained]
role_arn = {target['Arn']}
source_profile = ci
role_session_name = deploy
region = us-east-1
endpoint_url = {server.url}
""")
    p = subprocess.run([str(rg.BIN), "exec", "ci", "--", rg.aws_binary(), "sts", "get-caller-identity"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"] == \
        f"arn:aws:sts::{fed['account']}:assumed-role/{fed['role']['RoleName']}/ci-run"
    p = subprocess.run([str(rg.BIN), "credential-process", "ci-nameless"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["Version"] == 1 and out["AccessKeyId"].startswith("ASIA") and out["SessionToken"]
    who = rg.client(server, "sts", creds=(out["AccessKeyId"], out["SecretAccessKey"]),
                    token=out["SessionToken"]).get_caller_identity()
    assert "/botocore-session-" in who["Arn"]
    p = subprocess.run([str(rg.BIN), "exec", "ci-chained", "--", rg.aws_binary(), "sts", "get-caller-identity"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"] == f"arn:aws:sts::{fed['account']}:assumed-role/{target['RoleName']}/deploy"
    # another repository's token in the file: refused, in STS's words
    token_file.write_text(issuer.token(sub="repo:evil/x:ref:refs/heads/main", exp=int(time.time()) + 3600))
    p = subprocess.run([str(rg.BIN), "credential-process", "ci"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode != 0
    assert NOT_AUTHORIZED in p.stderr and "AccessDenied" in p.stderr, p.stderr


def test_signed_call_is_the_tokens_not_the_signers(server, issuer, fed):
    """Some SDKs sign every call: a signed AssumeRoleWithWebIdentity is decided on the token alone, the signer's
    identity and session policy carry nothing over; without a token or with a bad one it is refused the same."""
    body = rg.form(Action="AssumeRoleWithWebIdentity", Version=rg.STS_VERSION, RoleArn=fed["role"]["Arn"],
                   RoleSessionName="signed", WebIdentityToken=issuer.token()).encode()
    r = rg.signed(server, body, service="sts")
    assert r.status == 200, r
    arn = r.xml().find(f".//{{{rg.STS_NS}}}AssumedRoleUser/{{{rg.STS_NS}}}Arn").text
    assert arn.endswith(f":assumed-role/{fed['role']['RoleName']}/signed")
    body = rg.form(Action="AssumeRoleWithWebIdentity", Version=rg.STS_VERSION, RoleArn=fed["role"]["Arn"],
                   RoleSessionName="signed", WebIdentityToken=issuer.token(sub="repo:evil/x:ref:refs/heads/main"))
    r = rg.signed(server, body.encode(), service="sts")
    assert (r.status, r.error()["code"], r.error()["message"]) == (403, "AccessDenied", NOT_AUTHORIZED)
    # unsigned, any other STS action still needs a signature
    r = rg.send(server, "POST", "/", rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status, r.error()["code"]) == (403, "MissingAuthenticationToken")


def test_session_tags_from_the_token(server, issuer, fed):
    """The token's https://aws.amazon.com/tags claim tags the session, as on AWS: the trust policy must allow
    sts:TagSession, and the session's policies then see aws:PrincipalTag/KEY."""
    iam = fed["iam"]
    base = {"Effect": "Allow", "Principal": {"Federated": fed["provider"]},
            "Condition": {"StringEquals": {f"{issuer.host_path}:aud": "sts.amazonaws.com"}}}
    strict = iam.create_role(RoleName=rg.unique("notag"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [dict(base, Action="sts:AssumeRoleWithWebIdentity")]}))["Role"]
    tagging = iam.create_role(RoleName=rg.unique("tag"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [dict(base, Action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"])]}))["Role"]
    iam.put_role_policy(RoleName=tagging["RoleName"], PolicyName="by-tag", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
                                                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ci"}}}]}))
    tags = {"principal_tags": {"team": ["ci"]}, "transitive_tag_keys": ["team"]}
    token = issuer.token(**{"https://aws.amazon.com/tags": tags})
    sts = unsigned_sts(server)
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=strict["Arn"], RoleSessionName="tagged", WebIdentityToken=token)
    assert rg.err(e)[:3] == ("AccessDenied", "Not authorized to perform sts:TagSession", 403)
    c = sts.assume_role_with_web_identity(RoleArn=tagging["Arn"], RoleSessionName="tagged",
                                          WebIdentityToken=token)["Credentials"]
    rg.client(server, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"]).list_roles()
    # untagged, the same role's session may not
    c = sts.assume_role_with_web_identity(RoleArn=tagging["Arn"], RoleSessionName="plain",
                                          WebIdentityToken=issuer.token())["Credentials"]
    with pytest.raises(ClientError) as e:
        rg.client(server, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"]).list_roles()
    assert rg.err(e)[0] == "AccessDenied"
