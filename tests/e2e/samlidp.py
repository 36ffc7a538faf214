"""A test SAML 2.0 identity provider: a key and certificate made with openssl, its metadata document, and SAML
responses signed with xmlsec1's command line (Debian's xmlsec1), as an IdP would POST them to
https://signin.aws.amazon.com/saml; assertions encrypted to a service provider's key (SPKey: the private key a SAML
provider is given with AddPrivateKey) with `xmlsec1 --encrypt` and an EncryptedData template.

Responses are built as text, with every namespace declared on the element that uses it, so that a signed Assertion
cut out of one response and pasted into another (the XML signature wrapping variants) keeps exactly the bytes, and
the canonical form, that were signed: a refusal then comes from the wrapping, not from a digest that broke.
"""
import base64
import datetime
import subprocess
import uuid
from pathlib import Path

import rg

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
DATA_ALGS = {"aes128-cbc": (XENC + "aes128-cbc", "aes-128"), "aes256-cbc": (XENC + "aes256-cbc", "aes-256"),
             "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
             "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256")}
KEY_ALGS = {"rsa-oaep": XENC + "rsa-oaep-mgf1p", "rsa-1_5": XENC + "rsa-1_5"}
AWS_SIGNIN = "https://signin.aws.amazon.com/saml"
ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_ATTR = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
DURATION_ATTR = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def signature_template(ref_id, cert_b64):
    return (f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
            f'<ds:Reference URI="#{ref_id}"><ds:Transforms>'
            '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
            '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>'
            '</ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
            f'<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data>'
            '</ds:KeyInfo></ds:Signature>')


class IdP:
    """An identity provider whose entityID is `entity_id`, its key and certificate in directory d."""

    def __init__(self, d, entity_id="https://idp.example.test/saml", name="idp"):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.entity_id = entity_id
        self.key = self.dir / f"{name}.key"
        self.cert = self.dir / f"{name}.crt"
        rg.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key.name, "-out",
                   self.cert.name, "-days", "30", "-subj", f"/CN={name}.example.test", cwd=self.dir)
        pem = self.cert.read_text()
        self.cert_b64 = "".join(l for l in pem.splitlines() if not l.startswith("-----"))

    def metadata(self, valid_until=None):
        vu = f' validUntil="{iso(valid_until)}"' if valid_until else ""
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                f'entityID="{esc(self.entity_id)}"{vu}>\n'
                f'  <md:IDPSSODescriptor protocolSupportEnumeration="{SAMLP}">\n'
                f'    <md:KeyDescriptor use="signing">\n'
                f'      <ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data>\n'
                f'        <ds:X509Certificate>{self.cert_b64}</ds:X509Certificate>\n'
                f'      </ds:X509Data></ds:KeyInfo>\n'
                f'    </md:KeyDescriptor>\n'
                f'    <md:NameIDFormat>{PERSISTENT}</md:NameIDFormat>\n'
                f'    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
                f'Location="https://idp.example.test/sso"/>\n'
                f'  </md:IDPSSODescriptor>\n'
                f'</md:EntityDescriptor>\n')

    def assertion(self, subject="anay", roles=(), session_name="anay", now=None, lifetime=300,
                  audience=AWS_SIGNIN, recipient=AWS_SIGNIN, attrs=None, duration=None, aid=None, signed=True,
                  issuer=None, name_id_xml=None, subject_format=PERSISTENT):
        """The text of one saml:Assertion (with a signature template when signed: sign() fills it)."""
        import time

        now = int(now if now is not None else time.time())
        aid = aid or "_a" + uuid.uuid4().hex
        attributes = []
        if roles:
            attributes.append((ROLE_ATTR, [f"{r},{p}" for r, p in roles]))
        if session_name is not None:
            attributes.append((SESSION_ATTR, [session_name]))
        if duration is not None:
            attributes.append((DURATION_ATTR, [str(duration)]))
        attributes.extend((attrs or {}).items())
        attr_xml = "".join(
            f'<saml:Attribute Name="{esc(n)}">' +
            "".join(f"<saml:AttributeValue>{esc(v)}</saml:AttributeValue>" for v in vals) +
            "</saml:Attribute>" for n, vals in attributes)
        nid = name_id_xml if name_id_xml is not None else esc(subject)
        sig = signature_template(aid, self.cert_b64) if signed else ""
        return (f'<saml:Assertion xmlns:saml="{SAML}" ID="{aid}" Version="2.0" IssueInstant="{iso(now)}">'
                f'<saml:Issuer>{esc(issuer or self.entity_id)}</saml:Issuer>{sig}'
                f'<saml:Subject><saml:NameID Format="{subject_format}">{nid}</saml:NameID>'
                f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
                f'<saml:SubjectConfirmationData NotOnOrAfter="{iso(now + lifetime)}" Recipient="{esc(recipient)}"/>'
                f'</saml:SubjectConfirmation></saml:Subject>'
                f'<saml:Conditions NotBefore="{iso(now - 5)}" NotOnOrAfter="{iso(now + lifetime)}">'
                f'<saml:AudienceRestriction><saml:Audience>{esc(audience)}</saml:Audience></saml:AudienceRestriction>'
                f'</saml:Conditions>'
                f'<saml:AuthnStatement AuthnInstant="{iso(now)}"><saml:AuthnContext><saml:AuthnContextClassRef>'
                f'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>'
                f'</saml:AuthnContext></saml:AuthnStatement>'
                f'<saml:AttributeStatement>{attr_xml}</saml:AttributeStatement></saml:Assertion>')

    def response(self, assertion_xml, rid=None, destination=AWS_SIGNIN, sign_response=False, issuer=None):
        """The text of a samlp:Response around assertion_xml (with a signature template when sign_response)."""
        rid = rid or "_r" + uuid.uuid4().hex
        sig = signature_template(rid, self.cert_b64) if sign_response else ""
        dest = f' Destination="{esc(destination)}"' if destination else ""
        return (f'<samlp:Response xmlns:samlp="{SAMLP}" ID="{rid}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"'
                f'{dest}><saml:Issuer xmlns:saml="{SAML}">{esc(issuer or self.entity_id)}</saml:Issuer>{sig}'
                f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
                f'{assertion_xml}</samlp:Response>')

    def sign(self, xml, node="Assertion", key=None, cert=None):
        """xml with its signature template(s) for `node` (Assertion or Response) filled by xmlsec1 --sign."""
        ns = SAML if node == "Assertion" else SAMLP
        src = self.dir / f"t-{uuid.uuid4().hex}.xml"
        out = self.dir / f"s-{uuid.uuid4().hex}.xml"
        src.write_text(xml)
        p = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{key or self.key},{cert or self.cert}",
                            "--id-attr:ID", f"{ns}:{node}", "--output", str(out), str(src)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        text = out.read_text()
        src.unlink()
        out.unlink()
        # xmlsec1 writes an XML declaration; the signed element's bytes are what follows it
        return text.split("?>", 1)[1].lstrip("\n") if text.startswith("<?xml") else text

    def signed_response(self, **kw):
        """A response whose Assertion is signed (the usual IdP), base64 as posted."""
        return b64(self.sign(self.response(self.assertion(**kw))))


class SPKey:
    """The service provider's RSA key pair (made with openssl) that assertions are encrypted to: `pem` is what
    AddPrivateKey takes, `cert` what the IdP encrypts with."""

    def __init__(self, d, name="sp", bits=2048):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.key = self.dir / f"{name}.key"
        self.cert = self.dir / f"{name}.crt"
        rg.openssl("req", "-x509", "-newkey", f"rsa:{bits}", "-nodes", "-keyout", self.key.name, "-out",
                   self.cert.name, "-days", "30", "-subj", f"/CN={name}.sp.example.test", cwd=self.dir)
        self.pem = self.key.read_text()
        # the key's base64 body (what must never be found in the store in clear)
        self.pem_body = [l for l in self.pem.splitlines() if l and not l.startswith("-----")]


def encrypt(assertion_xml, sp, data_alg="aes256-cbc", key_alg="rsa-oaep", key_inside=True, raw=False):
    """A saml:EncryptedAssertion holding assertion_xml (an Assertion whose namespaces are its own), encrypted by
    `xmlsec1 --encrypt` to sp's certificate: EncryptedData with data_alg, its session key in an EncryptedKey with
    key_alg, in the EncryptedData's KeyInfo (key_inside) or beside it in the EncryptedAssertion. raw: the text is
    encrypted as bytes (--binary-data), whatever it is, still marked Type Element."""
    uri, session = DATA_ALGS[data_alg]
    ek = (f'<xenc:EncryptedKey xmlns:xenc="{XENC}"><xenc:EncryptionMethod Algorithm="{KEY_ALGS[key_alg]}"/>'
          '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey>')
    template = (f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">'
                f'<xenc:EncryptionMethod Algorithm="{uri}"/>'
                f'<ds:KeyInfo xmlns:ds="{DS}">{ek}</ds:KeyInfo>'
                '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>')
    tmpl = sp.dir / f"e-{uuid.uuid4().hex}.xml"
    data = sp.dir / f"d-{uuid.uuid4().hex}.xml"
    out = sp.dir / f"o-{uuid.uuid4().hex}.xml"
    tmpl.write_text(template)
    data.write_text(assertion_xml)
    p = subprocess.run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", str(sp.cert), "--session-key", session,
                        "--binary-data" if raw else "--xml-data", str(data), "--output", str(out), str(tmpl)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    for f in (tmpl, data, out):
        f.unlink()
    text = text.split("?>", 1)[1].strip() if text.startswith("<?xml") else text.strip()
    if not key_inside:  # the EncryptedKey moved out of KeyInfo, beside the EncryptedData (another IdPs' layout)
        i, j = text.index("<xenc:EncryptedKey"), text.index("</xenc:EncryptedKey>") + len("</xenc:EncryptedKey>")
        key = text[i:j]
        text = text[:i] + text[j:]
        return f'<saml:EncryptedAssertion xmlns:saml="{SAML}">{text}{key}</saml:EncryptedAssertion>'
    return f'<saml:EncryptedAssertion xmlns:saml="{SAML}">{text}</saml:EncryptedAssertion>'


def b64(xml):
    return base64.b64encode(xml.encode()).decode()


def cut(xml, start_tag, end_tag):
    """The substring of xml from the first start_tag to the end of the matching end_tag (no nesting)."""
    i = xml.index(start_tag)
    j = xml.index(end_tag, i) + len(end_tag)
    return xml[i:j]
