"""`rolegate policy validate`: IAM's verdict on a document (MalformedPolicyDocument, the size quota) and the
warnings about valid but questionable statements that the console's policy pages show too (src/policy/lint.c)."""
import json
import subprocess

import rg


def validate(tmp_path, doc, kind="identity"):
    f = tmp_path / "policy.json"
    f.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    p = subprocess.run([str(rg.BIN), "policy", "validate", str(f), "--kind", kind], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, json.loads(p.stdout)


def test_plain_policy_is_valid_without_warnings(tmp_path):
    rc, out = validate(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
    assert rc == 0 and out["valid"] is True and "warnings" not in out


def test_questionable_policy_is_valid_with_warnings(tmp_path):
    rc, out = validate(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Sid": "Most", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})
    assert rc == 0 and out["valid"] is True
    assert [(w["code"], w["statement"]) for w in out["warnings"]] == [
        ("AllowWithNotAction", 0), ("PassRoleWithStarInResource", 1)]
    assert out["warnings"][0]["message"].startswith("Statement 1 (Most): Allow with NotAction")


def test_malformed_policy_is_refused_as_iam_words_it(tmp_path):
    rc, out = validate(tmp_path, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    assert rc == 1 and out == {"valid": False, "kind": "identity",
                               "error": "MalformedPolicyDocument: Policy document should not specify a principal."}
