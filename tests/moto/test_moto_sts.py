"""A few of moto's own STS tests that pass against `rolegate server --compat moto`.

Copied unchanged (but for one parameter left out: see below) from moto 5.2.1 (https://github.com/getmoto/moto, tag 5.2.1, commit
543c687a2301fe1982da96f815d603c17b37a45c): tests/test_sts/test_sts.py. Copyright moto's authors, Apache License 2.0: see LICENSE
beside this file. tests/e2e/test_compat_moto.py runs them in moto's server mode (TEST_SERVER_MODE=true,
TEST_SERVER_MODE_ENDPOINT=<a `rolegate server --compat moto`>): every boto3 call goes to rolegate.
"""
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID
from moto.sts.responses import MAX_ROLE_NAME_LENGTH


@mock_aws
def test_assume_role_with_too_long_role_session_name():
    client = boto3.client("sts", region_name="us-east-1")
    iam_client = boto3.client("iam", region_name="us-east-1")

    session_name = "s" * 65
    trust_policy_document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        },
    }
    role = iam_client.create_role(
        RoleName="test-role", AssumeRolePolicyDocument=json.dumps(trust_policy_document)
    )["Role"]
    role_arn = role["Arn"]
    with pytest.raises(ClientError) as ex:
        client.assume_role(
            RoleArn=role_arn,
            RoleSessionName=session_name,
            DurationSeconds=900,
        )
    assert ex.value.response["Error"]["Code"] == "ValidationError"
    assert str(MAX_ROLE_NAME_LENGTH) in ex.value.response["Error"]["Message"]
    assert session_name in ex.value.response["Error"]["Message"]


@mock_aws
@pytest.mark.parametrize(
    # moto's list also has ("cn-north-1", "aws-cn"): rolegate serves the aws partition only
    "region,partition", [("us-east-1", "aws")]
)
def test_get_caller_identity_with_iam_user_credentials(region, partition):
    iam_client = boto3.client("iam", region_name=region)
    iam_user_name = "new-user"
    iam_user = iam_client.create_user(UserName=iam_user_name)["User"]
    assert iam_user["Arn"] == f"arn:{partition}:iam::123456789012:user/new-user"
    access_key = iam_client.create_access_key(UserName=iam_user_name)["AccessKey"]

    identity = boto3.client(
        "sts",
        region_name=region,
        aws_access_key_id=access_key["AccessKeyId"],
        aws_secret_access_key=access_key["SecretAccessKey"],
    ).get_caller_identity()

    assert identity["Arn"] == iam_user["Arn"]
    assert identity["UserId"] == iam_user["UserId"]
    assert identity["Account"] == str(ACCOUNT_ID)


@mock_aws
def test_get_access_key_info_with_iam_user():
    """GetAccessKeyInfo returns the correct account for an IAM user's key."""
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="testuser")
    key = iam.create_access_key(UserName="testuser")["AccessKey"]

    client = boto3.client("sts", region_name="us-east-1")
    resp = client.get_access_key_info(AccessKeyId=key["AccessKeyId"])
    assert resp["Account"] == str(ACCOUNT_ID)
