// Signing in the browser with WebCrypto: sign-offs, template pre-signatures, roster signatures.
// The private key never leaves this machine: a key file (encrypted PKCS#8, as `entente keys generate`
// writes it) is decrypted here, or a key made here is kept in this browser's IndexedDB, where it
// cannot be exported. The page's payload is downloaded, its SHA-256 digest computed here and shown
// beside the server's, and a detached JWS (RFC 7515, as `entente sign` makes it) is posted back.
// No build step, no eval, no inline script: the pages only carry data-* attributes.
(function () {
  "use strict";
  var subtle = window.crypto && window.crypto.subtle;

  class SignError extends Error {}
  function need(condition, message) { if (!condition) { throw new SignError(message); } }

  // --- bytes and base64url (RFC 4648 section 5, no padding, as RFC 7515 section 2) ---------------------
  var utf8 = function (text) { return new TextEncoder().encode(text); };
  function concat() {
    var parts = Array.prototype.slice.call(arguments), size = 0, at = 0;
    parts.forEach(function (p) { size += p.length; });
    var out = new Uint8Array(size);
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  function hex(bytes) { return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function b64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i += 0x8000) { text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)); }
    return btoa(text);
  }
  function b64url(bytes) { return b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }
  async function sha256(bytes) { return new Uint8Array(await subtle.digest("SHA-256", bytes)); }
  async function digestOf(bytes) { return "sha256:" + hex(await sha256(bytes)); }

  // RFC 8785 for the small objects signed here (strings, safe integers, objects): JSON.stringify's
  // string escaping is JCS's; keys sort by UTF-16 code units, which is what sort() compares.
  function jcs(value) {
    if (value === null || typeof value === "string" || typeof value === "boolean") { return JSON.stringify(value); }
    if (typeof value === "number") { need(Number.isSafeInteger(value), "only whole numbers are signed"); return String(value); }
    if (Array.isArray(value)) { return "[" + value.map(jcs).join(",") + "]"; }
    return "{" + Object.keys(value).sort().map(function (k) { return JSON.stringify(k) + ":" + jcs(value[k]); }).join(",") + "}";
  }

  // --- DER (X.690), just enough for PKCS#8 and PBES2 -----------------------------------------------------
  function tlv(bytes, at) {
    need(at + 2 <= bytes.length, "the key file is truncated");
    var tag = bytes[at], length = bytes[at + 1], start = at + 2;
    if (length & 0x80) {
      var count = length & 0x7f;
      need(count >= 1 && count <= 3 && start + count <= bytes.length, "the key file is not DER");
      length = 0;
      for (var i = 0; i < count; i++) { length = length * 256 + bytes[start + i]; }
      start += count;
    }
    need(start + length <= bytes.length, "the key file is truncated");
    return { tag: tag, start: start, end: start + length, bytes: bytes };
  }
  function content(node) { return node.bytes.subarray(node.start, node.end); }
  function children(node) {
    var out = [], at = node.start;
    while (at < node.end) { var child = tlv(node.bytes, at); out.push(child); at = child.end; }
    return out;
  }
  function expect(node, tag, what) { need(node && node.tag === tag, "the key file is not " + what); return node; }
  function seq(node, what) { return children(expect(node, 0x30, what)); }
  function oid(node) {
    var b = content(expect(node, 0x06, "an object identifier")), parts = [Math.floor(b[0] / 40), b[0] % 40], v = 0;
    for (var i = 1; i < b.length; i++) { v = v * 128 + (b[i] & 0x7f); if (!(b[i] & 0x80)) { parts.push(v); v = 0; } }
    return parts.join(".");
  }
  function integer(node) {
    var b = content(expect(node, 0x02, "an integer")), v = 0;
    need(b.length <= 6, "a number in the key file is too large");
    b.forEach(function (x) { v = v * 256 + x; });
    return v;
  }

  // --- encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo; PBES2 and PBKDF2 of RFC 8018) -------------------
  var OID = {
    pbes2: "1.2.840.113549.1.5.13", pbkdf2: "1.2.840.113549.1.5.12",
    ed25519: "1.3.101.112", ecPublicKey: "1.2.840.10045.2.1", p256: "1.2.840.10045.3.1.7",
  };
  var PRF = {
    "1.2.840.113549.2.7": "SHA-1", "1.2.840.113549.2.9": "SHA-256",
    "1.2.840.113549.2.10": "SHA-384", "1.2.840.113549.2.11": "SHA-512",
  };
  var CIPHER = {  // NIST AES object identifiers (CSOR): CBC and GCM, 128 and 256 bits (browsers have no AES-192)
    "2.16.840.1.101.3.4.1.2": ["AES-CBC", 128], "2.16.840.1.101.3.4.1.42": ["AES-CBC", 256],
    "2.16.840.1.101.3.4.1.6": ["AES-GCM", 128], "2.16.840.1.101.3.4.1.46": ["AES-GCM", 256],
    "2.16.840.1.101.3.4.1.22": ["AES-192-CBC"], "2.16.840.1.101.3.4.1.26": ["AES-192-GCM"],
  };
  var MAX_ITERATIONS = 10000000;

  function readPem(text) {
    var m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
    need(m, "this is not a PEM key file (expected -----BEGIN ENCRYPTED PRIVATE KEY-----)");
    need(m[1] !== "PRIVATE KEY", "this key file is not encrypted: Entente key files are protected by a passphrase (entente keys generate)");
    need(m[1] === "ENCRYPTED PRIVATE KEY", "this is a " + m[1].toLowerCase() + ", not an encrypted PKCS#8 private key");
    try { return unb64(m[2].replace(/\s+/g, "")); } catch (e) { throw new SignError("the key file is damaged (its base64 does not decode)"); }
  }

  async function decryptPkcs8(der, passphrase) {
    need(passphrase, "enter the passphrase of the key file");
    var top = seq(tlv(der, 0), "an encrypted PKCS#8 key");
    need(top.length === 2, "the key file is not an encrypted PKCS#8 key");
    var scheme = seq(top[0], "an encrypted PKCS#8 key");
    need(oid(scheme[0]) === OID.pbes2, "the key file is encrypted with an old scheme; only PBES2 (PBKDF2 and AES) is read here");
    var params = seq(scheme[1], "PBES2"), kdf = seq(params[0], "PBES2"), enc = seq(params[1], "PBES2");
    need(oid(kdf[0]) === OID.pbkdf2, "the key file uses a key derivation other than PBKDF2");
    var k = seq(kdf[1], "PBKDF2"), salt = content(expect(k[0], 0x04, "PBKDF2")), iterations = integer(k[1]), at = 2, keyLength = null;
    need(iterations >= 1 && iterations <= MAX_ITERATIONS, "the key file asks for " + iterations + " PBKDF2 iterations");
    if (k[at] && k[at].tag === 0x02) { keyLength = integer(k[at]); at++; }
    var hash = k[at] ? PRF[oid(seq(k[at], "PBKDF2")[0])] : "SHA-1";  // RFC 8018: the default PRF is HMAC-SHA-1
    need(hash, "the key file uses an unknown PBKDF2 hash");
    var cipher = CIPHER[oid(enc[0])];
    need(cipher, "the key file is encrypted with a cipher other than AES-CBC or AES-GCM");
    need(cipher.length === 2, cipher[0] + " is not available in browsers; re-encrypt the key with AES-256");
    need(keyLength === null || keyLength * 8 === cipher[1], "the key file's PBKDF2 key length does not fit its cipher");
    var algorithm;
    if (cipher[0] === "AES-CBC") {
      algorithm = { name: "AES-CBC", iv: content(expect(enc[1], 0x04, "AES-CBC")) };
    } else {  // GCMParameters (RFC 5084): nonce, tag length in bytes (default 12); the tag follows the ciphertext
      var gcm = seq(enc[1], "AES-GCM");
      algorithm = { name: "AES-GCM", iv: content(expect(gcm[0], 0x04, "AES-GCM")), tagLength: 8 * (gcm[1] ? integer(gcm[1]) : 12) };
    }
    var base = await subtle.importKey("raw", utf8(passphrase), "PBKDF2", false, ["deriveKey"]);
    var aes = await subtle.deriveKey({ name: "PBKDF2", salt: salt, iterations: iterations, hash: hash }, base,
      { name: cipher[0], length: cipher[1] }, false, ["decrypt"]);
    var plain;
    try {
      plain = new Uint8Array(await subtle.decrypt(algorithm, aes, content(expect(top[1], 0x04, "encrypted"))));
      // A wrong passphrase that passes the padding check is caught here: PrivateKeyInfo, exactly.
      var info = tlv(plain, 0), parts = seq(info, "a private key");
      need(info.end === plain.length && parts.length >= 3 && parts[0].tag === 0x02 && parts[2].tag === 0x04, "not a key");
    } catch (e) {
      throw new SignError("wrong passphrase for this key file (or the file is damaged): nothing was signed");
    }
    return plain;
  }

  // PrivateKeyInfo: which algorithm, and the WebCrypto parameters and JWS alg for it.
  function keyKind(pkcs8) {
    var info = seq(tlv(pkcs8, 0), "a private key"), algorithm = seq(info[1], "a private key"), id = oid(algorithm[0]);
    if (id === OID.ed25519) { return { alg: "Ed25519", params: { name: "Ed25519" }, sign: { name: "Ed25519" } }; }
    if (id === OID.ecPublicKey && algorithm[1] && algorithm[1].tag === 0x06 && oid(algorithm[1]) === OID.p256) {
      return { alg: "ES256", params: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } };
    }
    throw new SignError("Entente keys are Ed25519 or ECDSA P-256; this key file holds another kind of key");
  }
  function kindOfJwk(jwk) {
    return jwk.kty === "OKP"
      ? { alg: "Ed25519", params: { name: "Ed25519" }, sign: { name: "Ed25519" } }
      : { alg: "ES256", params: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } };
  }
  function publicMembers(jwk) {  // the RFC 7638 required members
    return jwk.kty === "OKP" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  }
  async function thumbprint(jwk) { return b64url(await sha256(utf8(jcs(publicMembers(jwk))))); }

  // A key file to a signer: the key is imported once to read its public half, then again without
  // the right to export it; only the non-extractable one is kept.
  async function keyFromFile(text, passphrase) {
    var pkcs8 = await decryptPkcs8(readPem(text), passphrase), kind = keyKind(pkcs8), full;
    try {
      full = await subtle.importKey("pkcs8", pkcs8, kind.params, true, ["sign"]);
    } catch (e) {
      throw new SignError("this browser cannot use the key in this file (" + (e.message || e.name) + ")");
    }
    var jwk = await subtle.exportKey("jwk", full), publicJwk = publicMembers(jwk);
    var privateKey = await subtle.importKey("pkcs8", pkcs8, kind.params, false, ["sign"]);
    pkcs8.fill(0);
    return { kid: await thumbprint(publicJwk), alg: kind.alg, sign: kind.sign, privateKey: privateKey, publicJwk: publicJwk, origin: "file" };
  }

  // --- keys kept in this browser (IndexedDB; the private key is a non-extractable CryptoKey) -------------
  var DB = "entente-signing-keys", STORE = "keys";
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "kid" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(new SignError("this browser's key store cannot be opened: " + request.error)); };
    });
  }
  async function transaction(mode, work) {
    var db = await openDb();
    try {
      return await new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        var request = work(tx.objectStore(STORE));
        request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(new SignError("this browser's key store failed: " + tx.error)); };
      });
    } finally { db.close(); }
  }
  function storedKeys() { return transaction("readonly", function (s) { return s.getAll(); }); }
  function storeKey(record) { return transaction("readwrite", function (s) { return s.add(record); }); }
  function forgetKey(kid) { return transaction("readwrite", function (s) { return s.delete(kid); }); }

  async function createBrowserKey(alg, party, user) {
    var kind = alg === "ES256" ? kindOfJwk({ kty: "EC" }) : kindOfJwk({ kty: "OKP" });
    var pair = await subtle.generateKey(kind.params, false, ["sign", "verify"]);
    var publicJwk = publicMembers(await subtle.exportKey("jwk", pair.publicKey));
    return {
      kid: await thumbprint(publicJwk), alg: kind.alg, party: party, user: user, publicJwk: publicJwk,
      privateKey: pair.privateKey, created: new Date().toISOString(),
    };
  }

  // --- detached JWS, general JSON serialization (RFC 7515 section 7.2.1 and appendix F) -----------------
  async function signDetached(signer, payload, header) {
    var protectedHeader = b64url(utf8(jcs(Object.assign({}, header, { alg: signer.alg, kid: signer.kid }))));
    var input = concat(utf8(protectedHeader + "."), utf8(b64url(payload)));
    var sign = signer.sign || kindOfJwk(signer.publicJwk).sign;
    var signature = new Uint8Array(await subtle.sign(sign, signer.privateKey, input));
    return { signatures: [{ protected: protectedHeader, signature: b64url(signature) }] };
  }

  // --- talking to the server -------------------------------------------------------------------------------
  async function problemText(response) {
    try {
      var problem = await response.json();
      return (problem.detail || problem.title || response.statusText) + (problem.code ? " (" + problem.code + ")" : "");
    } catch (e) { return response.status + " " + response.statusText; }
  }
  async function getBytes(url) {
    var response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) { throw new SignError("the payload could not be downloaded: " + await problemText(response)); }
    return new Uint8Array(await response.arrayBuffer());
  }
  async function postJson(url, body, csrf) {
    var response = await fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body),
    });
    if (!response.ok) { throw new SignError(await problemText(response)); }
    return response.json();
  }

  // --- the pages ------------------------------------------------------------------------------------------
  function $(root, selector) { return root.querySelector(selector); }
  function show(el, text) { if (el) { el.textContent = text; el.hidden = !text; } }
  var loadedAt = performance.now();

  // A server-side map kid -> {party, state}: which party's key this is, before anything is signed.
  function keyProblem(panel, kid) {
    var known = JSON.parse(panel.dataset.keys || "{}")[kid], party = panel.dataset.party;
    if (!known) { return "this key (kid " + kid + ") is not registered for any party: register it on the Keys page first, or choose another key"; }
    if (known.party !== party) { return "this key is registered for " + known.party + ", not " + party + ": " + party + "'s signature must be made with one of " + party + "'s keys"; }
    if (known.state !== "valid") { return "this key of " + party + " is " + known.state + ": choose another key"; }
    return null;
  }

  // The signing instant on the server's clock: the page says what the server's time was when it was
  // made, and the browser adds the time elapsed since (a machine whose clock is wrong still signs).
  function iat(panel) {
    var now = Number(panel.dataset.serverNow);
    return Number.isFinite(now) ? Math.floor(now + (performance.now() - loadedAt) / 1000) : Math.floor(Date.now() / 1000);
  }

  async function fillBrowserKeys(panel) {
    var select = $(panel, "[data-role=browser-keys]");
    if (!select) { return; }
    var party = panel.dataset.party, keys = (await storedKeys()).filter(function (k) { return k.party === party; });
    select.textContent = "";
    keys.forEach(function (k) {
      var option = document.createElement("option");
      option.value = k.kid;
      option.textContent = k.alg + " key " + k.kid + " (made " + k.created.slice(0, 10) + (k.user ? " by " + k.user : "") + ")";
      select.appendChild(option);
    });
    var none = $(panel, "[data-role=no-browser-keys]");
    if (none) { none.hidden = keys.length > 0; }
    select.disabled = keys.length === 0;
    select.hidden = keys.length === 0;
    var choice = $(panel, "input[name=key-source][value=" + (keys.length ? "browser" : "file") + "]");
    if (choice) { choice.checked = true; }
  }

  async function chosenSigner(panel) {
    var source = $(panel, "input[name=key-source]:checked");
    if (source && source.value === "browser") {
      var kid = $(panel, "[data-role=browser-keys]").value;
      need(kid, "this browser holds no key of " + panel.dataset.party + ": create one on the Keys page, or use a key file");
      var record = (await storedKeys()).find(function (k) { return k.kid === kid; });
      need(record, "that key is no longer in this browser");
      return Object.assign({ origin: "browser" }, record);
    }
    var file = $(panel, "[data-role=key-file]").files[0];
    need(file, "choose your party's key file (a .pem written by entente keys generate)");
    need(file.size < 65536, "that file is too large to be a key file");
    return keyFromFile(await file.text(), $(panel, "[data-role=passphrase]").value);
  }

  // What a panel signs: a fixed URL (sign-off, roster) or one built from its form (pre-signature).
  function payloadUrl(panel) {
    if (!panel.dataset.payloadForm) { return panel.dataset.payloadUrl; }
    var form = document.getElementById(panel.dataset.payloadForm), query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { query.append(name, value); });
    return panel.dataset.payloadUrl + "?" + query.toString();
  }

  async function checkPayload(panel) {
    var bytes = await getBytes(payloadUrl(panel)), digest = await digestOf(bytes), expected = panel.dataset.digest;
    show($(panel, "[data-role=digest]"), digest);
    var verdict = $(panel, "[data-role=digest-verdict]");
    if (expected) {
      show(verdict, digest === expected ? "matches the digest the server shows" : "DOES NOT MATCH the digest the server shows: do not sign");
      verdict.className = digest === expected ? "ok" : "alert";
      need(digest === expected, "the downloaded bytes do not have the digest shown on this page: nothing was signed");
    }
    var shown = document.querySelectorAll("[data-disclosure-digest]");
    if (shown.length) {  // each section shown on the page is one the signed object lists (RFC 9901 digests)
      var listed = new Set(), object = JSON.parse(new TextDecoder().decode(bytes));
      (object.sections || []).concat(object.annex || []).forEach(function (e) { listed.add(e.digest); });
      var matched = 0;
      for (var el of shown) {
        var ok = listed.has(el.dataset.disclosureDigest) && b64url(await sha256(utf8(el.dataset.disclosure))) === el.dataset.disclosureDigest;
        if (ok) { matched++; }
      }
      show($(panel, "[data-role=disclosures]"), matched + " of " + shown.length + " item(s) shown on this page match the signed object");
      need(matched === shown.length, "an item shown on this page is not one the signed object lists: nothing was signed");
    }
    return { bytes: bytes, digest: digest };
  }

  async function sign(panel) {
    var status = $(panel, "[data-role=status]"), error = $(panel, "[data-role=error]"), button = $(panel, "[data-role=sign]");
    show(error, "");
    button.disabled = true;
    try {
      show(status, "Downloading the exact bytes and checking their digest…");
      var payload = await checkPayload(panel);
      show(status, "Opening the key…");
      var signer = await chosenSigner(panel), problem = keyProblem(panel, signer.kid);
      need(!problem, problem);
      show(status, "Signing with " + signer.alg + " key " + signer.kid + "…");
      var header = { typ: panel.dataset.typ, iat: iat(panel), digest: payload.digest };
      var statement = panel.dataset.statementField ? document.getElementById(panel.dataset.statementField).value.trim().normalize("NFC") : "";
      if (statement) {  // an alignment statement is bound to the signature by its digest
        header.statement_digest = await digestOf(utf8(statement));
      }
      var jws = await signDetached(signer, payload.bytes, header);
      var body = Object.assign(JSON.parse(panel.dataset.submitExtra || "{}"), { jws: jws });
      if (statement) { body.statement = statement; }
      if (panel.dataset.payloadForm) {  // a pre-signature repeats the terms it signed
        new FormData(document.getElementById(panel.dataset.payloadForm)).forEach(function (value, name) {
          body[name] = name === "tiers" ? (body.tiers || []).concat([Number(value)]) : value;
        });
      }
      show(status, "Sending the signature…");
      await postJson(panel.dataset.submitUrl, body, panel.dataset.csrf);
      show(status, "Signed with key " + signer.kid + ". Reloading…");
      window.location.assign(panel.dataset.doneUrl || window.location.href);
    } catch (e) {
      show(status, "");
      show(error, e instanceof SignError ? e.message : "signing failed: " + (e.message || e.name));
      button.disabled = false;
    }
  }

  function setUpSigning(panel) {
    panel.hidden = false;
    fillBrowserKeys(panel).catch(function (e) { show($(panel, "[data-role=error]"), e.message); });
    $(panel, "[data-role=sign]").addEventListener("click", function () { sign(panel); });
    var check = function () {
      show($(panel, "[data-role=error]"), "");
      checkPayload(panel).catch(function (e) { show($(panel, "[data-role=error]"), e.message); });
    };
    check();
    if (panel.dataset.payloadForm) {  // the terms are part of what is signed: recompute when they change
      document.getElementById(panel.dataset.payloadForm).addEventListener("change", check);
    }
  }

  // The Keys page: the keys of this browser, and making one and registering its public half.
  async function listBrowserKeys(panel) {
    var list = $(panel, "[data-role=browser-key-list]"), keys = await storedKeys(), registered = JSON.parse(panel.dataset.keys || "{}");
    list.textContent = "";
    keys.forEach(function (k) {
      var item = document.createElement("li"), known = registered[k.kid];
      item.textContent = k.alg + " key " + k.kid + " for " + k.party + (k.user ? " (" + k.user + ")" : "") + ": " +
        (known ? "registered for " + known.party + ", " + known.state : "not registered") + " ";
      var forget = document.createElement("button");
      forget.type = "button";
      forget.className = "link";
      forget.textContent = "Forget";
      forget.addEventListener("click", async function () {
        if (window.confirm("Forget key " + k.kid + "? It cannot be recovered: this browser holds the only copy.")) {
          await forgetKey(k.kid);
          await listBrowserKeys(panel);
        }
      });
      item.appendChild(forget);
      list.appendChild(item);
    });
    show($(panel, "[data-role=no-browser-keys]"), keys.length ? "" : "This browser holds no signing key.");
  }

  async function createAndRegister(panel) {
    var status = $(panel, "[data-role=status]"), error = $(panel, "[data-role=error]"), button = $(panel, "[data-role=create]");
    show(error, "");
    button.disabled = true;
    var record = null;
    try {
      var alg = $(panel, "[data-role=alg]").value;
      show(status, "Making an " + alg + " key in this browser…");
      record = await createBrowserKey(alg, panel.dataset.party, panel.dataset.user);
      await storeKey(record);
      show(status, "Registering its public key for " + panel.dataset.party + "…");
      await postJson(panel.dataset.registerUrl, { jwk: Object.assign({ alg: record.alg, use: "sig" }, record.publicJwk) }, panel.dataset.csrf);
      show(status, "Registered key " + record.kid + ". Reloading…");
      window.location.assign(window.location.href);
    } catch (e) {
      if (record) { await forgetKey(record.kid).catch(function () {}); }  // never keep a key that is not registered
      show(status, "");
      show(error, e instanceof SignError ? e.message : "the key was not created: " + (e.message || e.name));
      button.disabled = false;
    }
  }

  function setUpKeys(panel) {
    panel.hidden = false;
    listBrowserKeys(panel).catch(function (e) { show($(panel, "[data-role=error]"), e.message); });
    var create = $(panel, "[data-role=create]");
    if (create) { create.addEventListener("click", function () { createAndRegister(panel); }); }
  }

  // The key file form (keys page) posts without JavaScript too, and the server refuses a private key,
  // keeping nothing. Here a private key is stopped before it is sent at all.
  var PRIVATE_JWK_MEMBERS = ["d", "dp", "dq", "k", "oth", "p", "q", "qi"];
  async function privateKeyRefusal(form) {
    var file = form.elements.jwk_file.files[0];
    if (file && file.size > 65536) { return null; }  // no JWK: the server says so
    var text = (file ? await file.text() : form.elements.jwk.value).trim();
    if (text.startsWith("-----BEGIN")) { return "this is a private key file (PEM): choose the public <CODE>-<kid>.jwk.json written beside it; nothing was sent"; }
    var jwk = null;
    try { jwk = JSON.parse(text); } catch (e) { return null; }
    // The JWK itself, and each key of a JWK Set (RFC 7517 section 5).
    var keys = jwk && typeof jwk === "object" ? [jwk].concat(Array.isArray(jwk.keys) ? jwk.keys : []) : [];
    var found = [];
    keys.forEach(function (key) {
      if (key && typeof key === "object") {
        found = found.concat(PRIVATE_JWK_MEMBERS.filter(function (m) { return m in key; }));
      }
    });
    return found.length ? "the JWK holds private key material ('" + found[0] + "'); register the public key only; nothing was sent" : null;
  }
  function guardKeyFile(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      privateKeyRefusal(form).then(function (refusal) {
        show($(form, "[data-role=error]"), refusal || "");
        if (!refusal) { form.submit(); }  // submit() fires no submit event: sent once, as the page made it
      });
    });
  }

  function start() {
    document.querySelectorAll("form[data-keyfile]").forEach(guardKeyFile);
    var missing = !subtle || !window.indexedDB;
    document.querySelectorAll("[data-websign], [data-webkeys]").forEach(function (panel) {
      if (missing) {
        var note = document.createElement("p");
        note.className = "alert";
        note.textContent = "This browser has no WebCrypto here (it needs a secure context: https or localhost). Paste a JWS instead.";
        panel.replaceChildren(note);
        panel.hidden = false;
        return;
      }
      if (panel.hasAttribute("data-websign")) { setUpSigning(panel); } else { setUpKeys(panel); }
    });
  }

  window.EntenteSign = { decryptPkcs8: decryptPkcs8, readPem: readPem, keyFromFile: keyFromFile, thumbprint: thumbprint, signDetached: signDetached, jcs: jcs };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
