"""The query protocol on the wire: requests signed with botocore's SigV4Auth, sent with http.client, answers parsed
with xml.etree. Bad input must get AWS's error codes (never a 5xx), every error carries its request id in both the
x-amzn-RequestId header and the body, and the server keeps answering afterwards."""
import http.client
import re
import socket

import pytest

import rg

MIB = 1024 * 1024
ERRORS_SEEN = []


def check_error(r, status, code, message=None):
    assert r.status < 500, r
    assert r.status == status, r
    e = r.error()
    assert e["code"] == code, r
    if message is not None:
        assert e["message"] == message, r
    assert r.request_id and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                                         r.request_id), r.headers
    assert e["request_id"] == r.request_id
    assert e["type"] == "Sender"
    assert r.headers.get("content-type", "").startswith("text/xml")
    ERRORS_SEEN.append(r.request_id)
    return e


# ---- success shapes ----------------------------------------------------------------------------------------------

def test_create_user_response_shape(server):
    name = rg.unique("xml")
    r = rg.signed(server, rg.iam_form("CreateUser", UserName=name, Path="/xml/"))
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/xml")
    root = r.xml()
    ns = "{" + rg.IAM_NS + "}"
    assert root.tag == ns + "CreateUserResponse"
    assert [c.tag for c in root] == [ns + "CreateUserResult", ns + "ResponseMetadata"]
    user = root.find(f"{ns}CreateUserResult/{ns}User")
    assert user.findtext(ns + "UserName") == name
    assert user.findtext(ns + "Path") == "/xml/"
    assert user.findtext(ns + "Arn") == f"arn:aws:iam::{server.account}:user/xml/{name}"
    assert user.findtext(ns + "UserId").startswith("AIDA")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user.findtext(ns + "CreateDate"))
    rid = root.findtext(f"{ns}ResponseMetadata/{ns}RequestId")
    assert rid and rid == r.request_id
    # the namespace is declared on the root element, as AWS does
    assert b'<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' in r.body[:100]


def test_delete_user_response_has_no_result(server):
    name = rg.unique("xmldel")
    assert rg.signed(server, rg.iam_form("CreateUser", UserName=name)).status == 200
    r = rg.signed(server, rg.iam_form("DeleteUser", UserName=name))
    assert r.status == 200, r
    ns = "{" + rg.IAM_NS + "}"
    root = r.xml()
    assert root.tag == ns + "DeleteUserResponse"
    assert [c.tag for c in root] == [ns + "ResponseMetadata"]
    assert root.findtext(f"{ns}ResponseMetadata/{ns}RequestId") == r.request_id


def test_sts_response_shape(server):
    r = rg.signed(server, rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION), service="sts")
    assert r.status == 200, r
    ns = "{" + rg.STS_NS + "}"
    root = r.xml()
    assert root.tag == ns + "GetCallerIdentityResponse"
    res = root.find(ns + "GetCallerIdentityResult")
    assert res.findtext(ns + "Arn") == f"arn:aws:iam::{server.account}:root"
    assert res.findtext(ns + "Account") == server.account
    assert res.findtext(ns + "UserId") == server.account
    assert root.findtext(f"{ns}ResponseMetadata/{ns}RequestId") == r.request_id


def test_sts_error_namespace(server):
    r = rg.signed(server, rg.form(Action="GetAccessKeyInfo", Version=rg.STS_VERSION), service="sts")
    e = check_error(r, 400, "ValidationError")
    assert e["ns"] == rg.STS_NS


def test_get_with_query_parameters(server):
    # The query protocol also accepts GET with the parameters in the query string.
    r = rg.signed(server, b"", method="GET", query=rg.iam_form("GetUser"))
    assert r.status == 200, r
    ns = "{" + rg.IAM_NS + "}"
    assert r.xml().findtext(f"{ns}GetUserResult/{ns}User/{ns}Arn") == f"arn:aws:iam::{server.account}:root"


# ---- too large ---------------------------------------------------------------------------------------------------

def post_raw(server, target, headers, body_iter, timeout=30):
    """Sends a request whose body the server may refuse before reading it all; returns the Raw answer."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        try:
            conn.putrequest("POST", target, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders()
            for chunk in body_iter:
                conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest: the answer is what matters
        r = conn.getresponse()
        return rg.Raw(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def test_body_too_large_content_length(server):
    body = (rg.iam_form("ListUsers") + "&Pad=" + "x" * MIB).encode()
    target, h = rg.sign(server, body)
    h["Content-Length"] = str(len(body))
    r = post_raw(server, target, h, [body[i:i + 65536] for i in range(0, len(body), 65536)])
    e = check_error(r, 413, "RequestEntityTooLarge")
    assert "1048576" in e["message"]


def test_body_too_large_chunked(server):
    body = (rg.iam_form("ListUsers") + "&Pad=" + "y" * (MIB + 10)).encode()
    target, h = rg.sign(server, body)
    h["Transfer-Encoding"] = "chunked"
    h.pop("Content-Length", None)

    def chunks():
        for i in range(0, len(body), 65536):
            part = body[i:i + 65536]
            yield b"%x\r\n%s\r\n" % (len(part), part)
        yield b"0\r\n\r\n"

    r = post_raw(server, target, h, chunks())
    check_error(r, 413, "RequestEntityTooLarge")


def test_body_at_the_limit_is_served(server):
    head = rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION) + "&Pad="
    body = (head + "z" * (MIB - len(head))).encode()
    assert len(body) == MIB
    r = rg.signed(server, body, service="sts")
    assert r.status == 200, r


# ---- form decoding -----------------------------------------------------------------------------------------------

def test_malformed_percent_encoding(server):
    for body in ("Action=ListUsers&Version=2010-05-08&PathPrefix=%zz",
                 "Action=ListUsers&Version=2010-05-08&PathPrefix=%4",
                 "Action=List%Users&Version=2010-05-08"):
        check_error(rg.signed(server, body), 404, "MalformedQueryString")


def test_invalid_utf8(server):
    for body in ("Action=CreateUser&Version=2010-05-08&UserName=%ff%fe",
                 "Action=CreateUser&Version=2010-05-08&UserName=%c3%28",
                 "Action=CreateUser&Version=2010-05-08&UserName=%ed%a0%80"):  # a UTF-16 surrogate
        check_error(rg.signed(server, body), 400, "InvalidQueryParameter")
    # raw invalid bytes, not percent-encoded
    check_error(rg.signed(server, b"Action=CreateUser&Version=2010-05-08&UserName=a\xffb"), 400,
                "InvalidQueryParameter")


def test_nul_byte(server):
    check_error(rg.signed(server, "Action=CreateUser&Version=2010-05-08&UserName=a%00b"), 400, "InvalidQueryParameter")


def test_missing_action(server):
    check_error(rg.signed(server, "Version=2010-05-08"), 400, "MissingAction")
    check_error(rg.signed(server, "Action=&Version=2010-05-08"), 400, "MissingAction")
    check_error(rg.signed(server, b""), 400, "MissingAction")


def test_repeated_parameter(server):
    check_error(rg.signed(server, "Action=ListUsers&Action=ListUsers&Version=2010-05-08"), 400,
                "InvalidQueryParameter")
    check_error(rg.signed(server, "Action=GetUser&UserName=a&Version=2010-05-08&UserName=b"), 400,
                "InvalidQueryParameter")


def test_unknown_action(server):
    check_error(rg.signed(server, "Action=Foo&Version=2010-05-08"), 400, "InvalidAction",
                "Could not find operation Foo for version 2010-05-08")
    # an IAM action rolegate does not serve is not found either
    check_error(rg.signed(server, "Action=UploadServerCertificate&Version=2010-05-08&ServerCertificateName=c"),
                400, "InvalidAction")
    # an STS action sent to the IAM credential scope
    check_error(rg.signed(server, "Action=GetCallerIdentity&Version=2011-06-15"), 400, "InvalidAction")


def test_wrong_version(server):
    check_error(rg.signed(server, "Action=ListUsers&Version=2011-06-15"), 400, "InvalidAction",
                "Could not find operation ListUsers for version 2011-06-15")
    check_error(rg.signed(server, "Action=ListUsers"), 400, "InvalidAction")


def test_wrong_content_type(server):
    r = rg.signed(server, rg.iam_form("ListUsers"), headers={"Content-Type": "application/json"})
    assert 400 <= r.status < 500, r
    check_error(r, r.status, r.error()["code"])


def test_method_not_allowed(server):
    for method in ("PUT", "DELETE", "PATCH"):
        target, h = rg.sign(server, rg.iam_form("ListUsers").encode(), method=method)
        r = rg.send(server, method, target, rg.iam_form("ListUsers").encode(), h)
        assert r.status == 405, r
        check_error(r, 405, "MethodNotAllowed")


def test_too_many_parameters(server):
    body = rg.iam_form("ListUsers") + "".join(f"&P{i}=1" for i in range(5000))
    r = rg.signed(server, body)
    assert 400 <= r.status < 500, r
    check_error(r, r.status, "InvalidQueryParameter")


def test_unserved_service_scope(server):
    r = rg.signed(server, rg.iam_form("ListUsers"), service="s3")
    assert r.status in (400, 403), r
    check_error(r, r.status, r.error()["code"])
    assert r.error()["code"] in ("IncompleteSignature", "SignatureDoesNotMatch", "InvalidClientTokenId")


# ---- validation --------------------------------------------------------------------------------------------------

V1 = "1 validation error detected: "


def test_user_name_pattern(server):
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName="has space")), 400, "ValidationError")
    assert e["message"] == (V1 + "Value 'has space' at 'userName' failed to satisfy constraint: "
                                 "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    for bad in ("semi;colon", "slash/name", "j\u00fcrgen", "tab\tname"):
        e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=bad)), 400, "ValidationError")
        assert e["message"].startswith(V1 + f"Value '{bad}' at 'userName' failed to satisfy constraint: Member must "
                                            "satisfy regular expression pattern"), e["message"]


def test_user_name_length(server):
    name = "a" * 65
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=name)), 400, "ValidationError")
    assert e["message"] == (V1 + f"Value '{name}' at 'userName' failed to satisfy constraint: "
                                 "Member must have length less than or equal to 64")
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName="")), 400, "ValidationError")
    assert "Member must have length greater than or equal to 1" in e["message"]
    # exactly 64 is fine
    r = rg.signed(server, rg.iam_form("CreateUser", UserName="b" * 64))
    assert r.status == 200, r


def test_user_name_missing(server):
    e = check_error(rg.signed(server, rg.iam_form("CreateUser")), 400, "ValidationError")
    assert e["message"] == V1 + "Value null at 'userName' failed to satisfy constraint: Member must not be null"


def test_two_validation_errors(server):
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName="x y", Path="nopath")), 400,
                    "ValidationError")
    assert e["message"].startswith("2 validation errors detected: "), e["message"]
    assert "at 'userName'" in e["message"] and "at 'path'" in e["message"]


def test_path_pattern(server):
    for bad in ("/foo", "foo/", "foo", "/a b/"):
        e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=rg.unique(), Path=bad)), 400,
                        "ValidationError")
        assert e["message"] == (V1 + f"Value '{bad}' at 'path' failed to satisfy constraint: Member must satisfy "
                                     "regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"), \
            e["message"]
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=rg.unique(), Path="/" + "p" * 511 + "/")),
                    400, "ValidationError")
    assert "Member must have length less than or equal to 512" in e["message"]
    e = check_error(rg.signed(server, rg.iam_form("ListUsers", PathPrefix="nope")), 400, "ValidationError")
    assert "at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern" in \
        e["message"]


def tags_params(tags):
    p = {}
    for i, (k, v) in enumerate(tags, 1):
        p[f"Tags.member.{i}.Key"] = k
        p[f"Tags.member.{i}.Value"] = v
    return p


def test_tag_sizes(server):
    name = rg.unique("tagsz")
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=name, **tags_params([("k" * 129, "v")]))),
                    400, "ValidationError")
    assert e["message"] == (V1 + f"Value '{'k' * 129}' at 'tags.1.member.key' failed to satisfy constraint: "
                                 "Member must have length less than or equal to 128")
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=name,
                                                  **tags_params([("ok", "v"), ("k", "v" * 257)]))),
                    400, "ValidationError")
    assert e["message"] == (V1 + f"Value '{'v' * 257}' at 'tags.2.member.value' failed to satisfy constraint: "
                                 "Member must have length less than or equal to 256")
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=name, **tags_params([("a*b", "v")]))),
                    400, "ValidationError")
    assert "at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern" \
        in e["message"]
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=name,
                                                  **{"Tags.member.1.Key": "lonely"})), 400, "ValidationError")
    assert "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null" in e["message"]
    # at the limits it is fine: 128-char key, 256-char value
    r = rg.signed(server, rg.iam_form("CreateUser", UserName=name, **tags_params([("k" * 128, "v" * 256)])))
    assert r.status == 200, r


def test_tag_count(server):
    name = rg.unique("tagn")
    e = check_error(rg.signed(server, rg.iam_form("CreateUser", UserName=name,
                                                  **tags_params([(f"k{i}", "v") for i in range(51)]))),
                    400, "ValidationError")
    assert e["message"].startswith(V1 + "Value '")
    assert e["message"].endswith("' at 'tags' failed to satisfy constraint: "
                                 "Member must have length less than or equal to 50"), e["message"]
    assert rg.signed(server, rg.iam_form("CreateUser", UserName=name,
                                         **tags_params([(f"k{i}", "v") for i in range(50)]))).status == 200
    check_error(rg.signed(server, rg.iam_form("TagUser", UserName=name, **tags_params([("new", "v")]))), 409,
                "LimitExceeded")


def test_integer_parameters(server):
    e = check_error(rg.signed(server, rg.iam_form("ListUsers", MaxItems="0")), 400, "ValidationError")
    assert e["message"] == (V1 + "Value '0' at 'maxItems' failed to satisfy constraint: "
                                 "Member must have value greater than or equal to 1")
    e = check_error(rg.signed(server, rg.iam_form("ListUsers", MaxItems="1001")), 400, "ValidationError")
    assert "Member must have value less than or equal to 1000" in e["message"]
    for junk in ("abc", "1.5", "", "99999999999999999999"):
        check_error(rg.signed(server, rg.iam_form("ListUsers", MaxItems=junk)), 400, "ValidationError")


def test_bad_marker(server):
    for marker in ("garbage", "%%%", "cmcxOg=", "bm90IG91cnM=", "cmcxOgB4"):
        check_error(rg.signed(server, rg.iam_form("ListUsers", Marker=marker)), 400, "InvalidInput")
    # longer than the model's 320 characters
    e = check_error(rg.signed(server, rg.iam_form("ListUsers", Marker="A" * 321)), 400, "ValidationError")
    assert "at 'marker' failed to satisfy constraint: Member must have length less than or equal to 320" in \
        e["message"]


def test_long_and_odd_parameter_names(server):
    r = rg.signed(server, rg.iam_form("ListUsers", **{"X" * 5000: "1", "Tags.member.1.Key.a.b.c.d": "x"}))
    assert r.status in (200, 400), r
    if r.status != 200:
        check_error(r, 400, r.error()["code"])


def test_truncated_request_line_and_garbage(server):
    # Not HTTP at all: the server must answer with a 4xx (or just close) and keep serving. (A connection that
    # half-closes after a partial request line is not always closed at once: the idle timeout takes care of it,
    # so do not wait long for its end.)
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, b"GET / HTTP/9.9\r\n\r\n",
                 b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"\r\n\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=1) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            if data:
                status = int(data.split(b" ", 2)[1])
                assert status < 500 or status == 505, data[:200]


def exchange(server, data, limit=3, until=None):
    """Sends raw bytes, returns everything the server writes until it closes (or `limit` seconds pass, or `until`
    has been read)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=limit) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if until and until in out:
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        return out


def one_response(raw):
    """Checks that raw holds exactly one HTTP response whose body is exactly its Content-Length; returns status."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, raw[:300]
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    lengths = [int(v.split(b":", 1)[1]) for v in lines[1:] if v.lower().startswith(b"content-length:")]
    assert len(lengths) == 1, head
    assert len(body) == lengths[0], f"body of {len(body)} bytes, Content-Length {lengths[0]}: {raw[:400]!r}"
    assert not body.startswith(b"HTTP/1."), f"a second header block in the body: {raw[:400]!r}"
    return status


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 (Debian) writes the header block of its own 400/413 "
                                       "error response twice when it refuses a Content-Length value, so the client "
                                       "reads a corrupt response; needs an MHD upgrade, not a rolegate change")
def test_invalid_content_length_gets_one_well_formed_response(server):
    for value in (b"-5", b"abc", b"99999999999999999999999"):
        raw = exchange(server, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + value + b"\r\n\r\n")
        assert one_response(raw) in (400, 413), raw[:300]


def test_conflicting_content_lengths_are_refused(server):
    raw = exchange(server, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                           b"abcdef", until=b"\r\n")
    assert raw.startswith(b"HTTP/1.1 400 "), raw[:300]


def test_server_still_answers_and_logged_no_5xx(server):
    # after all of the above
    assert rg.client(server, "sts").get_caller_identity()["Account"] == server.account
    assert rg.client(server, "iam").list_users(MaxItems=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(ERRORS_SEEN) > 40
    log = server.log()
    assert not re.search(r"status=5\d\d", log), [line for line in log.splitlines() if re.search(r"status=5\d\d", line)]
    for rid in ERRORS_SEEN:
        assert f"req={rid}" in log, rid
