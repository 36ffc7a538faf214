"""Virtual MFA devices through boto3 and the aws CLI: CreateVirtualMFADevice (the seed as base32 text and as a QR
code PNG), EnableMFADevice with two consecutive TOTP codes, ListMFADevices, ListVirtualMFADevices with
AssignmentStatus, ResyncMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice, tags; the root's own device; the
refusals (wrong codes, spent codes, devices in use, quotas) with AWS's errors; the seed in no log and no audit row.

The codes are computed here with a small RFC 6238 implementation (HMAC-SHA1, 6 digits, 30 s steps) for the real
clock: EnableMFADevice takes the codes of the previous and the current step, as a person types them.
"""
import base64
import hashlib
import hmac
import re
import sqlite3
import struct
import time
import zlib
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import rg

B32_SEED = re.compile(r"[A-Z2-7]{64}")


def totp(seed_b32, counter):
    """The 6-digit RFC 6238 code of a base32 seed at a time step."""
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def step(t=None):
    return int(time.time() if t is None else t) // 30


def pair(seed, k=None):
    """Two consecutive codes ending at step k (default: now)."""
    k = step() if k is None else k
    return totp(seed, k - 1), totp(seed, k)


def wrong(seed, k=None):
    """A code that is no code of the seed near step k."""
    k = step() if k is None else k
    near = {totp(seed, k + d) for d in range(-12, 13)}
    return next(c for c in ("%06d" % i for i in range(0, 1000000, 7919)) if c not in near)


def create(iam, name=None, **kw):
    """Creates a device; returns (serial, seed text) and remembers the seed as a secret no log may hold."""
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=name or rg.unique("mfa"), **kw)["VirtualMFADevice"]
    seed = d["Base32StringSeed"].decode()
    rg.SEEN_SECRETS.add(seed)
    return d["SerialNumber"], seed


def enable(iam, user, serial, seed):
    c1, c2 = pair(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)


def parse_png(data):
    """(width, height, bit depth, colour type, raw scanlines) after checking the chunks and their CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    o, chunks, idat = 8, [], b""
    while o < len(data):
        n = struct.unpack(">I", data[o:o + 4])[0]
        kind, body = data[o + 4:o + 8], data[o + 8:o + 8 + n]
        assert struct.unpack(">I", data[o + 8 + n:o + 12 + n])[0] == zlib.crc32(kind + body)
        chunks.append(kind)
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        o += 12 + n
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    raw = zlib.decompress(idat)
    assert len(raw) == h * (1 + (w * depth + 7) // 8)
    return w, h, depth, colour, raw


def test_create_shape(server, iam):
    name = rg.unique("dev")
    r = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    d = r["VirtualMFADevice"]
    seed = d["Base32StringSeed"].decode()
    rg.SEEN_SECRETS.add(seed)
    assert d["SerialNumber"] == f"arn:aws:iam::{server.account}:mfa/{name}"
    # a 64-character base32 seed (40 bytes), as AWS's
    assert B32_SEED.fullmatch(seed), seed
    assert len(base64.b32decode(seed)) == 40
    # a QR code PNG: 1-bit grayscale, square, whole modules with a quiet zone
    w, h, depth, colour, raw = parse_png(d["QRCodePNG"])
    assert (w, depth, colour) == (h, 1, 0)
    assert 100 <= w <= 600
    stride = (w + 7) // 8
    # the first scanline lies in the quiet zone: all white (1 bits); the middle one crosses dark modules
    first = int.from_bytes(raw[1:1 + stride], "big") >> (8 * stride - w)
    middle = h // 2 * (1 + stride)
    assert raw[0] == 0 and first == (1 << w) - 1
    assert int.from_bytes(raw[middle + 1:middle + 1 + stride], "big") >> (8 * stride - w) != (1 << w) - 1
    # two devices never share a seed
    _, seed2 = create(iam)
    assert seed2 != seed
    # the device is listed, unassigned, without its seed
    listed = [v for v in iam.list_virtual_mfa_devices()["VirtualMFADevices"] if v["SerialNumber"] == d["SerialNumber"]]
    assert listed == [{"SerialNumber": d["SerialNumber"]}]


def test_create_with_path_and_tags(server, iam):
    name = rg.unique("pathdev")
    serial, _ = create(iam, name, Path="/division/team/", Tags=[{"Key": "owner", "Value": "ops"}])
    assert serial == f"arn:aws:iam::{server.account}:mfa/division/team/{name}"
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "owner", "Value": "ops"}]


def test_create_duplicate(iam):
    name = rg.unique("dup")
    create(iam, name)
    for again in (name, name.upper()):
        with pytest.raises(ClientError) as ei:
            iam.create_virtual_mfa_device(VirtualMFADeviceName=again)
        assert rg.err(ei)[:3] == ("EntityAlreadyExists", "MFADevice entity at the same path and name already exists.",
                                  409)


def test_create_invalid_input(iam):
    with pytest.raises(ClientError) as ei:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="bad name")
    assert rg.err(ei)[0] == "ValidationError"
    with pytest.raises(ClientError) as ei:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="ok", Path="no-slashes")
    assert rg.err(ei)[0] == "ValidationError"


def test_enable_list_deactivate_delete(server, iam):
    user = rg.unique("mfauser")
    iam.create_user(UserName=user)
    serial, seed = create(iam)

    # wrong codes, codes in the wrong order, the same code twice: refused, nothing assigned
    k = step()
    for c1, c2 in ((wrong(seed), wrong(seed)), (totp(seed, k), totp(seed, k - 1)), (totp(seed, k), totp(seed, k)),
                   (totp(seed, k - 2), totp(seed, k))):
        with pytest.raises(ClientError) as ei:
            iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
        assert rg.err(ei)[:3] == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []

    before = time.time()
    enable(iam, user, serial, seed)
    devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [(user, serial)]
    assert before - 2 <= devices[0]["EnableDate"].timestamp() <= time.time() + 1

    v = [d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
         if d["SerialNumber"] == serial]
    assert len(v) == 1 and v[0]["User"]["UserName"] == user
    assert v[0]["User"]["Arn"] == f"arn:aws:iam::{server.account}:user/{user}"
    assert v[0]["EnableDate"] == devices[0]["EnableDate"]
    assert serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(
        AssignmentStatus="Unassigned")["VirtualMFADevices"]]

    # in use: cannot be enabled again (for anyone) or deleted
    other = rg.unique("mfaother")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as ei:
        enable(iam, other, serial, seed)
    assert rg.err(ei)[0] == "EntityAlreadyExists"
    with pytest.raises(ClientError) as ei:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert rg.err(ei)[0] == "DeleteConflict" and rg.err(ei)[2] == 409

    # deactivated by another user's name: not that user's device
    with pytest.raises(ClientError) as ei:
        iam.deactivate_mfa_device(UserName=other, SerialNumber=serial)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"VirtualMFADevice with serial number {serial} doesn't exist.", 404)

    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    v = [d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
         if d["SerialNumber"] == serial]
    assert v == [{"SerialNumber": serial}]
    with pytest.raises(ClientError) as ei:
        iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert rg.err(ei)[0] == "NoSuchEntity"

    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    with pytest.raises(ClientError) as ei:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"VirtualMFADevice with serial number {serial} doesn't exist.", 404)


def test_enable_refusals(server, iam):
    serial, seed = create(iam)
    c1, c2 = pair(seed)
    with pytest.raises(ClientError) as ei:
        iam.enable_mfa_device(UserName="no-such-mfa-user", SerialNumber=serial, AuthenticationCode1=c1,
                              AuthenticationCode2=c2)
    assert rg.err(ei)[:3] == ("NoSuchEntity", "The user with name no-such-mfa-user cannot be found.", 404)
    user = rg.unique("mfaref")
    iam.create_user(UserName=user)
    missing = f"arn:aws:iam::{server.account}:mfa/not-there"
    with pytest.raises(ClientError) as ei:
        iam.enable_mfa_device(UserName=user, SerialNumber=missing, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert rg.err(ei)[:2] == ("NoSuchEntity", f"VirtualMFADevice with serial number {missing} doesn't exist.")
    # another account's serial is not this account's device
    foreign = "arn:aws:iam::111122223333:mfa/x"
    with pytest.raises(ClientError) as ei:
        iam.enable_mfa_device(UserName=user, SerialNumber=foreign, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert rg.err(ei)[0] == "NoSuchEntity"
    # the model's checks: six digits (botocore checks the length itself; a raw request gets the server's answer)
    with pytest.raises(ClientError) as ei:
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="12345a", AuthenticationCode2=c2)
    assert rg.err(ei)[0] == "ValidationError"
    r = rg.signed(server, rg.iam_form("EnableMFADevice", UserName=user, SerialNumber=serial,
                                      AuthenticationCode1="12345", AuthenticationCode2=c2))
    assert r.status == 400 and r.error()["code"] == "ValidationError"


def test_devices_per_user_quota(iam):
    user = rg.unique("eight")
    iam.create_user(UserName=user)
    for _ in range(8):
        enable(iam, user, *create(iam))
    serial, seed = create(iam)
    with pytest.raises(ClientError) as ei:
        enable(iam, user, serial, seed)
    assert rg.err(ei)[:3] == ("LimitExceeded", "Cannot exceed quota for MFADevicesPerUser: 8", 409)
    assert len(iam.list_mfa_devices(UserName=user)["MFADevices"]) == 8
    # paging through them
    page = iam.list_mfa_devices(UserName=user, MaxItems=5)
    assert len(page["MFADevices"]) == 5 and page["IsTruncated"] is True
    rest = iam.list_mfa_devices(UserName=user, MaxItems=5, Marker=page["Marker"])
    assert len(rest["MFADevices"]) == 3 and rest["IsTruncated"] is False
    serials = [d["SerialNumber"] for d in page["MFADevices"] + rest["MFADevices"]]
    assert serials == sorted(serials) and len(set(serials)) == 8


def test_list_virtual_assignment_status_and_paging(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user = rg.unique("lv")
    iam.create_user(UserName=user)
    devs = [create(iam, f"lv-{i}") for i in range(5)]
    for serial, seed in devs[:2]:
        enable(iam, user, serial, seed)
    everything = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in everything] == [s for s, _ in devs]  # Any is the default, serial order
    assert [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Any")[
        "VirtualMFADevices"]] == [s for s, _ in devs]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in assigned] == [s for s, _ in devs[:2]]
    assert all(d["User"]["UserName"] == user and "EnableDate" in d for d in assigned)
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in unassigned] == [s for s, _ in devs[2:]]
    assert all("User" not in d and "EnableDate" not in d for d in unassigned)
    # pages of two
    seen, marker = [], None
    while True:
        kw = {"MaxItems": 2, **({"Marker": marker} if marker else {})}
        page = iam.list_virtual_mfa_devices(**kw)
        seen += [d["SerialNumber"] for d in page["VirtualMFADevices"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == [s for s, _ in devs]
    # boto3's paginator walks them too
    pages = iam.get_paginator("list_virtual_mfa_devices").paginate(PaginationConfig={"PageSize": 3})
    assert [d["SerialNumber"] for p in pages for d in p["VirtualMFADevices"]] == [s for s, _ in devs]
    with pytest.raises(ClientError) as ei:
        iam.list_virtual_mfa_devices(AssignmentStatus="Maybe")
    assert rg.err(ei)[0] == "ValidationError"
    with pytest.raises(ClientError) as ei:
        iam.list_virtual_mfa_devices(Marker="not-a-marker")
    assert rg.err(ei)[:2] == ("InvalidInput", "Invalid Marker.")


def test_resync(iam):
    user = rg.unique("resync")
    iam.create_user(UserName=user)
    serial, seed = create(iam)
    k = step()
    c1, c2 = totp(seed, k - 1), totp(seed, k)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    # the codes that enabled the device are spent
    with pytest.raises(ClientError) as ei:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert rg.err(ei)[:3] == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    with pytest.raises(ClientError) as ei:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=wrong(seed),
                              AuthenticationCode2=wrong(seed))
    assert rg.err(ei)[0] == "InvalidAuthenticationCode"
    # a device whose clock runs a few steps ahead resynchronises with its next two codes
    iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, k + 2),
                          AuthenticationCode2=totp(seed, k + 3))
    # and those are spent too
    with pytest.raises(ClientError) as ei:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, k + 2),
                              AuthenticationCode2=totp(seed, k + 3))
    assert rg.err(ei)[0] == "InvalidAuthenticationCode"
    # an unassigned device cannot be resynchronised
    serial2, seed2 = create(iam)
    with pytest.raises(ClientError) as ei:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial2, AuthenticationCode1=totp(seed2, k + 4),
                              AuthenticationCode2=totp(seed2, k + 5))
    assert rg.err(ei)[0] == "NoSuchEntity"


def test_tags(server, iam):
    serial, _ = create(iam, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "one"}])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "A", "Value": "one"},
                                                                     {"Key": "b", "Value": "2"}]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["a", "missing"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as ei:
        iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert rg.err(ei)[:2] == ("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    with pytest.raises(ClientError) as ei:
        iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert rg.err(ei)[:2] == ("LimitExceeded", "Cannot exceed quota for TagsPerMFADevice: 50")
    page = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=1)
    assert len(page["Tags"]) == 1 and page["IsTruncated"] is False
    missing = f"arn:aws:iam::{server.account}:mfa/nothing-here"
    for call in (lambda: iam.tag_mfa_device(SerialNumber=missing, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: iam.untag_mfa_device(SerialNumber=missing, TagKeys=["k"]),
                 lambda: iam.list_mfa_device_tags(SerialNumber=missing)):
        with pytest.raises(ClientError) as ei:
            call()
        assert rg.err(ei)[:3] == ("NoSuchEntity", f"VirtualMFADevice with serial number {missing} doesn't exist.",
                                  404)
    # deleting the device deletes its tags: a new device of the same name starts without
    name = serial.rsplit("/", 1)[1]
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    serial2, _ = create(iam, name)
    assert serial2 == serial
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == []


def test_root_device(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    serial, seed = create(iam, "root-account-mfa-device")
    assert serial == f"arn:aws:iam::{srv.account}:mfa/root-account-mfa-device"
    # the root names itself by its account id where UserName is required
    enable(iam, srv.account, serial, seed)
    mine = iam.list_mfa_devices()["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in mine] == [(srv.account, serial)]
    assert iam.list_mfa_devices(UserName=srv.account)["MFADevices"] == mine
    v = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert v[0]["User"]["Arn"] == f"arn:aws:iam::{srv.account}:root"
    assert v[0]["User"]["UserId"] == srv.account
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1, 1)
    # deactivated without UserName: the caller's (root's) device
    iam.deactivate_mfa_device(SerialNumber=serial)
    assert iam.list_mfa_devices()["MFADevices"] == []
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    # enabled again, then deactivated by naming the account id
    enable(iam, srv.account, serial, seed)
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
    iam.deactivate_mfa_device(UserName=srv.account, SerialNumber=serial)
    assert iam.list_mfa_devices()["MFADevices"] == []


def test_cli(server, cli, tmp_path):
    """The aws CLI: --outfile/--bootstrap-method write the seed and the QR code; enable, list, deactivate, delete."""
    name = rg.unique("clidev")
    user = rg.unique("cliuser")
    assert cli("iam", "create-user", "--user-name", user)[0] == 0
    seed_file, png_file = tmp_path / "seed.txt", tmp_path / "qr.png"
    out = rg.cli_json(cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name, "--outfile",
                          str(seed_file), "--bootstrap-method", "Base32StringSeed"))
    serial = out["VirtualMFADevice"]["SerialNumber"]
    seed = seed_file.read_text()
    rg.SEEN_SECRETS.add(seed)
    assert serial == f"arn:aws:iam::{server.account}:mfa/{name}" and B32_SEED.fullmatch(seed)
    out = rg.cli_json(cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name + "-qr",
                          "--outfile", str(png_file), "--bootstrap-method", "QRCodePNG"))
    parse_png(png_file.read_bytes())
    c1, c2 = pair(seed)
    assert cli("iam", "enable-mfa-device", "--user-name", user, "--serial-number", serial,
               "--authentication-code1", c1, "--authentication-code2", c2)[0] == 0
    listed = rg.cli_json(cli("iam", "list-mfa-devices", "--user-name", user))["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    assigned = rg.cli_json(cli("iam", "list-virtual-mfa-devices", "--assignment-status", "Assigned"))
    assert serial in [d["SerialNumber"] for d in assigned["VirtualMFADevices"]]
    code, op, msg = rg.cli_error(cli("iam", "delete-virtual-mfa-device", "--serial-number", serial))
    assert (code, op) == ("DeleteConflict", "DeleteVirtualMFADevice")
    w = wrong(seed)
    code, op, msg = rg.cli_error(cli("iam", "resync-mfa-device", "--user-name", user, "--serial-number", serial,
                                     "--authentication-code1", w, "--authentication-code2", w))
    assert (code, msg) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.")
    assert cli("iam", "deactivate-mfa-device", "--user-name", user, "--serial-number", serial)[0] == 0
    assert cli("iam", "delete-virtual-mfa-device", "--serial-number", serial)[0] == 0
    code, op, msg = rg.cli_error(cli("iam", "delete-virtual-mfa-device", "--serial-number", serial))
    assert code == "NoSuchEntity"


@pytest.mark.sqlite_only('reads DATA/rolegate.db with sqlite3')
def test_seed_never_stored_or_logged(server_factory):
    """The seed is sealed in the store, absent from the audit trail and the log (conftest checks the log)."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user = rg.unique("sealed")
    iam.create_user(UserName=user)
    serial, seed = create(iam, "sealed")
    enable(iam, user, serial, seed)
    raw = base64.b32decode(seed)
    assert srv.stop() == 0
    db = sqlite3.connect(f"file:{Path(srv.data_dir) / 'rolegate.db'}?mode=ro", uri=True)
    try:
        (sealed,) = db.execute("SELECT seed_sealed FROM mfa_devices WHERE serial = ?", (serial,)).fetchone()
        audit = db.execute("SELECT action, outcome, coalesce(detail, '') FROM audit").fetchall()
    finally:
        db.close()
    assert len(sealed) == 40 + 29 and raw not in sealed and seed.encode() not in sealed
    for row in audit:
        assert seed not in row[2]
        assert "AuthenticationCode" not in row[2], row  # the codes that enabled the device are not kept either
    actions = [a for a, outcome, _ in audit if outcome == "Success"]
    assert "iam:CreateVirtualMFADevice" in actions and "iam:EnableMFADevice" in actions
    assert seed not in srv.all_logs()
