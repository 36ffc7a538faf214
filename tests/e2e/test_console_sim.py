"""The console's policy simulator (/console/simulator) and audit trail (/console/audit), over HTTP with a cookie jar.

Both pages act only through the API as the signed-in identity: the simulator is iam:SimulatePrincipalPolicy on the
identity itself (its decision and the statement that decided), the audit page is cloudtrail:LookupEvents; an
identity without the permission sees AWS's AccessDenied text.
"""
import html
import json
import re

import pytest
import requests

import rg

PASSWORD = "Correct-Horse-9-battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def signin(server, account, user, password=PASSWORD):
    """A requests.Session signed in to the console as an IAM user."""
    s = requests.Session()
    page = s.get(server.url + "/console/signin", timeout=30)
    assert page.status_code == 200, page.text
    csrf = CSRF_RE.search(page.text).group(1)
    r = s.post(server.url + "/console/signin", timeout=30, allow_redirects=False,
               data={"usertype": "iam", "account": account, "username": user, "password": password, "csrf": csrf})
    assert r.status_code in (302, 303), r.text
    return s


def console_user(server, iam, policy=None):
    user, _ = rg.make_user(iam, keys=0)
    iam.create_login_profile(UserName=user["UserName"], Password=PASSWORD, PasswordResetRequired=False)
    if policy:
        iam.put_user_policy(UserName=user["UserName"], PolicyName="console", PolicyDocument=json.dumps(policy))
    return user


def text(page):
    """The page's text, tags dropped and entities decoded (what a reader sees)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


SIM_AND_S3 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "SimulateMyself", "Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "ReadBucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    {"Sid": "Audit", "Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"},
    {"Sid": "ReadMyPolicies", "Effect": "Allow", "Action": ["iam:GetUserPolicy", "iam:ListGroupsForUser"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}]}


@pytest.fixture(scope="module")
def iam(server):
    return rg.client(server, "iam")


def test_simulator_shows_the_decision_and_the_statement(server, iam):
    user = console_user(server, iam, SIM_AND_S3)
    s = signin(server, server.account, user["UserName"])
    r = s.get(server.url + "/console/simulator", params={"action": "s3:GetObject",
                                                          "resource": "arn:aws:s3:::bucket/report.csv"}, timeout=30)
    assert r.status_code == 200
    t = text(r.text)
    assert "Allowed s3:GetObject on arn:aws:s3:::bucket/report.csv" in t
    # the deciding statement, as written in the user's policy (read with iam:GetUserPolicy), and its place
    assert re.search(r'<table class="matched" id="matched-1">.*<td>console</td><td>user</td>'
                     r'<td><pre class="statement"><code>'
                     r'\{&quot;Sid&quot;: &quot;ReadBucket&quot;, [^<]*&quot;arn:aws:s3:::bucket/\*&quot;\}'
                     r'</code></pre>'
                     r'line 1, column \d+', r.text, re.S), r.text
    assert "default-src" in r.headers["Content-Security-Policy"]

    r = s.get(server.url + "/console/simulator", params={"action": "s3:DeleteObject", "resource": "*"}, timeout=30)
    assert "Denied: explicitly, by a Deny statement s3:DeleteObject on *" in text(r.text)
    assert '{"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}' in text(r.text)
    r = s.get(server.url + "/console/simulator", params={"action": "s3:PutObject"}, timeout=30)
    assert "Denied: implicitly, no statement allows it s3:PutObject on *" in text(r.text)
    # context entries reach the engine: a condition on a key the simulation lacks is named
    iam.put_user_policy(UserName=user["UserName"], PolicyName="mfa", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
                                                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
    r = s.get(server.url + "/console/simulator", params={"action": "s3:PutObject"}, timeout=30)
    assert "aws:MultiFactorAuthPresent" in text(r.text) and "Denied: implicitly" in text(r.text)
    r = s.get(server.url + "/console/simulator", params={"action": "s3:PutObject",
                                                          "context": "aws:MultiFactorAuthPresent=true"}, timeout=30)
    assert "Allowed s3:PutObject on *" in text(r.text)
    # data is escaped, never markup
    r = s.get(server.url + "/console/simulator", params={"action": "<script>x</script>"}, timeout=30)
    assert "<script>x</script>" not in r.text


def test_simulator_refused_without_the_permission(server, iam):
    user = console_user(server, iam, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    s = signin(server, server.account, user["UserName"])
    r = s.get(server.url + "/console/simulator", params={"action": "s3:GetObject"}, timeout=30)
    assert r.status_code == 200
    assert (f"AccessDenied: User: {user['Arn']} is not authorized to perform: iam:SimulatePrincipalPolicy on "
            f"resource: {user['Arn']} because no identity-based policy allows the iam:SimulatePrincipalPolicy "
            "action") in text(r.text)
    assert "Allowed" not in text(r.text)
    # allowed to simulate but not to read its policies: the statement's place only
    iam.put_user_policy(UserName=user["UserName"], PolicyName="sim", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
                                                 "Resource": user["Arn"]}]}))
    r = s.get(server.url + "/console/simulator", params={"action": "s3:GetObject"}, timeout=30)
    assert "Allowed s3:GetObject on *" in text(r.text)
    assert re.search(r"<td>console</td><td>user</td><td>line 1, column \d+ to line 1, column \d+</td>", r.text)
    assert 'class="statement"' not in r.text
    # signed out: to the sign-in page
    r = requests.get(server.url + "/console/simulator", params={"action": "s3:GetObject"}, timeout=30,
                     allow_redirects=False)
    assert r.status_code in (302, 303) and "/console/signin" in r.headers["Location"]


def test_audit_page_lists_the_account_events_and_is_refused_without_lookup_events(server, iam):
    user = console_user(server, iam, SIM_AND_S3)
    marker = rg.unique("audited")
    iam.create_group(GroupName=marker)
    s = signin(server, server.account, user["UserName"])
    r = s.get(server.url + "/console/audit", timeout=30)
    assert r.status_code == 200
    rows = re.findall(r"<tr><td><time[^>]*>([^<]+)</time></td><td><a [^>]*>([^<]*)</a></td><td>([^<]*)</td>", r.text)
    assert rows, r.text
    assert [t for t, _, _ in rows] == sorted([t for t, _, _ in rows], reverse=True)  # newest first
    assert ("CreateGroup", "root") in [(e, u) for _, e, u in rows]
    # filtered by event name
    r = s.get(server.url + "/console/audit", params={"attr": "EventName", "value": "CreateGroup"}, timeout=30)
    events = re.findall(r"<tr><td><time[^>]*>[^<]+</time></td><td><a href=\"([^\"]+)\">([^<]*)</a></td>", r.text)
    assert events and {name for _, name in events} == {"CreateGroup"}
    assert marker in r.text
    # one event in full: its CloudTrail record
    link = html.unescape([h for h, _ in events][0])
    assert link.startswith("/console/audit/event?id=")
    r = s.get(server.url + link, timeout=30)
    record = json.loads(html.unescape(re.search(r'<pre class="statement" id="record"><code>(.*?)</code></pre>',
                                                r.text, re.S).group(1)))
    assert record["eventName"] == "CreateGroup" and record["eventSource"] == "iam.amazonaws.com"
    assert record["eventID"] == link.rsplit("=", 1)[1]
    # filtered by user: the user's own console sign-in is there, root's calls are not
    r = s.get(server.url + "/console/audit", params={"attr": "Username", "value": user["UserName"]}, timeout=30)
    users = re.findall(r"<tr><td><time[^>]*>[^<]+</time></td><td><a [^>]*>[^<]*</a></td><td>([^<]*)</td>", r.text)
    assert set(users) <= {user["UserName"]}

    denied = console_user(server, iam, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]})
    s2 = signin(server, server.account, denied["UserName"])
    r = s2.get(server.url + "/console/audit", timeout=30)
    assert (f"AccessDeniedException: User: {denied['Arn']} is not authorized to perform: cloudtrail:LookupEvents "
            "because no identity-based policy allows the cloudtrail:LookupEvents action") in text(r.text)
    assert 'id="events"' not in r.text


def test_simulator_in_a_browser(server, iam):
    """Signed in with Chromium: the simulator form is filled and submitted like a person does; the page has no
    Content-Security-Policy violation; screenshots to build/console-screens/ (simulator.png, audit.png)."""
    import console_browser

    user = console_user(server, iam, SIM_AND_S3)
    with console_browser.browser(server.url) as b:
        b.get("/console/signin")
        b.fill("account", server.account)
        b.fill("username", user["UserName"])
        b.fill("password", PASSWORD)
        b.click("signin-button")
        b.get("/console/simulator")
        b.fill("sim-action", "s3:GetObject, s3:DeleteObject")
        b.fill("sim-resource", "arn:aws:s3:::bucket/report.csv")
        b.submit_form("sim-form")
        assert b.text("decision-1") == "Allowed s3:GetObject on arn:aws:s3:::bucket/report.csv"
        assert "ReadBucket" in b.text("matched-1")
        assert b.text("decision-2") == ("Denied: explicitly, by a Deny statement s3:DeleteObject on "
                                         "arn:aws:s3:::bucket/report.csv")
        # no CSP violation, script error or failed load (the pages link the console's icon)
        assert b.console_errors() == []
        b.screenshot("simulator")
        b.get("/console/audit")
        assert "ConsoleLogin" in b.text("events")
        b.screenshot("audit")


def test_simulator_as_a_switched_role_simulates_the_role(server, iam):
    """After a switch role (i13-switch's /console/switchrole), the active identity is the role session: the page
    simulates the role's policies (PolicySourceArn = the role's ARN), authorized as the role."""
    role = rg.unique("simrole")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}, "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="role-sim", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": role_arn},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    user = console_user(server, iam, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]})
    s = signin(server, server.account, user["UserName"])
    form = s.get(server.url + "/console/switchrole", params={"account": server.account, "roleName": role},
                 timeout=30)
    csrf = CSRF_RE.search(form.text).group(1)
    r = s.post(server.url + "/console/switchrole", timeout=30, allow_redirects=False,
               data={"account": server.account, "roleName": role, "displayName": "Sim", "color": "", "csrf": csrf})
    assert r.status_code in (302, 303), r.text
    r = s.get(server.url + "/console/simulator", params={"action": "sqs:SendMessage"}, timeout=30)
    t = text(r.text)
    assert f"Simulates a request by {role_arn}" in t
    assert "Allowed sqs:SendMessage on *" in t
    assert re.search(r"<td>role-sim</td><td>role</td>", r.text)
    # the user's own permissions are not the role's: s3 is not allowed to the role
    r = s.get(server.url + "/console/simulator", params={"action": "sts:AssumeRole", "resource": role_arn},
              timeout=30)
    assert "Denied: implicitly" in text(r.text)
