/*
 * Kinwell circles, v1: the cryptography of end-to-end encrypted circles, on
 * Web Crypto only (P-256 ECDH and ECDSA, HKDF-SHA256, AES-256-GCM,
 * PBKDF2-SHA256, SHA-256); no primitive by hand. The byte formats are those
 * of docs/circles.md; kinwell/circles/protocol/ writes the same in Python and
 * tests/browser/test_circles_crypto.py checks each against the other.
 *
 * No DOM, no network: this defines window.KinwellCircleCrypto, whose
 * functions are async (but acceptInOrder) and pass binary data as base64url
 * without padding ("b64u"). A pinned file (kinwell/circles/scripts.py): a
 * change needs a new digest, and a format change a new file, not an edit.
 */
(function () {
  "use strict";

  const subtle = window.crypto.subtle;
  const utf8 = new TextEncoder();
  const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

  const P256 = { namedCurve: "P-256" };
  const ECDH = { name: "ECDH", ...P256 };
  const ECDSA = { name: "ECDSA", ...P256 };
  const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
  const PBKDF2_ITERATIONS = 600000;
  const MAX_MESSAGE_BYTES = 600000;

  // --- Encoding ---------------------------------------------------------

  const b64u = {
    encode(bytes) {
      let binary = "";
      for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
      return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
    decode(text) {
      if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
        throw new Error("Not base64url data.");
      }
      const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
      return Uint8Array.from(binary, (char) => char.charCodeAt(0));
    },
  };

  function randomBytes(length) {
    return window.crypto.getRandomValues(new Uint8Array(length));
  }

  async function sha256(bytes) {
    return new Uint8Array(await subtle.digest("SHA-256", bytes));
  }

  function isId(value) {
    return Number.isSafeInteger(value) && value > 0;
  }

  // --- AES-256-GCM: 12-byte random IV, 128-bit tag appended to ct ---------

  async function seal(key, plaintext, aad) {
    const iv = randomBytes(12);
    const params = { name: "AES-GCM", iv, additionalData: utf8.encode(aad), tagLength: 128 };
    const ct = new Uint8Array(await subtle.encrypt(params, key, plaintext));
    return { iv: b64u.encode(iv), ct: b64u.encode(ct) };
  }

  // Throws (an OperationError) when the key, the AAD or the bytes are wrong.
  async function open(key, sealed, aad) {
    const iv = b64u.decode(sealed.iv);
    if (iv.length !== 12) throw new Error("Bad IV.");
    const params = { name: "AES-GCM", iv, additionalData: utf8.encode(aad), tagLength: 128 };
    return new Uint8Array(await subtle.decrypt(params, key, b64u.decode(sealed.ct)));
  }

  // --- Signatures: ECDSA P-256 SHA-256, raw 64-byte r||s ------------------

  async function sign(privateKey, text) {
    return b64u.encode(await subtle.sign(ECDSA_SHA256, privateKey, utf8.encode(text)));
  }

  // False for a bad signature and for anything that is not one.
  async function verify(signingSpki, signature, text) {
    try {
      const publicKey = await subtle.importKey("spki", b64u.decode(signingSpki), ECDSA, false, ["verify"]);
      return await subtle.verify(ECDSA_SHA256, publicKey, b64u.decode(signature), utf8.encode(text));
    } catch (error) {
      return false;
    }
  }

  async function exportSpki(publicKey) {
    return b64u.encode(await subtle.exportKey("spki", publicKey));
  }

  // --- Devices, recovery key, fingerprints, vouchers ------------------------

  async function generateDeviceKeys() {
    // extractable: false applies to the private keys; public keys can always be exported.
    const agreementKeyPair = await subtle.generateKey(ECDH, false, ["deriveBits"]);
    const signingKeyPair = await subtle.generateKey(ECDSA, false, ["sign", "verify"]);
    return {
      agreementKeyPair,
      signingKeyPair,
      agreement: await exportSpki(agreementKeyPair.publicKey),
      signing: await exportSpki(signingKeyPair.publicKey),
    };
  }

  // The one extractable private key: exported once, into the backup only.
  async function generateRecoveryKey() {
    const signingKeyPair = await subtle.generateKey(ECDSA, true, ["sign", "verify"]);
    return {
      signingKeyPair,
      signing: await exportSpki(signingKeyPair.publicKey),
      pkcs8: b64u.encode(await subtle.exportKey("pkcs8", signingKeyPair.privateKey)),
    };
  }

  async function importRecoveryKey(pkcs8) {
    return subtle.importKey("pkcs8", b64u.decode(pkcs8), ECDSA, false, ["sign"]);
  }

  // 16 decimal digits in groups of four: the first 8 bytes of a SHA-256, as a
  // big-endian integer, mod 10^16. It is also the link code for a new device.
  async function fingerprint(agreement, signing) {
    const digest = await sha256(utf8.encode(`kinwell-device-fp-v1\n${agreement}\n${signing}`));
    let number = 0n;
    for (const byte of digest.slice(0, 8)) number = (number << 8n) | BigInt(byte);
    const digits = (number % 10n ** 16n).toString().padStart(16, "0");
    return digits.match(/\d{4}/g).join(" ");
  }

  function voucherText(userId, agreement, signing) {
    return `kinwell-voucher-v1\n${userId}\n${agreement}\n${signing}`;
  }

  async function signVoucher(privateKey, userId, agreement, signing) {
    return sign(privateKey, voucherText(userId, agreement, signing));
  }

  async function verifyVoucher(signingSpki, sig, userId, agreement, signing) {
    return verify(signingSpki, sig, voucherText(userId, agreement, signing));
  }

  // An admin's browser device signs each invitation with the circle's key
  // period at the time; admins' browsers sign into a member list only people
  // whose invitation verifies.
  function invitationString(circleUid, epoch, userId) {
    return `kinwell-invitation-v1\n${circleUid}\n${epoch}\n${userId}`;
  }

  async function signInvitation(privateKey, circleUid, epoch, userId) {
    return sign(privateKey, invitationString(circleUid, epoch, userId));
  }

  async function verifyInvitation(signingSpki, sig, circleUid, epoch, userId) {
    return verify(signingSpki, sig, invitationString(circleUid, epoch, userId));
  }

  // --- Epoch keys and wraps ---------------------------------------------

  async function importEpochKey(raw) {
    const bytes = typeof raw === "string" ? b64u.decode(raw) : raw;
    if (bytes.length !== 32) throw new Error("An epoch key is 32 bytes.");
    // Extractable: an epoch key is re-wrapped for new devices and backed up.
    return subtle.importKey("raw", bytes, { name: "AES-GCM" }, true, ["encrypt", "decrypt"]);
  }

  async function newEpochKey() {
    return importEpochKey(randomBytes(32));
  }

  async function exportEpochKey(key) {
    return b64u.encode(await subtle.exportKey("raw", key));
  }

  async function keyCheck(key) {
    const prefix = utf8.encode("kinwell-epoch-check-v1\n");
    const data = new Uint8Array(prefix.length + 32);
    data.set(prefix);
    data.set(new Uint8Array(await subtle.exportKey("raw", key)), prefix.length);
    return b64u.encode(await sha256(data));
  }

  // HKDF-SHA256(ECDH shared secret, salt = 32 zero bytes, info) -> AES-256-GCM.
  async function wrapKey(privateKey, publicKey, info, usage) {
    const shared = await subtle.deriveBits({ name: "ECDH", public: publicKey }, privateKey, 256);
    const hkdf = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: utf8.encode(info) };
    return subtle.deriveKey(params, hkdf, { name: "AES-GCM", length: 256 }, false, [usage]);
  }

  function wrapInfo(circleUid, epoch, deviceId) {
    return `kinwell-wrap-v1\n${circleUid}\n${epoch}\n${deviceId}`;
  }

  // ECIES style: a fresh ephemeral key pair for every wrap.
  async function wrapEpochKey(key, agreementSpki, circleUid, epoch, deviceId) {
    const info = wrapInfo(circleUid, epoch, deviceId);
    const recipient = await subtle.importKey("spki", b64u.decode(agreementSpki), ECDH, false, []);
    const ephemeral = await subtle.generateKey(ECDH, false, ["deriveBits"]);
    const aes = await wrapKey(ephemeral.privateKey, recipient, info, "encrypt");
    const raw = new Uint8Array(await subtle.exportKey("raw", key));
    const { iv, ct } = await seal(aes, raw, info);
    return JSON.stringify({ e: await exportSpki(ephemeral.publicKey), iv, ct });
  }

  // Pass the signed roster's key_check as `expectedCheck`: a key the server
  // swapped (wrapped for this device by someone else) is then refused.
  async function unwrapEpochKey(wrapped, agreementPrivateKey, circleUid, epoch, deviceId, expectedCheck) {
    const info = wrapInfo(circleUid, epoch, deviceId);
    const parsed = JSON.parse(wrapped);
    const ephemeral = await subtle.importKey("spki", b64u.decode(parsed.e), ECDH, false, []);
    const aes = await wrapKey(agreementPrivateKey, ephemeral, info, "decrypt");
    const key = await importEpochKey(await open(aes, parsed, info));
    if (expectedCheck !== undefined && (await keyCheck(key)) !== expectedCheck) {
      throw new Error("The key does not match the signed member list.");
    }
    return key;
  }

  // --- Rosters: the signed member list of each epoch ---------------------

  // The exact string that is signed: compact JSON, keys in the format's
  // order; "recovery": true only on a recovery key.
  function rosterString(roster) {
    return JSON.stringify({
      v: roster.v,
      circle: roster.circle,
      epoch: roster.epoch,
      previous: roster.previous,
      key_check: roster.key_check,
      members: roster.members.map((member) => ({
        user: member.user,
        admin: member.admin,
        keys: member.keys.map((key) => {
          const entry = { device: key.device, agreement: key.agreement, signing: key.signing };
          if (key.recovery) entry.recovery = true;
          return entry;
        }),
      })),
    });
  }

  async function signRoster(privateKey, rosterStr) {
    return sign(privateKey, `kinwell-roster-v1\n${rosterStr}`);
  }

  // Parses a roster string and checks its shape; null if it is not a roster.
  // Duplicate members or devices are refused: each must be unambiguous.
  function parseRoster(text) {
    let roster;
    try {
      roster = JSON.parse(text);
    } catch (error) {
      return null;
    }
    const isString = (value) => typeof value === "string";
    const keyOk = (key) =>
      isId(key.device) && isString(key.agreement) && isString(key.signing) && key.signing !== "" &&
      (key.recovery === undefined || (key.recovery === true && key.agreement === ""));
    const memberOk = (member) =>
      isId(member.user) && typeof member.admin === "boolean" &&
      Array.isArray(member.keys) && member.keys.every((key) => key && keyOk(key));
    const ok = roster && roster.v === 1 && isString(roster.circle) && isId(roster.epoch) &&
      isString(roster.previous) && isString(roster.key_check) &&
      Array.isArray(roster.members) && roster.members.every((member) => member && memberOk(member));
    if (!ok) return null;
    const users = roster.members.map((member) => member.user);
    const devices = roster.members.flatMap((member) => member.keys.map((key) => key.device));
    if (new Set(users).size !== users.length || new Set(devices).size !== devices.length) return null;
    return roster;
  }

  function sameKey(a, b) {
    return a.device === b.device && a.agreement === b.agreement && a.signing === b.signing;
  }

  function findKey(roster, deviceId) {
    for (const member of roster.members) {
      const key = member.keys.find((candidate) => candidate.device === deviceId);
      if (key) return { member, key };
    }
    return null;
  }

  // Rule 2's second case: every member of `next` was in `prev`, with the
  // same or fewer keys, and no one became an admin.
  function onlyRemoves(prev, next) {
    return next.members.every((member) => {
      const before = prev.members.find((old) => old.user === member.user);
      return before !== undefined && (before.admin || !member.admin) &&
        member.keys.every((key) => before.keys.some((old) => sameKey(old, key)));
    });
  }

  // Who may sign roster n (rules 1 and 2); returns the signer's roster entry.
  function allowedSigner(prev, roster, signerId) {
    if (prev === null) {
      const found = findKey(roster, signerId);
      return found && found.member.admin ? found.key : null;
    }
    const found = findKey(prev, signerId);
    if (!found) return null;
    if (found.member.admin) return found.key;
    const stays = roster.members.some((member) => member.user === found.member.user);
    return stays && onlyRemoves(prev, roster) ? found.key : null;
  }

  function lookup(devices, id) {
    if (devices instanceof Map) return devices.get(id) || devices.get(String(id)) || null;
    if (Array.isArray(devices)) return devices.find((device) => device.id === id) || null;
    return (devices && devices[String(id)]) || null;
  }

  // Follows vouchers up from `key` (a roster entry of member `userId`) until
  // it reaches one of `anchors` (keys already trusted for this member) or a
  // key with no voucher. Every link is a voucher signature checked with the
  // vouching key: taken from the anchors or this roster (signed) if it is
  // there, else from the server's device list, which is safe because the
  // chain must still end at a trusted key. Returns {anchor} or {root}, or
  // null if a voucher is missing, invalid or loops.
  async function followVouchers(userId, key, member, anchors, devices) {
    let current = key;
    const seen = new Set();
    while (!seen.has(current.device)) {
      if (anchors.some((anchor) => sameKey(anchor, current))) return { anchor: current };
      seen.add(current.device);
      const device = lookup(devices, current.device);
      if (!device) return null;
      if (device.vouched_by == null || device.vouched_by === "") return { root: current };
      const byId = Number(device.vouched_by);
      let by = anchors.find((anchor) => anchor.device === byId) ||
        member.keys.find((other) => other.device === byId);
      if (!by) {
        const listed = lookup(devices, byId);
        if (!listed) return null;
        by = { device: byId, agreement: listed.agreement || "", signing: listed.signing };
      }
      const valid = await verifyVoucher(by.signing, device.voucher || "", userId, current.agreement, current.signing);
      if (!valid) return null;
      current = by;
    }
    return null;
  }

  // Rule 3 for one member of roster n; returns an error or null.
  async function checkMemberKeys(member, before, number, devices) {
    const who = `member ${member.user}`;
    if (before) {
      for (const key of member.keys) {
        if (before.keys.some((old) => sameKey(old, key))) continue;
        const reached = await followVouchers(member.user, key, member, before.keys, devices);
        if (!reached || !reached.anchor) {
          return `Epoch ${number} adds a key (device ${key.device}) for ${who} that none of their earlier keys vouched for.`;
        }
      }
      return null;
    }
    // Joining: trusted on first use, but all their keys must chain to one
    // unvouched browser device, so nobody can slip in an extra key.
    let root = null;
    for (const key of member.keys) {
      const reached = await followVouchers(member.user, key, member, [], devices);
      const ok = reached && reached.root && reached.root.agreement !== "" &&
        (root === null || sameKey(root, reached.root));
      if (!ok) {
        return `Epoch ${number} adds ${who} with keys that do not all vouch for one another (device ${key.device}).`;
      }
      root = reached.root;
    }
    return null;
  }

  // Checks one epoch against the one before it; returns an error or null.
  async function checkEpoch(epoch, roster, prev, prevString, devices) {
    const number = epoch.number;
    const previous = prev === null ? "" : b64u.encode(await sha256(utf8.encode(prevString)));
    if (roster.previous !== previous) {
      return `The member list of epoch ${number} does not follow the one before it.`;
    }
    if (prev !== null && roster.circle !== prev.circle) {
      return `The member list of epoch ${number} names another circle.`;
    }
    const signer = allowedSigner(prev, roster, Number(epoch.signer));
    if (!signer) return `The member list of epoch ${number} is not signed by a key allowed to sign it.`;
    if (!(await verify(signer.signing, epoch.signature, `kinwell-roster-v1\n${epoch.roster}`))) {
      return `The signature on the member list of epoch ${number} is not valid.`;
    }
    for (const member of roster.members) {
      const before = prev && prev.members.find((old) => old.user === member.user);
      const error = await checkMemberKeys(member, before, number, devices);
      if (error) return error;
    }
    return null;
  }

  // Verifies a circle's member lists, epoch by epoch (rules 1-3). `epochs`
  // are the API's ({number, roster, signer, signature}); `devicesById` the
  // API's devices (a Map, an object by id, or the list); `circleUid`, if
  // given, the circle the page is about. Returns the epochs verified before
  // the first failure, and that failure in plain words (or null): a client
  // uses no epoch from the first failed one on.
  async function verifyChain(epochs, devicesById, circleUid) {
    const sorted = [...epochs].sort((a, b) => a.number - b.number);
    const verified = [];
    let prev = null;
    let prevString = null;
    for (const [index, epoch] of sorted.entries()) {
      const number = index + 1;
      if (epoch.number !== number) {
        return { verified, error: `The member list of epoch ${number} is missing.` };
      }
      const roster = parseRoster(epoch.roster);
      let error = null;
      if (!roster || roster.epoch !== number) {
        error = `The member list of epoch ${number} could not be read.`;
      } else if (circleUid !== undefined && roster.circle !== circleUid) {
        error = `The member list of epoch ${number} names another circle.`;
      } else {
        error = await checkEpoch(epoch, roster, prev, prevString, devicesById);
      }
      if (error) return { verified, error };
      verified.push({ number, roster, rosterString: epoch.roster });
      prev = roster;
      prevString = epoch.roster;
    }
    return { verified, error: null };
  }

  // --- Circle name and purpose -----------------------------------------

  function metaAad(uid, epoch) {
    return `kinwell-meta-v1\n${uid}\n${epoch}`;
  }

  async function sealMeta(key, uid, epoch, meta) {
    const chars = (text) => [...text].length; // code points, as Python's len()
    if (typeof meta.name !== "string" || chars(meta.name.trim()) < 1 || chars(meta.name) > 80) {
      throw new Error("A circle's name is 1 to 80 characters long.");
    }
    const purpose = meta.purpose || "";
    if (typeof purpose !== "string" || chars(purpose) > 500) {
      throw new Error("A circle's purpose is at most 500 characters long.");
    }
    const plaintext = utf8.encode(JSON.stringify({ name: meta.name, purpose }));
    return JSON.stringify(await seal(key, plaintext, metaAad(uid, epoch)));
  }

  async function openMeta(key, uid, epoch, sealed) {
    const meta = JSON.parse(fromUtf8.decode(await open(key, JSON.parse(sealed), metaAad(uid, epoch))));
    if (typeof meta.name !== "string" || typeof meta.purpose !== "string") {
      throw new Error("The circle's name could not be read.");
    }
    return { name: meta.name, purpose: meta.purpose };
  }

  // --- Messages -----------------------------------------------------------

  function headerString(circle, epoch, device, counter) {
    return JSON.stringify({ v: 1, circle, epoch, device, counter });
  }

  function messageText(header, iv, ct) {
    return `kinwell-message-v1\n${header}\n${iv}\n${ct}`;
  }

  async function sealMessage({ key, circle, epoch, device, counter, privateKey, body }) {
    if (typeof circle !== "string" || !isId(epoch) || !isId(device) || !isId(counter)) {
      throw new Error("A message header needs a circle, an epoch, a device and a counter.");
    }
    const header = headerString(circle, epoch, device, counter);
    const { iv, ct } = await seal(key, utf8.encode(JSON.stringify(body)), header);
    const sig = await sign(privateKey, messageText(header, iv, ct));
    const wire = { header, iv, ct, sig };
    if (utf8.encode(JSON.stringify(wire)).length > MAX_MESSAGE_BYTES) {
      throw new Error("This message is too large to send: the limit is 600,000 bytes once encrypted.");
    }
    return wire;
  }

  // Parses a header and insists that it is exactly the format's string.
  function parseHeader(header) {
    const parsed = JSON.parse(header);
    const ok = parsed && parsed.v === 1 && typeof parsed.circle === "string" &&
      isId(parsed.epoch) && isId(parsed.device) && isId(parsed.counter) &&
      header === headerString(parsed.circle, parsed.epoch, parsed.device, parsed.counter);
    if (!ok) throw new Error("The message header is not valid.");
    return parsed;
  }

  // Opens a wire message ({header, iv, ct, sig}) into {header (parsed),
  // body}; throws on any failure (header, circle, signature, decryption,
  // body). `key` and `signingSpki` may be (async) functions of the parsed
  // header, which says the epoch and device. The counter rule is
  // acceptInOrder's.
  async function openMessage({ key, circle, signingSpki, wire }) {
    const header = parseHeader(wire.header);
    if (header.circle !== circle) throw new Error("The message belongs to another circle.");
    const spki = typeof signingSpki === "function" ? await signingSpki(header) : signingSpki;
    if (!spki || !(await verify(spki, wire.sig, messageText(wire.header, wire.iv, wire.ct)))) {
      throw new Error("The message's signature is not valid.");
    }
    const aesKey = typeof key === "function" ? await key(header) : key;
    if (!aesKey) throw new Error("The key of the message's epoch is not known.");
    const body = JSON.parse(fromUtf8.decode(await open(aesKey, wire, wire.header)));
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      throw new Error("The message's content is not valid.");
    }
    return { header, body };
  }

  // The replay rule, over opened messages ({header, ...}) in server order of
  // id: each is accepted only if its counter is above the last accepted from
  // its device. `lastCounters` ({device id: n}) are those this client accepted
  // before (not the server's). Returns {accepted, refused: [{message,
  // reason}], lastCounters}; changes nothing it is given.
  function acceptInOrder(messages, lastCounters) {
    const last = new Map(Object.entries(lastCounters || {}).map(([id, n]) => [String(id), n]));
    const accepted = [];
    const refused = [];
    for (const message of messages) {
      const device = String(message.header.device);
      if (message.header.counter > (last.get(device) || 0)) {
        last.set(device, message.header.counter);
        accepted.push(message);
      } else {
        refused.push({ message, reason: "replayed or out of order" });
      }
    }
    return { accepted, refused, lastCounters: Object.fromEntries(last) };
  }

  // --- Key backup under a passphrase ---------------------------------------

  class WrongPassphrase extends Error {
    constructor() {
      super("That passphrase does not open your backup.");
      this.name = "WrongPassphrase";
    }
  }

  async function backupKeyFrom(passphrase, salt) {
    const material = await subtle.importKey("raw", utf8.encode(passphrase), "PBKDF2", false, ["deriveKey"]);
    const params = { name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS };
    return subtle.deriveKey(params, material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  }

  // Epoch keys as {circle, epoch, key}, the key raw b64u or a CryptoKey.
  async function sealEpochKeys(backupKey, userId, epochKeys) {
    const epochs = [];
    for (const { circle, epoch, key } of epochKeys) {
      epochs.push({ circle, epoch, key: typeof key === "string" ? key : await exportEpochKey(key) });
    }
    const plaintext = utf8.encode(JSON.stringify({ epochs }));
    return seal(backupKey, plaintext, `kinwell-backup-keys-v1\n${userId}`);
  }

  function backupString(salt, recovery, keys) {
    const blob = { v: 1, kdf: "PBKDF2-SHA256", iterations: PBKDF2_ITERATIONS, salt, recovery, keys };
    return JSON.stringify(blob);
  }

  async function makeBackup(passphrase, userId, recoveryDevice, pkcs8, epochKeys) {
    const salt = randomBytes(16);
    const backupKey = await backupKeyFrom(passphrase, salt);
    const secret = utf8.encode(JSON.stringify({ device: recoveryDevice, pkcs8 }));
    const recovery = await seal(backupKey, secret, `kinwell-backup-recovery-v1\n${userId}`);
    const keys = await sealEpochKeys(backupKey, userId, epochKeys);
    return { blob: backupString(b64u.encode(salt), recovery, keys), backupKey };
  }

  function parseBackup(blob) {
    const parsed = JSON.parse(blob);
    if (!parsed || parsed.v !== 1 || parsed.kdf !== "PBKDF2-SHA256" || parsed.iterations !== PBKDF2_ITERATIONS) {
      throw new Error("This backup is not in a format this page can open.");
    }
    return parsed;
  }

  // Returns the epoch keys as {circle, epoch, key: b64u}, the recovery
  // private key imported (non-extractable), and the derived backup key.
  async function openBackup(passphrase, userId, blob) {
    const parsed = parseBackup(blob);
    const backupKey = await backupKeyFrom(passphrase, b64u.decode(parsed.salt));
    let secret;
    try {
      secret = await open(backupKey, parsed.recovery, `kinwell-backup-recovery-v1\n${userId}`);
    } catch (error) {
      throw new WrongPassphrase();
    }
    const recovery = JSON.parse(fromUtf8.decode(secret));
    const keys = await open(backupKey, parsed.keys, `kinwell-backup-keys-v1\n${userId}`);
    return {
      recoveryDevice: recovery.device,
      recoveryPrivateKey: await importRecoveryKey(recovery.pkcs8),
      epochKeys: JSON.parse(fromUtf8.decode(keys)).epochs,
      backupKey,
    };
  }

  // Re-encrypts the epoch keys of a backup (all of them: pass the full list)
  // under the kept backup key, without asking for the passphrase again. The
  // key must still open the blob: after a new passphrase (a new salt) set on
  // another device, an old key would seal keys that nothing could open.
  async function resealBackupKeys(backupKey, userId, blob, epochKeys) {
    const parsed = parseBackup(blob);
    try {
      await open(backupKey, parsed.recovery, `kinwell-backup-recovery-v1\n${userId}`);
    } catch (error) {
      throw new WrongPassphrase();
    }
    const keys = await sealEpochKeys(backupKey, userId, epochKeys);
    return backupString(parsed.salt, parsed.recovery, keys);
  }

  // --- Key store: IndexedDB "kinwell-circles", object store "keys" --------
  // CryptoKey objects are stored as they are; non-extractable ones stay so.

  let database = null;

  function openDatabase() {
    if (!database) {
      database = new Promise((resolve, reject) => {
        const request = indexedDB.open("kinwell-circles", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("keys");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      database.catch(() => { database = null; });
    }
    return database;
  }

  async function inStore(mode, action) {
    const db = await openDatabase();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction("keys", mode);
      const request = action(transaction.objectStore("keys"));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  const keyStore = {
    get: (name) => inStore("readonly", (store) => store.get(name)),
    put: (name, value) => inStore("readwrite", (store) => store.put(value, name)).then(() => undefined),
    delete: (name) => inStore("readwrite", (store) => store.delete(name)).then(() => undefined),
  };

  window.KinwellCircleCrypto = Object.freeze({
    b64u: Object.freeze(b64u),
    generateDeviceKeys, generateRecoveryKey, importRecoveryKey, fingerprint,
    signVoucher, verifyVoucher, invitationString, signInvitation, verifyInvitation,
    newEpochKey, exportEpochKey, importEpochKey, keyCheck, wrapEpochKey, unwrapEpochKey,
    rosterString, signRoster, verifyChain, sealMeta, openMeta,
    sealMessage, openMessage, acceptInOrder,
    makeBackup, openBackup, resealBackupKeys, WrongPassphrase,
    keyStore,
  });
})();
