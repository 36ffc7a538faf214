"""Many clients at once: no lost or doubled writes, no 5xx, no "database is locked"."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
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


def test_password_hashing_does_not_hold_other_writes(server):
    """PBKDF2 (a tenth of a second, seconds under ASan) runs before the write transaction: while login profiles are
    being created, a CreateUser is answered at once, not after a hash. Compared with the time of one
    CreateLoginProfile measured in the same run."""
    iam = rg.client(server, "iam")
    password = "Aa1!" + rg.unique("pw")
    users = [iam.create_user(UserName=rg.unique("lp"))["User"]["UserName"] for _ in range(5)]
    t0 = time.monotonic()
    iam.create_login_profile(UserName=users[0], Password=password)
    one_hash = time.monotonic() - t0

    n = len(users) - 1
    clients = [rg.client(server, "iam") for _ in range(n)]
    barrier = threading.Barrier(n + 1)
    done = []

    def create_profile(i):
        barrier.wait()
        clients[i].create_login_profile(UserName=users[1 + i], Password=password)
        done.append(i)

    threads = [threading.Thread(target=create_profile, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    time.sleep(one_hash / 5)  # the hashes are under way
    latencies = []
    while len(done) < n:
        # a new connection each time: a kept-alive one stays with the listener thread that accepted it, which may
        # be one busy hashing (that thread, not the database, is then what it waits for)
        fresh = rg.client(server, "iam")
        t0 = time.monotonic()
        fresh.create_user(UserName=rg.unique("w"))
        latencies.append(time.monotonic() - t0)
    for t in threads:
        t.join()
    assert latencies, "the profiles were created before any CreateUser could run beside them"
    # serialised behind a hash, the first CreateUser waits about one_hash
    assert max(latencies) < one_hash / 4, (one_hash, latencies)
    for u in users:
        assert iam.get_login_profile(UserName=u)["LoginProfile"]["UserName"] == u

    # the hash is made only for a caller the policies allow: a refused one costs no hash
    _, [key] = rg.make_user(iam)
    nobody = rg.client(server, "iam", key)
    t0 = time.monotonic()
    with pytest.raises(ClientError) as ei:
        nobody.create_login_profile(UserName=users[0], Password=password)
    refused = time.monotonic() - t0
    assert rg.err(ei)[:3][0::2] == ("AccessDenied", 403)
    assert refused < one_hash / 4, (one_hash, refused)
