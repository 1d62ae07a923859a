// The public verifier (/verify): checks a publication bundle or a public PDF in this browser, with
// WebCrypto only. Nothing is uploaded: the one network use is an optional fetch, from this same site,
// of the first roster and the log key it serves, to say whether the file's match them.
// The format is the one in `entente verify` and docs/formats.md (the publication bundle); each check names its RFC.
(function () {
  "use strict";
  var subtle = window.crypto && window.crypto.subtle;
  var SIGNOFF_TYP = "entente-signoff+jws", ROSTER_TYP = "entente-roster+jws", ALIGNMENT_TYP = "entente-alignment+jws";
  var ATTACHMENTS = ["version.json", "disclosures.json", "signoffs.json", "roster.json", "log-proof.json"];
  var ALIGNMENTS = "alignments.json";  // only in the PDF rendered again with later alignments (aligned.pdf)

  // A check that did not pass: "fail" makes the statement invalid, "warn" leaves it indeterminate
  // (something could not be checked), "skip" is information only.
  class Failure extends Error {
    constructor(message, status) { super(message); this.status = status || "fail"; }
  }
  function need(condition, message, status) { if (!condition) { throw new Failure(message, status); } }

  // --- bytes, base64 (RFC 4648 section 4) and base64url without padding (section 5, as RFC 7515 section 2) ---
  var utf8 = function (text) { return new TextEncoder().encode(text); };
  function strictUtf8(bytes) { return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes); }
  function concat() {
    var parts = Array.prototype.slice.call(arguments), size = 0, at = 0;
    parts.forEach(function (p) { size += p.length; });
    var out = new Uint8Array(size);
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  function hex(bytes) { return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function sameBytes(a, b) { return a.length === b.length && a.every(function (x, i) { return x === b[i]; }); }
  function binary(bytes) {  // one character per byte, for scanning PDF syntax
    var parts = [];
    for (var i = 0; i < bytes.length; i += 8192) { parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192))); }
    return parts.join("");
  }
  function fromBinary(text) { return Uint8Array.from(text, function (c) { return c.charCodeAt(0); }); }
  function b64encode(bytes) { return btoa(binary(bytes)); }
  function b64decode(text) {
    need(typeof text === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0, "not base64 text");
    var bytes = fromBinary(atob(text));
    need(b64encode(bytes) === text, "base64 text with non-zero padding bits");
    return bytes;
  }
  function b64url(bytes) { return b64encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
  function b64urlDecode(text) {
    need(typeof text === "string" && /^[A-Za-z0-9_-]*$/.test(text) && text.length % 4 !== 1, "not unpadded base64url text");
    var bytes = fromBinary(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - text.length % 4) % 4)));
    need(b64url(bytes) === text, "base64url text with non-zero padding bits");  // one spelling per byte string
    return bytes;
  }
  async function sha256(bytes) { return new Uint8Array(await subtle.digest("SHA-256", bytes)); }
  async function digestOf(bytes) { return "sha256:" + hex(await sha256(bytes)); }

  // --- RFC 8785 (JCS) --------------------------------------------------------------------------------
  function jcs(value) {
    if (value === null || typeof value === "boolean") { return String(value); }
    if (typeof value === "number") {  // section 3.2.2.3; Entente never writes fractions: integers within 2^53-1 only
      need(Number.isSafeInteger(value), "the number " + value + " is not an integer within ±(2^53−1)");
      return String(value);
    }
    if (typeof value === "string") {  // section 3.2.2.2 escapes strings exactly as ECMAScript's JSON.stringify
      need(value.isWellFormed(), "a string holds a lone surrogate (not encodable as UTF-8)");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) { return "[" + value.map(jcs).join(",") + "]"; }
    // section 3.2.3: members sorted by the UTF-16 code units of their names (JavaScript's default sort)
    return "{" + Object.keys(value).sort().map(function (k) { return jcs(k) + ":" + jcs(value[k]); }).join(",") + "}";
  }
  function canonicalBytes(value) { return utf8(jcs(value)); }
  // Bytes that must already be canonical: parse once, re-serialise, compare (duplicate keys, floats,
  // whitespace and escapes all show up as a difference).
  function readCanonical(bytes, what) {
    var value;
    try { value = JSON.parse(strictUtf8(bytes)); } catch (e) { throw new Failure(what + " is not UTF-8 JSON: " + e.message); }
    var again = canonicalBytes(value);
    if (!sameBytes(again, bytes)) {
      var at = 0;
      while (at < again.length && again[at] === bytes[at]) { at++; }
      throw new Failure(what + " is not in RFC 8785 canonical form (first difference at byte " + at + ")");
    }
    return value;
  }
  function readJson(bytes, what) {
    try { return JSON.parse(strictUtf8(bytes)); } catch (e) { throw new Failure(what + " is not UTF-8 JSON: " + e.message); }
  }

  // --- keys: RFC 7638 thumbprints, WebCrypto import, raw signatures ------------------------------------
  async function readKey(party, jwk) {
    var material = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
    var kid = b64url(await sha256(canonicalBytes(material)));  // the thumbprint, never the kid the JWK claims
    var key = { party: party, kid: kid, jwk: jwk, notBefore: instant(jwk.not_before), notAfter: instant(jwk.not_after), revokedAt: instant(jwk.revoked_at) };
    if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
      key.accepts = ["Ed25519", "EdDSA"];
      key.raw = b64urlDecode(jwk.x);
      key.crypto = await subtle.importKey("raw", key.raw, { name: "Ed25519" }, false, ["verify"]);
    } else if (jwk.kty === "EC" && jwk.crv === "P-256") {
      key.accepts = ["ES256"];  // RFC 7518 section 3.4: the signature is R || S, which is WebCrypto's form too
      key.crypto = await subtle.importKey("jwk", material, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    } else {
      throw new Failure("party " + party + " has a key of an unsupported type (" + jwk.kty + " " + jwk.crv + ")");
    }
    return key;
  }
  async function verifyWith(key, signature, data) {
    var alg = key.accepts[0] === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
    try { return await subtle.verify(alg, key.crypto, signature, data); } catch (e) { return false; }
  }
  async function ed25519Key(raw) { return subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]); }
  function instant(text) { return text == null ? null : Date.parse(text) / 1000; }

  // --- JWS (RFC 7515) in General JSON Serialization, detached payload (Appendix F) -------------------
  // One verdict per signature: {party, kid, reason} where reason null means it counts for party
  // (the same rules as entente.signing.verify_detached and entente.quorum.evaluate).
  async function checkEnvelope(envelope, payload, payloadDigest, keys, typ) {
    need(envelope && Array.isArray(envelope.signatures) && envelope.signatures.length, "a JWS envelope has no 'signatures'");
    var segment = b64url(payload);
    var attachedOk = !envelope.payload || envelope.payload === segment;
    var out = [];
    for (var entry of envelope.signatures) {
      var header = {}, reason = null, counted = null;
      try {
        need(Object.keys(entry).every(function (k) { return k === "protected" || k === "signature"; }), "malformed_header");
        header = JSON.parse(strictUtf8(b64urlDecode(entry.protected)));
        need(header && typeof header === "object" && typeof header.alg === "string", "malformed_header");
        need(["Ed25519", "EdDSA", "ES256"].indexOf(header.alg) >= 0, "alg_unsupported");  // never "none", never HMAC
        need(!("crit" in header), "crit_unsupported");
        need(typeof header.kid === "string" && Number.isSafeInteger(header.iat) && typeof header.digest === "string", "malformed_header");
        need(attachedOk, "payload_mismatch");
        need(header.digest === payloadDigest, "digest_mismatch");
        need(header.typ === typ, "typ_mismatch");
        var candidates = keys.filter(function (k) { return k.kid === header.kid; });
        need(candidates.length, "unknown_key");
        need(candidates.every(function (k) { return k.accepts.indexOf(header.alg) >= 0; }), "alg_mismatch");
        var input = utf8(entry.protected + "." + segment);  // RFC 7515 section 5.2 step 8
        var signature;
        try { signature = b64urlDecode(entry.signature); } catch (e) { throw new Failure("malformed_signature"); }
        var parties = new Set(candidates.map(function (k) { return k.party; }));
        need(parties.size === 1, "key_ambiguous");
        need(await verifyWith(candidates[0], signature, input), "bad_signature");
        counted = candidates[0];
        need(counted.notBefore == null || header.iat >= counted.notBefore, "key_not_yet_valid");
        need(counted.notAfter == null || header.iat <= counted.notAfter, "key_expired");
        need(counted.revokedAt == null || header.iat < counted.revokedAt, "key_revoked");
      } catch (e) {
        reason = e instanceof Failure && REASONS.indexOf(e.message) >= 0 ? e.message : "malformed_header";
      }
      var party = counted ? counted.party : (keys.find(function (k) { return k.kid === header.kid; }) || {}).party;
      out.push({ party: party || "?", kid: header.kid, reason: reason });
    }
    return out;
  }
  // The reasons of entente.signing and entente.quorum; the first seven mean a signature is wrong in itself.
  var FAULTY = ["malformed_header", "malformed_signature", "alg_unsupported", "crit_unsupported", "payload_mismatch", "digest_mismatch", "bad_signature", "alg_mismatch"];
  var REASONS = FAULTY.concat(["typ_mismatch", "unknown_key", "key_ambiguous", "key_not_yet_valid", "key_expired", "key_revoked"]);
  function signers(verdicts, participants) {
    return new Set(verdicts.filter(function (v) { return v.reason === null && participants.indexOf(v.party) >= 0; }).map(function (v) { return v.party; }));
  }
  function policyMet(policy, signed, participants) {  // the quorum rules of entente.quorum.Policy
    var must = (policy.all === false ? [] : participants).concat(policy.required || []);
    var missing = must.filter(function (p) { return !signed.has(p); });
    var needed = policy.threshold ? Math.max(0, policy.threshold - signed.size) : 0;
    return { met: missing.length === 0 && needed === 0, missing: missing, needed: needed };
  }

  // --- the roster chain (the TUF root rule): N+1 needs the threshold of N and of N+1 ------------------
  async function readRoster(document, index) {
    var bytes = canonicalBytes(document.roster), roster = document.roster, digest = await digestOf(bytes);
    need(!document.digest || document.digest === digest, "roster document " + (index + 1) + ": its digest is not the digest of its roster");
    need(roster.type === "entente-roster" && Number.isSafeInteger(roster.version), "roster document " + (index + 1) + " is not an entente-roster");
    var keys = [];
    for (var party of roster.parties) { for (var jwk of party.keys) { keys.push(await readKey(party.code, jwk)); } }
    return { bytes: bytes, digest: digest, obj: roster, version: roster.version, codes: roster.parties.map(function (p) { return p.code; }), keys: keys };
  }
  async function thresholdOf(roster, candidate, envelopes) {
    // roster's keys, with any revocation the candidate declares for the same key material applied
    var revoked = new Map(candidate.keys.filter(function (k) { return k.revokedAt != null; }).map(function (k) { return [k.kid, k.revokedAt]; }));
    var keys = roster.keys.map(function (k) {
      var later = revoked.get(k.kid);
      return later != null && (k.revokedAt == null || later < k.revokedAt) ? Object.assign({}, k, { revokedAt: later }) : k;
    });
    var verdicts = [];
    for (var envelope of envelopes) { verdicts = verdicts.concat(await checkEnvelope(envelope, candidate.bytes, candidate.digest, keys, ROSTER_TYP)); }
    var signed = signers(verdicts, roster.codes);
    return { signed: Array.from(signed).sort(), met: signed.size >= roster.obj.policies.roster.threshold, threshold: roster.obj.policies.roster.threshold };
  }
  async function walkRosters(documents, pin, trust) {
    need(Array.isArray(documents) && documents.length, "the file carries no roster", "warn");
    var rosters = [];
    for (var i = 0; i < documents.length; i++) { rosters.push(await readRoster(documents[i], i)); }
    var first = rosters[0];
    if (pin) {
      need(first.digest === pin, "the first roster is " + first.digest + ", not the pinned " + pin);
      trust.push("the first roster you pinned");
    } else {
      var served = await fetchServed("/.well-known/entente/roster/1.json", "json");
      if (served === null) {
        trust.push("the first roster as given in the file (this site serves none to compare)");
      } else {
        need(await digestOf(canonicalBytes(served.roster)) === first.digest, "the file's first roster is not the one this site serves");
        trust.push("the first roster as served by this site");
      }
    }
    var steps = ["roster " + first.version + " (" + first.digest.slice(0, 19) + "…)"];
    for (var n = 1; n < rosters.length; n++) {
      var previous = rosters[n - 1], candidate = rosters[n];
      need(candidate.version === previous.version + 1, "roster " + candidate.version + " does not follow roster " + previous.version);
      need(candidate.obj.previous === previous.digest, "roster " + candidate.version + " does not name roster " + previous.version + "'s digest as previous");
      var envelopes = documents[n].jws ? [documents[n].jws] : [];
      var old = await thresholdOf(previous, candidate, envelopes), own = await thresholdOf(candidate, candidate, envelopes);
      need(old.met, "roster " + candidate.version + ": roster " + previous.version + "'s threshold is " + old.threshold + "; signed by " + (old.signed.join(", ") || "no party"));
      need(own.met, "roster " + candidate.version + ": its own threshold is " + own.threshold + "; signed by " + (own.signed.join(", ") || "no party"));
      steps.push("roster " + candidate.version + " (signed by " + old.signed.join(", ") + ")");
    }
    var newest = rosters[rosters.length - 1];
    need(Date.parse(newest.obj.expires) > Date.now(), "the newest roster (" + newest.version + ") expired at " + newest.obj.expires, "warn");
    return { roster: newest, detail: steps.join(" → ") };
  }
  async function fetchServed(path, as) {  // same origin only; null when this site serves nothing there
    try {
      var response = await fetch(path, { credentials: "omit", redirect: "error", cache: "no-cache" });
      if (!response.ok) { return null; }
      return as === "json" ? await response.json() : (await response.text()).trim();
    } catch (e) { return null; }
  }

  // --- the log: C2SP signed notes, tlog-cosignature/v1, RFC 9162 inclusion proofs ----------------------
  async function keyHash(name, type, publicKey) { return (await sha256(concat(utf8(name + "\n"), new Uint8Array([type]), publicKey))).slice(0, 4); }
  async function readVerifierKey(text) {  // C2SP signed-note: <name>+<hex key hash>+<base64(0x01 || Ed25519 key)>
    var parts = typeof text === "string" && /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text);  // base64 may hold "+"
    need(parts, "the log key is not a C2SP verifier key");
    parts = parts.slice(1);
    var data = b64decode(parts[2]);
    need(data.length === 33 && data[0] === 1, "the log key is not an Ed25519 (type 0x01) key");
    need(hex(await keyHash(parts[0], 1, data.slice(1))) === parts[1], "the log key's hash does not match its name and key");
    return { name: parts[0], hash: parts[1], raw: data.slice(1), crypto: await ed25519Key(data.slice(1)) };
  }
  function readNote(text) {  // body, a blank line, then one "— <name> <base64>" line per signature
    need(typeof text === "string", "the checkpoint is not a signed note");
    var split = text.indexOf("\n\n");
    need(split > 0 && text.endsWith("\n"), "the checkpoint is not a C2SP signed note");
    var body = text.slice(0, split + 1), lines = text.slice(split + 2, -1).split("\n");
    var signatures = lines.map(function (line) {
      var m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      need(m, "a signature line of the checkpoint is malformed");
      return { name: m[1], data: b64decode(m[2]) };
    });
    var head = body.split("\n");
    need(head.length >= 4 && /^(0|[1-9][0-9]*)$/.test(head[1]), "the checkpoint body is not origin, size, root");
    return { body: body, origin: head[0], size: Number(head[1]), root: b64decode(head[2]), signatures: signatures };
  }
  async function rootFromInclusion(index, size, hash, proof) {  // RFC 9162 section 2.1.3.2
    need(Number.isSafeInteger(index) && index >= 0 && index < size, "leaf index " + index + " is outside the tree of size " + size);
    var fn = index, sn = size - 1, r = hash;
    for (var p of proof) {
      need(sn !== 0, "the inclusion proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(new Uint8Array([1]), p, r));
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await sha256(concat(new Uint8Array([1]), r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    need(sn === 0, "the inclusion proof is too short");
    return r;
  }
  async function checkInclusion(entry, checkpoint, what) {
    var leaf = b64decode(entry.leaf);
    var root = await rootFromInclusion(entry.index, checkpoint.size, await sha256(concat(new Uint8Array([0]), leaf)), entry.proof.map(b64decode));
    need(sameBytes(root, checkpoint.root), "the " + what + " leaf's inclusion proof does not lead to the checkpoint's root");
    return "leaf " + entry.index + " of " + checkpoint.size;
  }

  // --- PDF: the PDF/A-3 attachments (EmbeddedFile streams named by Filespec dictionaries) ------------
  async function inflate(bytes) {  // FlateDecode is zlib, which DecompressionStream calls "deflate"
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  async function streamData(bytes, dict, start, end) {
    var data = bytes.subarray(start, end);
    if (/\/Filter\s*\[?\s*\/FlateDecode\s*\]?/.test(dict)) { return inflate(data); }
    need(!/\/Filter/.test(dict), "a PDF stream uses a filter this page does not read (only FlateDecode)", "warn");
    return data;
  }
  // Every object, the last definition winning (incremental updates such as the PAdES signature append
  // later ones); objects inside compressed object streams (/Type /ObjStm, PDF 1.5) are read too.
  async function pdfObjects(bytes) {
    var text = binary(bytes), objects = new Map(), re = /(\d+)\s+(\d+)\s+obj\b/g, m;
    while ((m = re.exec(text))) {
      var start = re.lastIndex, endobj = text.indexOf("endobj", start);
      var streamAt = text.slice(start, endobj < 0 ? undefined : endobj).search(/stream\r?\n/);
      if (streamAt < 0) { objects.set(m[1], { dict: text.slice(start, endobj) }); if (endobj > 0) { re.lastIndex = endobj; } continue; }
      var dict = text.slice(start, start + streamAt), dataStart = start + streamAt + (text[start + streamAt + 6] === "\r" ? 8 : 7);
      var length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict), dataEnd;
      if (length) { dataEnd = dataStart + Number(length[1]); } else {  // an indirect /Length: up to "endstream", less its end of line
        dataEnd = text.indexOf("endstream", dataStart);
        if (text[dataEnd - 1] === "\n") { dataEnd--; }
        if (text[dataEnd - 1] === "\r") { dataEnd--; }
      }
      need(dataEnd >= dataStart, "a PDF stream has no end");
      var object = { dict: dict, data: function (d, s, e) { return function () { return streamData(bytes, d, s, e); }; }(dict, dataStart, dataEnd) };
      objects.set(m[1], object);
      re.lastIndex = dataEnd;
      if (/\/Type\s*\/ObjStm/.test(dict)) {  // ISO 32000 section 7.5.7: N pairs "number offset", objects from /First
        var content = binary(await object.data()), first = Number(/\/First\s+(\d+)/.exec(dict)[1]);
        var pairs = content.slice(0, first).trim().split(/\s+/).map(Number);
        for (var i = 0; i < pairs.length; i += 2) {
          objects.set(String(pairs[i]), { dict: content.slice(first + pairs[i + 1], i + 3 < pairs.length ? first + pairs[i + 3] : undefined) });
        }
      }
    }
    return objects;
  }
  function pdfString(text) {  // a literal (...) or hex <...> string; UTF-16BE when it starts with a BOM
    var raw;
    if (text[0] === "<") {
      raw = text.slice(1, text.indexOf(">")).replace(/\s/g, "");
      raw = String.fromCharCode.apply(null, (raw.match(/../g) || []).map(function (h) { return parseInt(h, 16); }));
    } else {
      raw = text.slice(1, -1).replace(/\\([nrtbf()\\]|[0-7]{1,3}|\r?\n)/g, function (_, e) {
        var simple = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", "(": "(", ")": ")", "\\": "\\" };
        return e in simple ? simple[e] : /^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8)) : "";
      });
    }
    return raw.startsWith("\u00fe\u00ff") ? new TextDecoder("utf-16be").decode(fromBinary(raw.slice(2))) : raw;
  }
  async function pdfAttachments(bytes) {
    var objects = await pdfObjects(bytes), found = {};
    for (var object of objects.values()) {
      var ef = /\/EF\s*<<[^>]*?\/F\s+(\d+)\s+\d+\s+R/.exec(object.dict);
      var name = /\/UF\s*(\((?:\\[^]|[^\\()])*\)|<[0-9A-Fa-f\s]*>)/.exec(object.dict) || /\/F\s*(\((?:\\[^]|[^\\()])*\)|<[0-9A-Fa-f\s]*>)/.exec(object.dict);
      if (!ef || !name || (ATTACHMENTS.indexOf(pdfString(name[1])) < 0 && pdfString(name[1]) !== ALIGNMENTS)) { continue; }
      var stream = objects.get(ef[1]);
      need(stream && stream.data, "the attachment " + pdfString(name[1]) + " has no stream");
      var data = await stream.data(), key = pdfString(name[1]);
      need(!found[key] || sameBytes(found[key], data), "the PDF holds two different attachments named " + key);
      found[key] = data;
    }
    return found;
  }

  // --- reading the dropped file ----------------------------------------------------------------------
  async function readInput(file, bytes) {
    var head = binary(bytes.subarray(0, 5));
    if (head === "%PDF-") {
      var files = await pdfAttachments(bytes);
      var missing = ATTACHMENTS.filter(function (n) { return !files[n]; });
      need(missing.length < ATTACHMENTS.length, "this PDF carries none of a statement's attachments (" + ATTACHMENTS.join(", ") + ")");
      need(missing.join() !== "roster.json,log-proof.json",
        "a party's own view of a version, not a publication: it carries no roster and no log proof; check it by hand (docs/verification.md, \"Checking a party's own PDF\")");
      need(!missing.length, "this PDF lacks the attachment(s) " + missing.join(", "));
      var disclosures = readJson(files["disclosures.json"], "disclosures.json"), log = readJson(files["log-proof.json"], "log-proof.json");
      log.publication = null;
      return { kind: "PDF", versionBytes: files["version.json"], disclosures: disclosures, signoffs: readJson(files["signoffs.json"], "signoffs.json"),
        rosters: readJson(files["roster.json"], "roster.json"), log: log, record: null, pdf: null,
        alignments: files[ALIGNMENTS] ? readJson(files[ALIGNMENTS], ALIGNMENTS) : null };
    }
    var bundle;
    try { bundle = JSON.parse(strictUtf8(bytes)); } catch (e) { bundle = null; }
    need(bundle && typeof bundle === "object", "this file is neither a PDF nor a publication bundle (JSON); nothing to check");
    need(bundle.type === "entente-bundle" && bundle.record && typeof bundle.record.version === "string",
      "this JSON is not an Entente publication bundle (\"type\": \"entente-bundle\" with a release record)");
    return { kind: "bundle", versionBytes: b64urlDecode(bundle.record.version), disclosures: bundle.record.disclosures,
      signoffs: bundle.record.signoffs, rosters: bundle.roster, log: bundle.log, record: bundle.record, communique: bundle.communique, pdf: bundle.pdf,
      alignments: bundle.alignments === undefined ? null : bundle.alignments };
  }

  // --- later alignments: the rules of entente.verification.alignments -----------------------------------
  // A statement's digest as the server and `entente sign --statement` compute it: SHA-256 of the UTF-8 of the
  // text NFC-normalised and trimmed of white space (the characters Python's str.strip removes).
  var EDGE_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
  function textDigest(text) { return digestOf(utf8(text.replace(EDGE_SPACE, "").normalize("NFC"))); }
  function member(object, name) { return object[name] === undefined ? null : object[name]; }  // Python's dict.get
  // One alignment: its JWS over the released version bytes by a roster key of its party, the statement bound
  // to it, its log entry included in the checkpoint and saying the same, and a withdrawal's entry likewise.
  // Resolves to {aligned, detail}; a Failure with status "warn" when a log entry is not covered yet.
  async function checkAlignment(item, s, input, atRelease) {
    need(item && typeof item === "object" && typeof item.party === "string" && item.envelope && typeof item.envelope === "object",
      "not an alignment {party, aligned_at, statement, envelope, log, withdrawn}");
    var party = item.party, statement = member(item, "statement"), envelope = item.envelope;
    need(atRelease.indexOf(party) < 0, party + " signed at release already: an alignment cannot be counted twice");
    var verdicts = await checkEnvelope(envelope, input.versionBytes, s.digest, s.roster.keys, ALIGNMENT_TYP);
    var refused = verdicts.filter(function (v) { return v.reason !== null || v.party !== party; });
    if (refused.length) {  // a key of another party counts as not_participating, as in entente.quorum
      throw new Failure("the alignment signature is refused: " + (refused[0].reason || "not_participating (a key of " + refused[0].party + ")"));
    }
    need(statement === null || typeof statement === "string", "the alignment's statement is not text");
    var expected = statement === null ? null : await textDigest(statement);
    for (var signature of envelope.signatures) {
      var header = JSON.parse(strictUtf8(b64urlDecode(signature.protected)));
      need(member(header, "statement_digest") === expected, "the statement shown is not the one the party signed (statement_digest)");
    }
    var entry = item.log;
    need(entry != null, party + "'s signature verifies; its log entry is not covered by a checkpoint yet", "warn");
    need(s.checkpoint, party + "'s signature verifies; no checkpoint to check its log entry against", "warn");
    await checkInclusion(entry, s.checkpoint, "alignment");
    var leaf = readCanonical(b64decode(entry.leaf), "the alignment leaf");
    var communique = input.record ? member(input.record, "communique") : member(leaf, "communique");
    var envelopeDigest = await digestOf(canonicalBytes(envelope));
    var wrong = [
      ["type", leaf.type === "entente-alignment"], ["communiqué", member(leaf, "communique") === communique],
      ["version digest", leaf.version_digest === s.digest], ["party", leaf.party === party],
      ["envelope digest", leaf.envelope_digest === envelopeDigest], ["statement digest", member(leaf, "statement_digest") === expected],
      ["date", member(leaf, "aligned_at") === member(item, "aligned_at")],
    ].filter(function (pair) { return !pair[1]; }).map(function (pair) { return pair[0]; });
    need(!wrong.length, "log entry " + entry.index + " disagrees: " + wrong.join(", "));
    var withdrawn = item.withdrawn;
    if (withdrawn && typeof withdrawn === "object" && Object.keys(withdrawn).length) {
      need(withdrawn.log != null, party + " withdrew its alignment; the withdrawal is not covered by a checkpoint yet", "warn");
      await checkInclusion(withdrawn.log, s.checkpoint, "withdrawal");
      var w = readCanonical(b64decode(withdrawn.log.leaf), "the withdrawal leaf");
      var reason = typeof withdrawn.reason === "string" ? withdrawn.reason : "";
      need(w.type === "entente-alignment-withdrawal" && w.alignment === entry.index && w.party === party &&
        member(w, "withdrawn_at") === member(withdrawn, "at") && w.reason_digest === await textDigest(reason),
        "withdrawal log entry " + withdrawn.log.index + " disagrees with the file");
      return { aligned: false, detail: "withdrawn: aligned at " + item.aligned_at + " (log entry " + entry.index + "), withdrawn at " +
        withdrawn.at + " (log entry " + withdrawn.log.index + "): " + reason };
    }
    return { aligned: true, detail: "aligned at " + item.aligned_at + ": JWS verifies over the released version bytes with " + party +
      "'s key; log entry " + entry.index + (statement !== null ? " (with a signed statement)" : "") };
  }

  async function verify(file, pin) {
    var list = document.getElementById("checks"), verdict = document.getElementById("verdict"), trustedNote = document.getElementById("trusted");
    var results = [], trust = [], s = {};  // s: what earlier checks established
    list.textContent = ""; verdict.textContent = "Checking…"; verdict.className = "verdict"; verdict.removeAttribute("data-verdict"); trustedNote.textContent = "";
    document.getElementById("result").hidden = false;
    function show(name, status, why) {
      var li = document.createElement("li"), label = document.createElement("span");
      li.className = status; li.setAttribute("data-check", name); label.textContent = name; li.appendChild(label);
      if (why) { var w = document.createElement("span"); w.className = "why"; w.textContent = why; li.appendChild(w); }
      list.appendChild(li); results.push(status);
    }
    // unless: a reason to skip the check (information only); a {warn: reason} leaves the verdict indeterminate
    async function check(name, run, unless) {
      if (unless) { show(name, unless.warn ? "warn" : "skip", unless.warn || unless); return; }
      try { show(name, "pass", await run()); } catch (e) { show(name, e instanceof Failure ? e.status : "fail", e instanceof Failure ? e.message : "could not be checked: " + e.message); }
    }
    var bytes = new Uint8Array(await file.arrayBuffer());
    await check("File read in this browser", async function () {
      need(subtle && typeof DecompressionStream === "function", "this browser lacks WebCrypto or DecompressionStream", "warn");
      s.input = await readInput(file, bytes);
      return file.name + ": " + s.input.kind + ", " + bytes.length + " bytes, SHA-256 " + hex(await sha256(bytes));
    });
    if (!s.input) { return finish(verdict, trustedNote, results, trust, "This file cannot be checked here: see the reason above."); }
    var input = s.input, log = input.log;
    if (input.kind === "PDF") {
      show("PDF signature (PAdES)", "skip", "not checked in the browser: run pdfsig FILE.pdf or entente verify FILE.pdf");
    }
    await check("Version bytes are RFC 8785 canonical JSON", async function () {
      s.version = readCanonical(input.versionBytes, "the version");
      need(s.version.type === "entente-communique-version", "the version object's type is not entente-communique-version");
      // Format 1 lists each item's marking in the clear; format 2 only the digest of its marking's disclosure.
      s.format = s.version.format === undefined ? 1 : s.version.format;
      need(s.format === 1 || s.format === 2, "version object format " + JSON.stringify(s.version.format) + " is not one this verifier knows (1, 2)");
      s.digest = await digestOf(input.versionBytes);
      if (input.record) {
        need(input.record.version_digest === s.digest, "SHA-256 of the version bytes is " + s.digest + ", the record says " + input.record.version_digest);
        ["communique", "kind", "title", "lead"].forEach(function (k) { need(input.record[k] === s.version[k], "the record's " + k + " differs from the signed version's"); });
      }
      return "“" + s.version.title + "”, version " + s.version.version + ", " + s.digest;
    });
    var ok = !!s.version;
    await check("Disclosures match the version's digests (SD-JWT, RFC 9901 section 7.1)", async function () {
      var parts = [], withheld = [];
      for (var part of ["sections", "annex"]) {
        need(Array.isArray(s.version[part]) && s.version[part].every(function (item) {
          return item && typeof item === "object" && Object.keys(item).sort().join() === "digest,marking" && typeof item.digest === "string" &&
            (s.format === 2 ? typeof item.marking === "string" : item.marking !== null && typeof item.marking === "object");
        }), "the version object's " + part + " are not well-formed digest entries");
        var listed = s.version[part].map(function (item) { return item.digest; }), seen = new Set();
        for (var encoded of (input.disclosures[part] || [])) {
          var digest = b64url(await sha256(utf8(encoded)));  // section 4.2.3: over the base64url text as written
          var decoded = readJson(b64urlDecode(encoded), "a disclosure");
          need(Array.isArray(decoded) && decoded.length === 3 && typeof decoded[0] === "string" && decoded[0] && typeof decoded[1] === "string", "a disclosure is not [salt, name, value]");
          need(listed.indexOf(digest) >= 0, "the " + part + " disclosure " + decoded[1] + " hashes to a digest the version does not list");
          need(!seen.has(digest), "the " + part + " disclosure " + decoded[1] + " is given twice");
          seen.add(digest);
        }
        withheld.push(listed.length - seen.size);
        parts.push(seen.size + " of " + listed.length + " " + part);
      }
      if (input.record && input.record.withheld) {
        need(input.record.withheld.sections === withheld[0] && input.record.withheld.annex === withheld[1], "the record's withheld counts do not match");
      }
      return parts.join(", ") + " disclosed; the rest withheld (counted, not shown" +
        (s.format === 2 ? ", nor who may read them: the signatures cover their markings as digests)" : "; format 1 lists their markings)");
    }, ok ? null : "needs the version");
    await check("Roster chain from the first roster (TUF root rule)", async function () {
      var walked = await walkRosters(input.rosters, pin, trust);
      s.roster = walked.roster;
      return walked.detail;
    });
    await check("Sign-off signatures (JWS, RFC 7515, detached payload)", async function () {
      var verdicts = [];
      for (var envelope of input.signoffs.explicit) { verdicts = verdicts.concat(await checkEnvelope(envelope, input.versionBytes, s.digest, s.roster.keys, SIGNOFF_TYP)); }
      s.verdicts = verdicts;
      var bad = verdicts.filter(function (v) { return FAULTY.indexOf(v.reason) >= 0; });
      need(!bad.length, bad.map(function (v) { return v.party + ": " + v.reason; }).join("; "));
      var other = verdicts.filter(function (v) { return v.reason; }).map(function (v) { return v.party + ": " + v.reason + " (not counted)"; });
      return verdicts.length + " signature(s) verified with roster " + s.roster.version + "'s keys" + (other.length ? "; " + other.join("; ") : "");
    }, !ok ? "needs the version" : !s.roster ? "needs a trusted roster" : null);
    await check("Quorum", async function () {
      var policies = s.roster.obj.policies, policy = (policies.kinds || {})[s.version.kind] || policies.default;
      var signed = signers(s.verdicts, s.version.parties), result = policyMet(policy, signed, s.version.parties);
      var presigned = (input.signoffs.presigned || []).length;
      var rule = (policy.all === false ? "" : "every participating party") + (policy.threshold ? " at least " + policy.threshold : "") + ((policy.required || []).length ? " including " + policy.required.join(", ") : "");
      need(result.met || !presigned, "explicit sign-offs alone do not meet the policy; " + presigned + " pre-signed template approval(s) must be checked with entente verify", "warn");
      need(result.met, "policy (" + rule.trim() + ") not met: " + (result.missing.length ? "missing " + result.missing.join(", ") : result.needed + " more party(ies) must sign"));
      return "signed by " + Array.from(signed).sort().join(", ") + " of " + s.version.parties.join(", ") + " (" + rule.trim() + ")";
    }, !s.verdicts ? "needs the signatures" : null);
    if (!log) {
      show("Transparency log", "warn", "the file carries no log proof: the release cannot be tied to the log");
    } else {
      await check("Log key", async function () {
        s.logKey = await readVerifierKey(log.key);
        var served = await fetchServed("/.well-known/entente/log/key", "text");
        if (served === null) { trust.push("the log key as given in the file (this site serves none to compare)"); }
        else { need(served === log.key, "the file's log key is not the one this site serves"); trust.push("the log key as served by this site"); }
        return s.logKey.name + "+" + s.logKey.hash;
      });
      // The server leaves out what no signed checkpoint covers yet (null): not yet in the log, not a failure.
      var later = "not yet in the log: the scheduler signs a checkpoint covering it at its next run; check again in a minute";
      await check("Checkpoint signed by the log key (C2SP signed note)", async function () {
        var note = readNote(log.checkpoint);
        need(note.origin === log.origin && note.origin === s.logKey.name, "the checkpoint's origin is " + note.origin + ", not the log's " + log.origin);
        var mine = note.signatures.filter(function (sig) { return sig.name === s.logKey.name && hex(sig.data.slice(0, 4)) === s.logKey.hash; });
        need(mine.length, "the checkpoint carries no signature by the log key");
        for (var sig of mine) {
          need(sig.data.length === 68 && await subtle.verify({ name: "Ed25519" }, s.logKey.crypto, sig.data.slice(4), utf8(note.body)), "the log key's signature on the checkpoint does not verify");
        }
        s.checkpoint = note;
        return "tree size " + note.size + ", root " + hex(note.root).slice(0, 16) + "…";
      }, log.checkpoint == null ? { warn: "no signed checkpoint yet: " + later } : s.logKey ? null : "needs the log key");
      await check("Cosignatures by roster parties (C2SP tlog-cosignature/v1)", async function () {
        var by = new Set(), edKeys = s.roster.keys.filter(function (k) { return k.raw; });
        for (var sig of s.checkpoint.signatures) {
          if (sig.data.length !== 76) { continue; }  // keyhash(4) || timestamp(8) || Ed25519 signature(64)
          for (var key of edKeys) {
            if (!sameBytes(await keyHash(sig.name, 4, key.raw), sig.data.slice(0, 4))) { continue; }
            var time = new DataView(sig.data.buffer, sig.data.byteOffset + 4, 8).getBigUint64(0);
            var message = utf8("cosignature/v1\ntime " + time + "\n" + s.checkpoint.body);
            need(await subtle.verify({ name: "Ed25519" }, key.crypto, sig.data.slice(12), message), "the cosignature " + sig.name + " (" + key.party + ") does not verify");
            by.add(key.party);
          }
        }
        return by.size ? "cosigned by " + Array.from(by).sort().join(", ") + " (" + by.size + " of " + s.roster.codes.length + " parties)" : "no party cosigned this checkpoint yet";
      }, !s.checkpoint ? "needs the checkpoint" : !s.roster ? "needs a trusted roster" : null);
      var commitment = log.commitment;
      await check("Commitment included in the log (RFC 9162 section 2.1.3.2)", function () { return checkInclusion(commitment, s.checkpoint, "commitment"); }, !commitment ? { warn: "the commitment is " + later } : s.checkpoint ? null : "needs the checkpoint");
      await check("Commitment opens to the version digest", async function () {
        var leaf = readCanonical(b64decode(commitment.leaf), "the commitment leaf");
        need(leaf.type === "entente-commitment", "the commitment leaf's type is " + leaf.type);
        var opened = await digestOf(concat(b64urlDecode(commitment.salt), utf8(s.digest)));  // SHA-256(salt || version digest)
        need(leaf.commitment === opened, "SHA-256(salt || version digest) is not the logged commitment");
        return "logged " + leaf.at + ", before the release";
      }, !commitment ? "needs the commitment entry" : s.digest ? null : "needs the version");
      var publication = log.publication;
      var none = input.kind === "PDF" ? "a PDF cannot carry it (it names the PDF's digest): see the bundle" : { warn: "the publication entry is " + later };
      await check("Publication included in the log (RFC 9162 section 2.1.3.2)", function () { return checkInclusion(publication, s.checkpoint, "publication"); }, !publication ? none : s.checkpoint ? null : "needs the checkpoint");
      await check("Publication entry names this version, its sign-offs and a prior commitment", async function () {
        var leaf = readCanonical(b64decode(publication.leaf), "the publication leaf");
        need(leaf.type === "entente-publication", "the publication leaf's type is " + leaf.type);
        need(leaf.version_digest === s.digest, "the publication names another version digest");
        need(leaf.envelopes_digest === await digestOf(canonicalBytes(input.record.signoffs)), "the publication's envelopes digest is not that of these sign-offs");
        need(leaf.commitment && leaf.commitment.index === commitment.index && leaf.commitment.salt === commitment.salt, "the publication names another commitment");
        need(leaf.commitment.index < publication.index, "the commitment was logged after the publication");
        need(leaf.communique === input.communique && leaf.released_at === input.record.embargo_at, "the publication names another communiqué or instant");
        need(!input.pdf || leaf.pdf_digest === input.pdf.digest, "the publication's PDF digest is not the bundle's");
        return "entry " + publication.index + " after commitment " + leaf.commitment.index + (leaf.pdf_digest ? "; PDF " + leaf.pdf_digest.slice(0, 19) + "…" : "");
      }, !publication ? none : !commitment ? "needs the commitment entry" : !s.digest || !input.record ? "needs the version" : null);
    }
    // Parties that aligned later: the quorum above is the one at release; each alignment is checked on its own.
    var alignments = input.alignments;
    if (alignments !== null && !(Array.isArray(alignments) && !alignments.length)) {
      var aligned = [], atRelease = s.verdicts && s.version ? Array.from(signers(s.verdicts, s.version.parties)).sort() : [];
      var waiting = !s.digest ? "needs the version" : !s.roster ? "needs a trusted roster" : null;
      if (!Array.isArray(alignments)) {
        await check("Later alignments", function () { throw new Failure("the alignments are not a list"); }, waiting);
      } else {
        for (var item of alignments) {
          var who = item && typeof item === "object" ? String(item.party) + ", " + String(item.aligned_at) : "?";
          await check("Alignment by " + who + " (JWS over the released version bytes, log entry)", async function (one) {
            var result = await checkAlignment(one, s, input, atRelease);
            if (result.aligned) { aligned.push(one.party); }
            return result.detail;
          }.bind(null, item), waiting);
        }
        await check("Later alignments", function () {
          return "at release: " + (atRelease.join(", ") || "none") + "; aligned later (not withdrawn): " + (aligned.join(", ") || "none");
        }, waiting);
      }
    }
    return finish(verdict, trustedNote, results, trust);
  }
  function finish(verdict, trustedNote, results, trust, message) {
    var outcome = results.indexOf("fail") >= 0 ? "invalid" : results.indexOf("warn") >= 0 ? "indeterminate" : "valid";
    var text = { valid: "Valid: every check passed.", invalid: "Invalid: a check failed (see the red line above).", indeterminate: "Indeterminate: something could not be checked (see the lines marked ?)." };
    verdict.textContent = message || text[outcome];
    verdict.className = "verdict " + outcome;
    verdict.setAttribute("data-verdict", outcome);
    trustedNote.textContent = trust.length ? "Trusted without proof: " + trust.join("; ") + "." : "";
  }

  // --- the page ----------------------------------------------------------------------------------------
  var drop = document.getElementById("drop"), input = document.getElementById("file"), pin = document.getElementById("pin");
  if (!drop) { return; }
  function run(file) {
    verify(file, pin.value.trim()).catch(function (e) { finish(document.getElementById("verdict"), document.getElementById("trusted"), ["fail"], [], "The check stopped: " + e.message); });
  }
  input.addEventListener("change", function () { if (input.files.length) { run(input.files[0]); } });
  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) { run(e.dataTransfer.files[0]); }
  });
})();
