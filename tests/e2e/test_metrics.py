"""`rolegate server --metrics-listen ADDR:PORT`: GET /metrics in Prometheus's text format, parsed with Debian's
python3-prometheus-client, after real boto3 calls: a granted AssumeRole with MFA, a call the policies refuse, a bad
signature, refused MFA codes up to the lockout, an action rolegate does not serve. The counters move by exactly what
was done; the histograms are well-formed; label values come from rolegate's own tables ("unknown" for anything
else); the metrics listener answers 404 to every other path and the API listener does not serve /metrics; plain
HTTP off loopback needs --insecure-http."""
import json
import math
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

import rg
from test_assume_role import allow, caller, doc, make_role, trust_doc
from test_mfa import create as create_mfa, step, totp, wrong

METRICS = ["--metrics-listen", "127.0.0.1:0"]


def get(url, method="GET", data=None):
    """(status, content type, body text) of one plain request."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def scrape(server):
    """{family name: family} and {(sample name, sorted labels): value} of one scrape."""
    status, ctype, text = get(server.metrics_url)
    assert status == 200, text
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {}
    for f in fams.values():
        for s in f.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = s.value
    return fams, samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def check_histograms(fams):
    """Every histogram: buckets ascending in le, cumulative, ending at +Inf == _count; _sum >= 0."""
    hists = [f for f in fams.values() if f.type == "histogram"]
    assert {f.name for f in hists} >= {"rolegate_request_duration_seconds", "rolegate_audit_commit_duration_seconds",
                                       "rolegate_audit_batch_records"}
    for f in hists:
        series = {}
        for s in f.samples:
            rest = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(rest, {"buckets": []})
            if s.name.endswith("_bucket"):
                series[rest]["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                series[rest]["count"] = s.value
            elif s.name.endswith("_sum"):
                series[rest]["sum"] = s.value
        for labels, h in series.items():
            les = [le for le, _ in h["buckets"]]
            counts = [c for _, c in h["buckets"]]
            assert les == sorted(les) and les[-1] == math.inf, (f.name, labels, les)
            assert counts == sorted(counts), (f.name, labels, counts)
            assert counts[-1] == h["count"] and h["sum"] >= 0, (f.name, labels, h)


def test_counters_move_by_what_was_done(server_factory):
    server = server_factory.start(args=METRICS)
    assert server.metrics_url, server.log()
    iam = rg.client(server, "iam")
    # a user with an MFA device and a role whose trust asks for MFA; a second user the policies refuse
    role = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root",
                                                  Bool={"aws:MultiFactorAuthPresent": "true"}))
    user, creds = caller(server, iam)
    serial, seed = create_mfa(iam)
    k = step()
    iam.enable_mfa_device(UserName=user["UserName"], SerialNumber=serial, AuthenticationCode1=totp(seed, k - 2),
                          AuthenticationCode2=totp(seed, k - 1))
    _, [nobody] = rg.make_user(iam)
    sts = rg.client(server, "sts", creds)
    before_fams, before = scrape(server)
    check_histograms(before_fams)

    # granted: AssumeRole with a current code
    r = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="mm", SerialNumber=serial, TokenCode=totp(seed, k))
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")
    # denied by policy: a user with no policy
    with pytest.raises(ClientError) as ei:
        rg.client(server, "sts", nobody).assume_role(RoleArn=role["Arn"], RoleSessionName="mm")
    assert rg.err(ei)[0] == "AccessDenied"
    # an error: a bad signature (the right key id, a wrong secret)
    with pytest.raises(ClientError) as ei:
        rg.client(server, "sts", (creds[0], "x" * 40)).get_caller_identity()
    assert rg.err(ei)[0] == "SignatureDoesNotMatch"
    # an action rolegate does not serve, properly signed: its name must not become a label
    r = rg.signed(server, b"Action=NoSuchActionXyzzy&Version=2011-06-15", creds=creds, service="sts")
    assert r.status == 400 and r.error()["code"] == "InvalidAction", r.body
    # MFA: five wrong codes lock the device; the sixth attempt is refused as locked
    for _ in range(5):
        with pytest.raises(ClientError) as ei:
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="mm", SerialNumber=serial, TokenCode=wrong(seed))
        assert rg.err(ei)[0] == "AccessDenied"
    with pytest.raises(ClientError) as ei:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="mm", SerialNumber=serial, TokenCode=totp(seed, k + 1))
    assert "locked" in rg.err(ei)[1]

    after_fams, after = scrape(server)
    check_histograms(after_fams)
    req = "rolegate_requests_total"
    assert delta(before, after, req, service="sts", action="AssumeRole", outcome="granted") == 1
    assert delta(before, after, req, service="sts", action="AssumeRole", outcome="denied") == 7  # 1 + 5 + locked
    assert delta(before, after, req, service="sts", action="AssumeRole", outcome="error") == 0
    assert delta(before, after, req, service="sts", action="unknown", outcome="error") == 2  # signature, NoSuch...
    assert delta(before, after, req, service="sts", action="GetCallerIdentity", outcome="granted") == 0
    err = "rolegate_request_errors_total"
    assert delta(before, after, err, service="sts", code="AccessDenied") == 7
    assert delta(before, after, err, service="sts", code="SignatureDoesNotMatch") == 1
    assert delta(before, after, err, service="sts", code="InvalidAction") == 1
    assert delta(before, after, "rolegate_sessions_issued_total", action="AssumeRole") == 1
    assert delta(before, after, "rolegate_sessions_issued_total", action="GetSessionToken") == 0
    mfa = "rolegate_mfa_failures_total"
    assert delta(before, after, mfa, reason="invalid_code") == 5
    assert delta(before, after, mfa, reason="locked") == 1
    assert delta(before, after, mfa, reason="replayed_code") == 0
    assert delta(before, after, "rolegate_mfa_lockouts_total") == 1
    # every sts request above is in sts's latency histogram (the scrapes are on the other listener)
    assert delta(before, after, "rolegate_request_duration_seconds_count", service="sts") == 10
    assert delta(before, after, "rolegate_request_duration_seconds_count", service="iam") == 0
    # the 8 AssumeRole calls of known callers were audited durably, group-committed in 1..8 batches
    assert delta(before, after, "rolegate_audit_batch_records_sum") == 8
    assert 1 <= delta(before, after, "rolegate_audit_commit_duration_seconds_count") <= 8
    assert delta(before, after, "rolegate_audit_failed_records_total") == 0
    # connections: boto3 clients each opened theirs; caches were asked
    assert delta(before, after, "rolegate_connections_accepted_total") >= 3
    assert value(after, "rolegate_connections_open") >= 0
    for cache in ("credentials", "signing_keys", "rows", "policies"):
        asked = (delta(before, after, "rolegate_cache_hits_total", cache=cache)
                 + delta(before, after, "rolegate_cache_misses_total", cache=cache))
        assert asked > 0, cache
    # every request above was signed with a long-term key: each looked it up (MFA writes invalidate the cache)
    assert (delta(before, after, "rolegate_cache_hits_total", cache="credentials")
            + delta(before, after, "rolegate_cache_misses_total", cache="credentials")) >= 10
    # bounded labels: no request text in any label value; every family is rolegate's
    for name, labels in after:
        for _, v in labels:
            assert "Xyzzy" not in v and "NoSuch" not in v, (name, labels)
    assert all(f.startswith("rolegate_") for f in after_fams), sorted(after_fams)
    assert after_fams["rolegate_requests"].type == "counter"
    assert after_fams["rolegate_connections_open"].type == "gauge"
    assert value(after, "rolegate_process_start_time_seconds") > 1.7e9
    assert value(after, "rolegate_process_resident_memory_bytes") > 1 << 20
    version = subprocess.run([str(rg.BIN), "version"], capture_output=True, text=True).stdout.split()[1]
    assert value(after, "rolegate_build_info", version=version) == 1


def test_other_paths_and_the_api_listener(server_factory):
    server = server_factory.start(args=METRICS)
    base = server.metrics_url.rsplit("/", 1)[0]
    for path in ("/", "/metrics/", "/metricsx", "/health", "/?Action=GetCallerIdentity"):
        assert get(base + path)[0] == 404, path
    assert get(server.metrics_url, method="POST", data=b"x=1")[0] == 404
    assert get(server.metrics_url + "?name[]=x")[0] == 200  # a query string is ignored, as Prometheus' own do
    # the API listener has no /metrics: it is an unauthenticated AWS call there
    status, _, body = get(server.url + "/metrics")
    assert status == 403 and "# TYPE" not in body and "MissingAuthenticationToken" in body, body
    # without --metrics-listen nothing is served, and the log has no metrics line
    plain = server_factory.start()
    assert plain.metrics_url is None and "serving metrics" not in plain.log()


def test_non_loopback_needs_insecure_http(server_factory, tmp_path):
    with pytest.raises(RuntimeError) as ei:
        server_factory.start(args=["--metrics-listen", "0.0.0.0:0"])
    assert "refusing plain-HTTP metrics on non-loopback address 0.0.0.0:0" in str(ei.value)
    assert not (tmp_path / "data-1").exists()  # refused before anything was written
    server = server_factory.start(args=["--metrics-listen", "0.0.0.0:0", "--insecure-http"])
    assert "--insecure-http: serving metrics in plain HTTP on non-loopback address 0.0.0.0:0" in server.log()
    assert get(server.metrics_url)[0] == 200
    with pytest.raises(RuntimeError) as ei:
        server_factory.start(args=["--metrics-listen", "nonsense", "--insecure-http"])
    assert "cannot parse --metrics-listen address 'nonsense'" in str(ei.value)


def test_metrics_in_json_logs_and_help(server_factory):
    server = server_factory.start(args=METRICS + ["--log-format", "json"])
    line = next(json.loads(x) for x in server.log().splitlines() if "serving metrics" in x)
    assert line["msg"] == f"serving metrics on http://127.0.0.1:{server.metrics_url.split(':')[2]}"
