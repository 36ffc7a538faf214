"""A small SigV4 signer for the end-to-end tests: hashlib/hmac, and the signing time is an argument.

Tests about time (expired and not-yet-valid signatures, presigned expiry, a server on a shifted clock) sign with this
at an explicit time instead of changing a library's clock: botocore signs through the CRT when python3-awscrt is
importable, and a patched botocore.auth.get_current_datetime then changes nothing.

  sign_headers(method, url, headers, body, secret, akid, when, service, region, token=None) -> headers to add
  presign(method, url, secret, akid, when, service, region, expires, token=None) -> the presigned URL
  resign_at(events, now, secret_of)   re-signs every request a botocore client (or session) sends, at now()

The canonical query follows the AWS rules as rolegate's verifier reads them: each parameter percent-decoded ('+' is
a space), URI-encoded again (unreserved characters kept), sorted.
"""
import datetime
import hashlib
import hmac
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
UNRESERVED = "-_.~"


def _amz_date(when):
    return datetime.datetime.fromtimestamp(int(when), datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _quote(s):
    return urllib.parse.quote(s, safe=UNRESERVED)


def canonical_query(query):
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        k, _, v = piece.partition("=")
        pairs.append((_quote(urllib.parse.unquote_plus(k)), _quote(urllib.parse.unquote_plus(v))))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature(secret, amz_date, region, service, canonical_request):
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret).encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _canonical_request(method, parts, query, headers, payload_hash):
    names = sorted(headers)
    canon_headers = "".join(f"{n}:{' '.join(str(headers[n]).split())}\n" for n in names)
    path = parts.path or "/"
    return "\n".join([method, path, canonical_query(query), canon_headers, ";".join(names), payload_hash]), names


def sign_headers(method, url, headers, body, secret, akid, when, service, region, token=None):
    """The headers (Host, X-Amz-Date, X-Amz-Security-Token, Authorization) that sign this request at `when`
    (seconds since the epoch). Content-Type and X-Amz-Target are signed when given in headers."""
    parts = urllib.parse.urlsplit(url)
    amz_date = _amz_date(when)
    if isinstance(body, str):
        body = body.encode()
    signed = {"host": parts.netloc, "x-amz-date": amz_date}
    for name, value in (headers or {}).items():
        if name.lower() in ("content-type", "x-amz-target"):
            signed[name.lower()] = value.decode() if isinstance(value, bytes) else value
    if token:
        signed["x-amz-security-token"] = token
    canon, names = _canonical_request(method, parts, parts.query, signed, hashlib.sha256(body or b"").hexdigest())
    sig = signature(secret, amz_date, region, service, canon)
    out = {"Host": parts.netloc, "X-Amz-Date": amz_date,
           "Authorization": f"{ALGORITHM} Credential={akid}/{amz_date[:8]}/{region}/{service}/aws4_request, "
                            f"SignedHeaders={';'.join(names)}, Signature={sig}"}
    if token:
        out["X-Amz-Security-Token"] = token
    return out


def presign(method, url, secret, akid, when, service, region, expires, token=None):
    """url (its query holding the action's parameters) presigned at `when` for `expires` seconds (no body: the
    payload hash is that of the empty string, as botocore signs for every service but S3)."""
    parts = urllib.parse.urlsplit(url)
    amz_date = _amz_date(when)
    auth = [("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", f"{akid}/{amz_date[:8]}/{region}/{service}/aws4_request"),
            ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(expires)), ("X-Amz-SignedHeaders", "host")]
    if token:
        auth.append(("X-Amz-Security-Token", token))
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(auth, quote_via=urllib.parse.quote)]))
    canon, _ = _canonical_request(method, parts, query, {"host": parts.netloc}, hashlib.sha256(b"").hexdigest())
    sig = signature(secret, amz_date, region, service, canon)
    return urllib.parse.urlunsplit(parts._replace(query=f"{query}&X-Amz-Signature={sig}"))


def _claimed_scope(authorization):
    """(access key id, region, service) from an Authorization header value."""
    cred = authorization.split("Credential=", 1)[1].split(",", 1)[0].strip()
    akid, _, region, service, _ = cred.split("/")
    return akid, region, service


def resign_at(events, now, secret_of):
    """Registers, on a botocore client's or session's event system (client.meta.events, session), a before-send
    handler that signs each outgoing request again, with this signer at now() (seconds since the epoch), replacing
    whatever signature botocore made (with or without the CRT). The access key, region and service are the ones the
    request claims; secret_of(access key id) gives the secret. The session token header, if any, stays and is signed.
    Returns the handler (to unregister it)."""

    def text(v):
        return v.decode() if isinstance(v, bytes) else v

    def handler(request, **_):
        auth = text(request.headers.get("Authorization"))
        if not auth:
            return None
        akid, region, service = _claimed_scope(auth)
        token = text(request.headers.get("X-Amz-Security-Token"))
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"):
            if name in request.headers:
                del request.headers[name]
        headers = {k: v for k, v in request.headers.items()}
        body = request.body
        if hasattr(body, "read"):
            pos = body.tell()
            data = body.read()
            body.seek(pos)
            body = data
        new = sign_headers(request.method, request.url, headers, body, secret_of(akid), akid, now(), service,
                           region, token=token)
        new.pop("Host")  # the HTTP client sends it from the URL, exactly as signed
        for name, value in new.items():
            request.headers[name] = value
        return None

    events.register("before-send", handler)
    return handler
