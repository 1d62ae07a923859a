"""``entente verify --explain``: the same checks as a shell script of standard tools.

The script runs in an empty folder with poppler-utils (``pdfsig``, ``pdfdetach``), OpenSSL 3, ``curl``
for URLs, ``sha256sum`` and a plain ``python3`` (standard library only): each party's signature, at
release and of a later alignment, and the log's checkpoint are checked by ``openssl pkeyutl -verify
-rawin`` (Ed25519) or ``openssl dgst`` (ES256); the Python lines only cut the JSON into the files
OpenSSL reads, compare what the files say of each other and do the Merkle arithmetic of RFC 9162, which
no standard tool does.
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from entente.verification.sources import Material, release_urls

__all__ = ["script"]

_SPLIT_BUNDLE = r"""python3 - <<'PY'
import base64, json
bundle = json.load(open("bundle.json"))
record = bundle["record"]
def b64u(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
open("version.json", "wb").write(b64u(record["version"]))
json.dump(record["disclosures"], open("disclosures.json", "w"))
json.dump(record["signoffs"], open("signoffs.json", "w"))
json.dump(bundle["roster"], open("roster.json", "w"))
json.dump(bundle["log"], open("log-proof.json", "w"))
if bundle.get("alignments"):  # parties that aligned later (a PDF rendered again with them embeds the same)
    json.dump(bundle["alignments"], open("alignments.json", "w"))
print("version digest in the record:", record["version_digest"])
PY"""

# Python lines shared by the steps that check JWS signatures: each signature as the three files OpenSSL
# reads (the JWS signing input, the public key as PEM, the signature) and the command that checks them.
_OPENSSL_FILES = r"""def b64u(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def pem(der): return "-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(der).decode() + "-----END PUBLIC KEY-----\n"
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    return b"\x02" + bytes([len(b) + (b[0] >> 7)]) + (b"\0" if b[0] >> 7 else b"") + b
def openssl_check(name, jwk, signature, payload):
    # The name comes from the file's roster (a party code), which nothing has authenticated yet: it becomes
    # file names and a shell command, so letters, digits and dashes only.
    assert name.isascii() and name.replace("-", "").isalnum(), "refusing the party code in %r" % name
    open(name + ".input", "wb").write(signature["protected"].encode() + b"." + payload)
    raw = b64u(signature["signature"])
    if jwk["kty"] == "OKP":  # Ed25519: SubjectPublicKeyInfo prefix, raw signature
        open(name + ".pem", "w").write(pem(bytes.fromhex("302a300506032b6570032100") + b64u(jwk["x"])))
        open(name + ".sig", "wb").write(raw)
        return "openssl pkeyutl -verify -pubin -inkey %s.pem -rawin -in %s.input -sigfile %s.sig" % (name, name, name)
    # ES256: P-256 SubjectPublicKeyInfo, R||S as a DER sequence
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + b64u(jwk["x"]) + b64u(jwk["y"])
    open(name + ".pem", "w").write(pem(spki))
    body = der_int(raw[:32]) + der_int(raw[32:])
    open(name + ".sig", "wb").write(b"\x30" + bytes([len(body)]) + body)
    return "openssl dgst -sha256 -verify %s.pem -signature %s.sig %s.input" % (name, name, name)"""

# Python lines shared by the steps that check log entries: RFC 9162 section 2.1.3.2, the entry's leaf
# (its exact bytes) once its inclusion proof leads to the checkpoint's root.
_INCLUSION = r"""def sha(b): return hashlib.sha256(b).digest()
def node(l, r): return sha(b"\x01" + l + r)
def included(entry, size, root):  # RFC 9162 section 2.1.3.2
    leaf = base64.b64decode(entry["leaf"])
    fn, sn, r = entry["index"], size - 1, sha(b"\x00" + leaf)
    for p in map(base64.b64decode, entry["proof"]):
        assert sn != 0, "proof too long"
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0 and r == root, "entry %d is not in the tree of size %d" % (entry["index"], size)
    print("inclusion proof ok: entry %d in the tree of size %d" % (entry["index"], size))
    return json.loads(leaf)"""

_SIGNATURES = (
    r"""python3 - <<'PY'
import base64, json, hashlib
"""
    + _OPENSSL_FILES
    + r"""
version = open("version.json", "rb").read()
payload = base64.urlsafe_b64encode(version).rstrip(b"=")
roster = json.load(open("roster.json"))[-1]["roster"]
keys = {k["kid"]: (p["code"], k) for p in roster["parties"] for k in p["keys"]}
commands = []
for e, envelope in enumerate(json.load(open("signoffs.json"))["explicit"]):
    for i, signature in enumerate(envelope["signatures"]):
        header = json.loads(b64u(signature["protected"]))
        party, jwk = keys[header["kid"]]
        commands.append(openssl_check("%s-%d-%d" % (party, e, i), jwk, signature, payload))
        print("%s signed version %s at iat %s with key %s" % (party, header["digest"], header["iat"], header["kid"]))
open("signatures.sh", "w").write("\n".join(commands) + "\n")
PY
sh -ex signatures.sh"""
)

_LOG = (
    r"""python3 - <<'PY'
import base64, hashlib, json
"""
    + _INCLUSION
    + r"""
log = json.load(open("log-proof.json"))
# The checkpoint (C2SP signed note): origin, size, base64 root; then "— name base64(keyhash4 || sig)".
text, _, signatures = log["checkpoint"].partition("\n\n")
text += "\n"
origin, size, root = text.split("\n")[:3]
size, root = int(size), base64.b64decode(root)
name, hash8, key = log["key"].split("+", 2)
raw = base64.b64decode(key)
assert raw[0] == 1, "an Ed25519 note key"
sig = next(base64.b64decode(l.split(" ")[2]) for l in signatures.splitlines() if l.split(" ")[1] == name)
assert sig[:4] == bytes.fromhex(hash8), "the signature line is the log key's"
open("checkpoint.txt", "w").write(text)
open("checkpoint.sig", "wb").write(sig[4:])
open("log-key.pem", "w").write("-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(bytes.fromhex("302a300506032b6570032100") + raw[1:]).decode() + "-----END PUBLIC KEY-----\n")
commitment = log["commitment"]
leaf = included(commitment, size, root)
digest = "sha256:" + hashlib.sha256(open("version.json", "rb").read()).hexdigest()
salt = base64.urlsafe_b64decode(commitment["salt"] + "=" * (-len(commitment["salt"]) % 4))
assert leaf["commitment"] == "sha256:" + hashlib.sha256(salt + digest.encode()).hexdigest()
print("commitment ok: entry %d committed to %s at %s" % (commitment["index"], digest, leaf["at"]))
if log.get("publication"):
    entry = included(log["publication"], size, root)
    assert entry["version_digest"] == digest and entry["commitment"]["index"] == commitment["index"]
    assert commitment["index"] < log["publication"]["index"], "the commitment precedes the publication"
    print("publication ok: entry %d, released %s, PDF %s" % (log["publication"]["index"], entry["released_at"], entry["pdf_digest"]))
PY
openssl pkeyutl -verify -pubin -inkey log-key.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig"""
)

# The rules of entente.verification.alignments: each alignment's JWS over the released version bytes by a
# key the roster gives its party (not a party that signed at release), the statement it signed, its log
# entry included in the checkpoint of step 5 and saying the same, and any withdrawal's entry likewise.
_ALIGNMENTS = (
    r"""python3 - <<'PY'
import base64, hashlib, json, shlex, unicodedata
from datetime import datetime
"""
    + _OPENSSL_FILES
    + "\n"
    + _INCLUSION
    + r"""
def text_digest(text):  # a statement or a reason: SHA-256 of its UTF-8, NFC-normalised, trimmed of white space
    return "sha256:" + hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode("utf-8")).hexdigest()
def instant(text): return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
version = open("version.json", "rb").read()
obj, digest = json.loads(version), "sha256:" + hashlib.sha256(version).hexdigest()
payload = base64.urlsafe_b64encode(version).rstrip(b"=")
roster = json.load(open("roster.json"))[-1]["roster"]
keys = {k["kid"]: (p["code"], k) for p in roster["parties"] for k in p["keys"]}
signed = {keys[json.loads(b64u(s["protected"]))["kid"]][0] for e in json.load(open("signoffs.json"))["explicit"] for s in e["signatures"]}
at_release = sorted(signed & set(obj["parties"]))  # their signatures were checked in step 4
size, root = json.load(open("log-proof.json"))["checkpoint"].split("\n")[1:3]  # the checkpoint of step 5
size, root = int(size), base64.b64decode(root)
commands, later, unsure = [], [], []
for n, item in enumerate(json.load(open("alignments.json"))):
    party, statement, envelope = item["party"], item.get("statement"), item["envelope"]
    assert party not in at_release, "%s signed at release already: an alignment cannot be counted twice" % party
    expected = text_digest(statement) if statement is not None else None
    assert envelope["signatures"] and envelope.get("payload") in (None, payload.decode()), "alignment %d: no JWS over the version bytes" % n
    for i, signature in enumerate(envelope["signatures"]):
        header = json.loads(b64u(signature["protected"]))
        signer, jwk = keys.get(header["kid"], ("no party of the roster", None))
        assert signer == party, "alignment %d (%s): signed with a key of %s" % (n, party, signer)
        assert header["typ"] == "entente-alignment+jws" and header["digest"] == digest and "crit" not in header, "alignment %d: not an alignment of these version bytes" % n
        assert header["alg"] in (("Ed25519", "EdDSA") if jwk["kty"] == "OKP" else ("ES256",)), "alignment %d: not the key's algorithm" % n
        iat, (start, end, revoked) = header["iat"], (instant(jwk.get(k)) for k in ("not_before", "not_after", "revoked_at"))
        assert (start is None or iat >= start) and (end is None or iat <= end) and (revoked is None or iat < revoked), "alignment %d: %s's key was not valid at iat %d" % (n, party, iat)
        assert header.get("statement_digest") == expected, "alignment %d: the statement shown is not the one %s signed" % (n, party)
        commands.append(openssl_check("alignment-%s-%d-%d" % (party, n, i), jwk, signature, payload))
    entry = item["log"]
    if entry is None:
        unsure.append("%s's alignment is not in a checkpoint yet" % party)
        continue
    leaf = included(entry, size, root)
    canonical = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()  # RFC 8785 for its strings
    expect = {"type": "entente-alignment", "communique": obj["communique"], "version_digest": digest, "party": party,
              "envelope_digest": "sha256:" + hashlib.sha256(canonical).hexdigest(), "statement_digest": expected, "aligned_at": item.get("aligned_at")}
    wrong = [name for name, value in expect.items() if leaf.get(name) != value]
    assert not wrong, "log entry %d disagrees: %s" % (entry["index"], ", ".join(wrong))
    withdrawn = item.get("withdrawn")
    if withdrawn:
        if withdrawn["log"] is None:
            unsure.append("%s's withdrawal is not in a checkpoint yet" % party)
            continue
        w = included(withdrawn["log"], size, root)
        assert (w["type"], w["alignment"], w["party"], w["withdrawn_at"], w["reason_digest"]) == (
            "entente-alignment-withdrawal", entry["index"], party, withdrawn["at"], text_digest(withdrawn["reason"])
        ), "withdrawal log entry %d disagrees with alignments.json" % withdrawn["log"]["index"]
        print("%s aligned at %s (log entry %d), WITHDRAWN at %s (log entry %d): %s" % (party, item["aligned_at"], entry["index"], withdrawn["at"], withdrawn["log"]["index"], withdrawn["reason"]))
    else:
        later.append(party)
        print("%s aligned at %s (log entry %d)%s" % (party, item["aligned_at"], entry["index"], " with a signed statement" if statement is not None else ""))
summary = "alignments: at release: %s; aligned later (not withdrawn): %s" % (", ".join(at_release) or "none", ", ".join(later) or "none")
commands.append("echo " + shlex.quote(summary))
commands += ["echo " + shlex.quote("indeterminate: " + "; ".join(unsure)), "exit 3"] if unsure else []
open("alignments.sh", "w").write("\n".join(commands) + "\n")
PY
sh -ex alignments.sh"""
)


def _has_alignments(bundle: object) -> bool:
    return isinstance(bundle, dict) and bool(bundle.get("alignments"))


def script(material: Material, *, source: str) -> str:
    """A shell script doing what ``entente verify`` does for ``source`` (a file or a URL)."""
    lines = [
        "#!/bin/sh",
        f"# What `entente verify {source}` checks, with standard tools. Run it in an empty folder:",
        "# poppler-utils (pdfsig, pdfdetach), OpenSSL 3, sha256sum and python3 (standard library only).",
        "set -e",
    ]
    remote = urlsplit(source).scheme in ("http", "https")
    pdf_url, bundle_url = release_urls(source) if remote else (None, None)
    if material.pdf is not None:
        if remote:
            lines += [f"curl -sSf -o statement.pdf {shlex.quote(pdf_url or source)}"]
            pdf = "statement.pdf"
        else:
            pdf = shlex.quote(source)
        lines += [
            "# 1. The PDF's own signature (PAdES, by the platform's P-256 certificate; pdfsig reports a",
            "#    file changed after signing, and a self-signed certificate as not trusted by your system):",
            f"pdfsig {pdf}",
            "# 2. The files embedded in it:",
            f"pdfdetach -saveall {pdf}",
        ]
    else:
        fetch = (
            f"curl -sSf -o bundle.json {shlex.quote(bundle_url or source)}"
            if remote
            else (f"cp {shlex.quote(source)} bundle.json")
        )
        lines += ["# 1-2. The publication bundle, cut into the files a PDF embeds:", fetch, _SPLIT_BUNDLE]
    lines += [
        "# 3. The exact bytes the parties signed: their SHA-256 is the version digest",
        "sha256sum version.json",
        "# 4. Each party's signature over those bytes (JWS, detached payload), with the roster's keys:",
        _SIGNATURES,
        "# 5. The transparency log: inclusion proofs against the signed checkpoint, and the commitment",
        "#    to this version logged before its release:",
        _LOG,
    ]
    if material.pdf is not None or _has_alignments(material.bundle):
        lines += [
            "# 6. Parties that aligned later (alignments.json, when there is one): each JWS over the same version",
            "#    bytes with a roster key of its party, the statement it signed, its log entry and any withdrawal's:",
            "if [ -f alignments.json ]; then",
            _ALIGNMENTS,
            "fi",
        ]
    lines += ["echo 'every check above passed'"]
    return "\n".join(lines) + "\n"
