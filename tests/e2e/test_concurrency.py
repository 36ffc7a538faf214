"""Many clients at once: no lost or doubled writes, no 5xx, no "database is locked"."""
import threading
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

import rg


def test_same_name_created_once(server):
    name = rg.unique("race")
    clients = [rg.client(server, "iam") for _ in range(8)]
    barrier = threading.Barrier(len(clients))

    def create(iam):
        barrier.wait()
        try:
            return "ok", iam.create_user(UserName=name)["User"]["UserId"]
        except ClientError as e:
            return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]

    with ThreadPoolExecutor(len(clients)) as ex:
        results = list(ex.map(create, clients))
    oks = [r for r in results if r[0] == "ok"]
    others = [r for r in results if r[0] != "ok"]
    assert len(oks) == 1, results
    assert all(r == ("EntityAlreadyExists", 409) for r in others), results
    assert clients[0].get_user(UserName=name)["User"]["UserId"] == oks[0][1]


def test_parallel_mixed_traffic(server):
    prefix = rg.unique("mix")
    failures = []

    def scenario(i):
        iam = rg.client(server, "iam")
        name = f"{prefix}-{i}"
        try:
            iam.create_user(UserName=name, Path=f"/{prefix}/")
            k = iam.create_access_key(UserName=name)["AccessKey"]
            rg.SEEN_SECRETS.add(k["SecretAccessKey"])
            for j in range(5):
                iam.tag_user(UserName=name, Tags=[{"Key": f"t{j}", "Value": str(j)}])
                iam.list_users(PathPrefix=f"/{prefix}/")
            me = rg.client(server, "sts", (k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
            assert me["Arn"].endswith(f"/{name}")
            assert len(iam.list_user_tags(UserName=name)["Tags"]) == 5
            iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
            iam.untag_user(UserName=name, TagKeys=[f"t{j}" for j in range(5)])
            if i % 2:
                iam.delete_user(UserName=name)
        except Exception as e:  # noqa: BLE001 - collected and reported below
            failures.append(f"{name}: {e!r}")

    with ThreadPoolExecutor(8) as ex:
        list(ex.map(scenario, range(16)))
    assert not failures, failures
    left = rg.client(server, "iam").list_users(PathPrefix=f"/{prefix}/")["Users"]
    assert sorted(u["UserName"] for u in left) == sorted(f"{prefix}-{i}" for i in range(0, 16, 2))
