/*
 * Kinwell circles: the pages of end-to-end encrypted circles, v1.
 *
 * Reads #circle-app (data-user, data-community, data-circle, data-page,
 * data-api), talks to the JSON API under /api/v1/ and does every
 * cryptographic step through window.KinwellCircleCrypto
 * (circles-crypto-v1.js). Markdown is rendered by the vendored `marked` and
 * sanitised by the vendored `DOMPurify`, here in the browser.
 *
 * What is decrypted here stays here: no message text, circle name or
 * purpose goes into a URL, a log line or a request, except the text of one
 * message that a member chooses to reveal to moderators in a report.
 *
 * A pinned file: its SHA-256 digest is listed in kinwell/circles/scripts.py
 * and enforced by Subresource Integrity.
 */
(function () {
  "use strict";

  const root = document.getElementById("circle-app");
  if (!root) return;

  const K = window.KinwellCircleCrypto;
  const app = {
    user: Number(root.dataset.user),
    community: root.dataset.community || "",
    circle: root.dataset.circle || "",
    page: root.dataset.page || "",
    api: root.dataset.api || "/api/v1/",
  };

  const POLL_MS = 7000;
  const MAX_FILES = 3;
  // In all, not each: the files are base64url inside the message, and the
  // message again once encrypted, and it must stay under MAX_WIRE_BYTES.
  const MAX_FILES_BYTES = 256 * 1024;
  const MAX_WIRE_BYTES = 600000;
  const MAX_TEXT = 20000;
  const REFUSED = "A message could not be verified and is not shown.";
  const UNCHECKED_INVITATION = "Waiting: their invitation could not be checked";
  const WRONG_PASSPHRASE = "That passphrase does not open your backup.";
  const NEED_HTTPS = "Circles need a secure (https) connection.";
  const MIN_PASSPHRASE = 12;
  const REACTIONS = [
    ["\u2764\ufe0f", "a heart"],
    ["\ud83d\udc4d", "a thumbs up"],
    ["\ud83d\ude4f", "thanks"],
    ["\ud83e\udd17", "a hug"],
  ];
  const utf8 = new TextEncoder();

  // --- Page helpers --------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function say(text) {
    const node = $("circle-status");
    if (node) node.textContent = text;
  }

  function problem(text) {
    const node = $("circle-problem");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function reveal(id, yes = true) {
    const node = $(id);
    if (node) node.hidden = !yes;
    return node;
  }

  const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });
  const dayFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "long" });

  function when(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
  }

  function timeElement(iso) {
    return h("time", { datetime: iso }, when(iso));
  }

  function sizeText(bytes) {
    if (bytes < 1024) return `${bytes} bytes`;
    if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  }

  // One action at a time on a page: sending, polling and re-keying never overlap.
  let queue = Promise.resolve();
  function exclusive(action) {
    const run = queue.then(action, action);
    queue = run.catch(() => undefined);
    return run;
  }

  // Buttons are disabled while their action runs, so nothing is sent twice.
  async function busy(button, action) {
    if (button) button.disabled = true;
    try {
      return await action();
    } finally {
      if (button) button.disabled = false;
    }
  }

  // --- The API -------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const holder = root.querySelector("[data-csrf]");
    return holder ? holder.dataset.csrf : root.dataset.csrf || "";
  }

  function errorText(data, status) {
    const error = data && data.error;
    if (typeof error === "string" && error) return error;
    if (error && typeof error.message === "string" && error.message) return error.message;
    if (status === 404) return "That is not there, or it is not available to you.";
    if (status === 429) return "That was a lot of changes in a short time. Wait a minute, then try again.";
    if (status === 401 || status === 403) return "You may not do that. Are you still logged in?";
    return "Something went wrong on the site. Try again in a moment.";
  }

  async function call(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") init.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(app.api + path, init);
    } catch (error) {
      throw new ApiError(0, "The site could not be reached. Check your connection, then try again.");
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok) throw new ApiError(response.status, errorText(data, response.status));
    return data;
  }

  function circlePath(uid, rest = "") {
    return `circles/${encodeURIComponent(uid)}${rest}`;
  }

  // Every page of `GET .../messages`, oldest first.
  async function messagesAfter(uid, after) {
    const all = [];
    let cursor = after;
    for (;;) {
      const page = await call("GET", circlePath(uid, `/messages?after=${cursor}&limit=200`));
      all.push(...page.messages);
      if (!page.more || !page.messages.length) break;
      cursor = page.messages[page.messages.length - 1].id;
    }
    return all.sort((a, b) => a.id - b.id);
  }

  // --- What this browser keeps (IndexedDB, through the crypto file) --------

  const store = K ? K.keyStore : null;
  const DEVICE = () => `device:${app.user}`;
  const EPOCH_KEYS = () => `epoch-keys:${app.user}`;
  const BACKUP_KEY = () => `backup-key:${app.user}`;
  const COUNTER = (deviceId, uid) => `counter:${deviceId}:${uid}`;

  async function localDevice() {
    const record = await store.get(DEVICE());
    return record && record.id ? record : null;
  }

  async function cachedKeys() {
    return (await store.get(EPOCH_KEYS())) || {};
  }

  function keyList(cache) {
    return Object.entries(cache).flatMap(([circle, epochs]) =>
      Object.entries(epochs).map(([epoch, key]) => ({ circle, epoch: Number(epoch), key })));
  }

  let keyLock = Promise.resolve();
  function withKeyLock(action) {
    const run = keyLock.then(action, action);
    keyLock = run.catch(() => undefined);
    return run;
  }

  // Keeps epoch keys this browser has checked, and adds them to the key
  // backup if this browser holds the backup key.
  function rememberKeys(entries) {
    return withKeyLock(async () => {
      const cache = await cachedKeys();
      let added = false;
      for (const { circle, epoch, key } of entries) {
        const raw = typeof key === "string" ? key : await K.exportEpochKey(key);
        const forCircle = cache[circle] || (cache[circle] = {});
        if (forCircle[epoch] !== raw) {
          forCircle[epoch] = raw;
          added = true;
        }
      }
      if (!added) return;
      await store.put(EPOCH_KEYS(), cache);
      try {
        await updateBackup(cache);
      } catch (error) {
        // The backup catches up the next time: nothing is lost here.
      }
    });
  }

  // The epoch keys already in a backup, opened with the kept backup key
  // (AES-GCM through Web Crypto, as the backup format in docs/circles.md says).
  async function keysInBackup(backupKey, blob) {
    const sealed = JSON.parse(blob).keys;
    const plain = await window.crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: K.b64u.decode(sealed.iv),
        additionalData: utf8.encode(`kinwell-backup-keys-v1\n${app.user}`),
        tagLength: 128,
      },
      backupKey,
      K.b64u.decode(sealed.ct),
    );
    return JSON.parse(new TextDecoder().decode(plain)).epochs;
  }

  async function updateBackup(cache) {
    const kept = await store.get(BACKUP_KEY());
    if (!kept) return;
    let current;
    try {
      current = await call("GET", "me/circle-backup");
    } catch (error) {
      if (error.status === 404) await store.delete(BACKUP_KEY());
      return;
    }
    if (current.recovery_device !== kept.recoveryDevice) {
      // A new passphrase was set on another device: this key opens nothing now.
      await store.delete(BACKUP_KEY());
      return;
    }
    const merged = new Map();
    for (const entry of await keysInBackup(kept.key, current.blob)) {
      merged.set(`${entry.circle} ${entry.epoch}`, entry);
    }
    for (const entry of keyList(cache)) merged.set(`${entry.circle} ${entry.epoch}`, entry);
    const blob = await K.resealBackupKeys(kept.key, app.user, current.blob, [...merged.values()]);
    await call("PUT", "me/circle-backup", { blob, recovery_device: kept.recoveryDevice });
  }

  // --- Trust: which keys may be signed into a member list ------------------

  function byId(devices) {
    return new Map(devices.map((device) => [device.id, device]));
  }

  function sameKey(a, b) {
    return a.device === b.device && a.agreement === b.agreement && a.signing === b.signing;
  }

  function rosterEntry(device) {
    const entry = { device: device.id, agreement: device.agreement || "", signing: device.signing };
    if (device.kind === "recovery") entry.recovery = true;
    return entry;
  }

  function findInRoster(roster, deviceId) {
    for (const member of roster.members) {
      const key = member.keys.find((candidate) => candidate.device === deviceId);
      if (key) return { member, key };
    }
    return null;
  }

  function vouchedById(device) {
    const value = device.vouched_by;
    return value === null || value === undefined || value === "" ? null : Number(value);
  }

  // Follows `device`'s vouchers among `devices` (one member's) until a key
  // accepted by `isAnchor`, or an unvouched device (the root). Every link is
  // a voucher signature checked here. Returns {anchor} or {root} or null.
  async function followVouchers(userId, device, devices, isAnchor) {
    let current = device;
    const seen = new Set();
    while (current && !seen.has(current.id)) {
      if (isAnchor(current)) return { anchor: current };
      seen.add(current.id);
      const by = vouchedById(current);
      if (by === null) return { root: current };
      const voucher = devices.get(by);
      if (!voucher) return null;
      const valid = await K.verifyVoucher(
        voucher.signing, current.voucher || "", userId, current.agreement || "", current.signing);
      if (!valid) return null;
      current = voucher;
    }
    return null;
  }

  function isActive(device) {
    return device.state === "active" && (device.kind === "browser" || device.kind === "recovery");
  }

  // The active keys of a member joining a circle: trusted on first use, but
  // only the ones that chain to one unvouched browser device (the oldest).
  async function joiningKeys(userId, devices) {
    const own = devices.filter((device) => device.user === userId);
    const mine = byId(own);
    const roots = own
      .filter((device) => isActive(device) && device.kind === "browser" && vouchedById(device) === null)
      .sort((a, b) => a.id - b.id);
    if (!roots.length) return [];
    const root = roots[0];
    const keys = [];
    for (const device of own.filter(isActive)) {
      const reached = await followVouchers(userId, device, mine, () => false);
      if (reached && reached.root && reached.root.id === root.id) keys.push(rosterEntry(device));
    }
    return keys;
  }

  // New active keys of a member already in the circle: only those vouched
  // for by one of their keys in the last signed list (checked here).
  async function vouchedNewKeys(member, devices) {
    const keys = [];
    for (const device of devices) {
      if (device.user !== member.user || !isActive(device)) continue;
      if (member.keys.some((key) => key.device === device.id)) continue;
      const by = member.keys.find((key) => key.device === vouchedById(device));
      if (!by || !device.voucher) continue;
      const valid = await K.verifyVoucher(
        by.signing, device.voucher, member.user, device.agreement || "", device.signing);
      if (valid) keys.push(rosterEntry(device));
    }
    return keys;
  }

  // --- A circle, as this browser has checked it ------------------------------

  async function loadCircle(uid, device) {
    const state = await call("GET", circlePath(uid));
    const chain = await K.verifyChain(state.epochs, state.devices, uid);
    const rosters = new Map(chain.verified.map((entry) => [entry.number, entry]));
    const keys = new Map();
    const cached = (await cachedKeys())[uid] || {};
    for (const [number, entry] of rosters) {
      if (!cached[number]) continue;
      try {
        const key = await K.importEpochKey(cached[number]);
        if ((await K.keyCheck(key)) === entry.roster.key_check) keys.set(number, key);
      } catch (error) {
        // A key that does not match the signed list is not used.
      }
    }
    const mine = device
      ? state.devices.find((known) => known.id === device.id && known.signing === device.signing) || null
      : null;
    const fresh = [];
    if (mine && mine.state === "active") {
      const { wraps } = await call("GET", circlePath(uid, `/wraps?device=${device.id}`));
      for (const wrap of wraps) {
        const entry = rosters.get(wrap.epoch);
        if (!entry || keys.has(wrap.epoch)) continue;
        try {
          const key = await K.unwrapEpochKey(
            wrap.wrapped, device.agreementKeyPair.privateKey, uid, wrap.epoch, device.id);
          if ((await K.keyCheck(key)) === entry.roster.key_check) {
            keys.set(wrap.epoch, key);
            fresh.push({ circle: uid, epoch: wrap.epoch, key });
          }
        } catch (error) {
          // A wrap this device cannot open gives it nothing.
        }
      }
    }
    if (fresh.length) await rememberKeys(fresh);
    const last = chain.verified[chain.verified.length - 1] || null;
    return {
      uid, state, chain, rosters, keys, device, mine,
      last,
      current: last && last.number === state.current_epoch ? last : null,
      invited: await checkedInvitations(uid, state, chain, rosters),
    };
  }

  // The user ids of those waiting (accepted) whose invitation an admin's key
  // on a verified member list signed, in a key period no earlier than the
  // last list that dropped them: only these are signed into the next list,
  // so a seat the server makes up, or an old invitation it replays after a
  // removal, gets no keys.
  async function checkedInvitations(uid, state, chain, rosters) {
    const checked = new Set();
    for (const seat of state.members) {
      if (seat.state !== "accepted" || !seat.invitation) continue;
      const { signer, signature, epoch } = seat.invitation;
      const entry = rosters.get(epoch);
      if (!entry || epoch < lastDropped(chain, seat.user)) continue;
      const found = findInRoster(entry.roster, signer);
      if (!found || !found.member.admin) continue;
      if (await K.verifyInvitation(found.key.signing, signature || "", uid, epoch, seat.user)) {
        checked.add(seat.user);
      }
    }
    return checked;
  }

  // The last verified epoch whose member list left out `userId` after the
  // one before listed them (0 if none).
  function lastDropped(chain, userId) {
    let dropped = 0;
    let before = false;
    for (const entry of chain.verified) {
      const listed = entry.roster.members.some((member) => member.user === userId);
      if (before && !listed) dropped = entry.number;
      before = listed;
    }
    return dropped;
  }

  function memberName(ctx, userId) {
    const seat = ctx.state.members.find((member) => member.user === userId);
    return seat ? seat.name : "A former member";
  }

  async function circleMeta(ctx) {
    const numbers = [...ctx.keys.keys()].sort((a, b) => b - a);
    for (const number of numbers) {
      const epoch = ctx.state.epochs.find((candidate) => candidate.number === number);
      if (!epoch) continue;
      try {
        return await K.openMeta(ctx.keys.get(number), ctx.uid, number, epoch.sealed_meta);
      } catch (error) {
        // Try an older epoch.
      }
    }
    return null;
  }

  // This device's place in the current signed list, if it has one.
  function myRosterKey(ctx) {
    if (!ctx.current || !ctx.device) return null;
    const found = findInRoster(ctx.current.roster, ctx.device.id);
    return found && found.key.signing === ctx.device.signing && found.member.user === app.user ? found : null;
  }

  function canPost(ctx) {
    return Boolean(myRosterKey(ctx) && ctx.keys.has(ctx.state.current_epoch) && ctx.mine &&
      ctx.mine.state === "active");
  }

  // --- The next epoch ---------------------------------------------------------

  // The key that signs a new member list: this device's, or (while a backup
  // is being restored) the recovery key's.
  function deviceSigner(ctx) {
    if (!ctx.device) return null;
    return { id: ctx.device.id, signing: ctx.device.signing, privateKey: ctx.device.signingKeyPair.privateKey };
  }

  function signerEntry(ctx, signer) {
    if (!ctx.current || !signer) return null;
    const found = findInRoster(ctx.current.roster, signer.id);
    if (!found || found.member.user !== app.user) return null;
    return signer.signing === undefined || found.key.signing === signer.signing ? found : null;
  }

  // What the next member list should be, or null if none is needed (or this
  // key may not make it). `remove`: user ids an admin is removing;
  // `promote`: user ids an admin is making admins.
  async function planNextEpoch(ctx, remove, signer, promote = []) {
    const { state } = ctx;
    const mine = signerEntry(ctx, signer);
    if (ctx.chain.error || !mine || !ctx.keys.has(state.current_epoch)) return null;
    const amAdmin = mine.member.admin;
    if ((remove.length || promote.length) && !amAdmin) return null;
    const promoted = [];
    const seats = new Map(state.members.map((member) => [member.user, member]));
    const devices = byId(state.devices);
    const roster = ctx.current.roster;
    const members = [];
    const removed = [];
    let changed = false;
    for (const member of roster.members) {
      const seat = seats.get(member.user);
      if (remove.includes(member.user)) {
        removed.push(member.user);
        changed = true;
        continue;
      }
      if (!seat || seat.state !== "joined") {
        changed = true; // left, or removed by the server's record
        continue;
      }
      const keys = member.keys.filter((key) => {
        const device = devices.get(key.device);
        return device && isActive(device) && sameKey(key, rosterEntry(device));
      });
      if (keys.length !== member.keys.length) changed = true;
      if (amAdmin) {
        const added = await vouchedNewKeys(member, state.devices);
        if (added.length) changed = true;
        keys.push(...added);
      }
      const admin = member.admin || promote.includes(member.user);
      if (admin !== member.admin) {
        promoted.push(member.user);
        changed = true;
      }
      members.push({ user: member.user, admin, keys });
    }
    if (promoted.length !== promote.length) return null;
    // Someone waiting whose invitation could not be checked: removed, so an
    // admin can invite them again with a fresh one.
    for (const userId of remove) {
      const seat = seats.get(userId);
      if (!removed.includes(userId) && seat && seat.state === "accepted") {
        removed.push(userId);
        changed = true;
      }
    }
    const listed = new Set(roster.members.map((member) => member.user));
    if (amAdmin) {
      for (const seat of state.members) {
        if (seat.state !== "accepted" || listed.has(seat.user)) continue;
        if (!ctx.invited.has(seat.user)) continue; // shown as waiting
        const keys = await joiningKeys(seat.user, state.devices);
        if (!keys.some((key) => key.agreement)) continue; // no device yet: they wait
        members.push({ user: seat.user, admin: false, keys });
        changed = true;
      }
    }
    if (!changed || !members.some((member) => member.user === app.user)) return null;
    if (amAdmin) {
      // Listed as joined by the server but on no signed list: never let in,
      // and named as removed so the server's record matches the signed one.
      for (const seat of state.members) {
        if (seat.state === "joined" && !listed.has(seat.user) && !removed.includes(seat.user)) {
          removed.push(seat.user);
        }
      }
    }
    return { members, removed, promoted };
  }

  async function makeEpoch(ctx, plan, signer) {
    const number = ctx.state.current_epoch + 1;
    const meta = await circleMeta(ctx);
    if (!meta) return false;
    const key = await K.newEpochKey();
    const digest = await window.crypto.subtle.digest("SHA-256", utf8.encode(ctx.current.rosterString));
    const roster = K.rosterString({
      v: 1,
      circle: ctx.uid,
      epoch: number,
      previous: K.b64u.encode(new Uint8Array(digest)),
      key_check: await K.keyCheck(key),
      members: plan.members,
    });
    const signature = await K.signRoster(signer.privateKey, roster);
    // Checked as every other member's browser will check it.
    const proposed = [...ctx.state.epochs, { number, roster, signer: signer.id, signature }];
    const check = await K.verifyChain(proposed, ctx.state.devices, ctx.uid);
    if (check.error) return false;
    const wraps = [];
    for (const member of plan.members) {
      for (const entry of member.keys) {
        if (!entry.agreement) continue;
        wraps.push({
          device: entry.device,
          wrapped: await K.wrapEpochKey(key, entry.agreement, ctx.uid, number, entry.device),
        });
      }
    }
    await call("POST", circlePath(ctx.uid, "/epochs"), {
      number,
      roster,
      signer: signer.id,
      signature,
      sealed_meta: await K.sealMeta(key, ctx.uid, number, meta),
      wraps,
      removed: plan.removed,
      promoted: plan.promoted,
    });
    await rememberKeys([{ circle: ctx.uid, epoch: number, key }]);
    return true;
  }

  // Makes the next epoch if one is needed; on a conflict (someone else was
  // quicker) reloads and tries once more. Returns {ctx, made}.
  async function nextEpochIfNeeded(ctx, remove = [], signerOf = deviceSigner, promote = []) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const signer = signerOf(ctx);
      const plan = await planNextEpoch(ctx, remove, signer, promote);
      if (!plan) return { ctx, made: false };
      try {
        const made = await makeEpoch(ctx, plan, signer);
        if (!made) return { ctx, made: false };
        return { ctx: await loadCircle(ctx.uid, ctx.device), made: true };
      } catch (error) {
        if (error.status !== 409 || attempt > 0) throw error;
        ctx = await loadCircle(ctx.uid, ctx.device);
      }
    }
    return { ctx, made: false };
  }

  // --- Opening messages ---------------------------------------------------------

  function cleanAttachment(item) {
    if (!item || typeof item.name !== "string" || typeof item.data !== "string") return null;
    return {
      name: item.name.slice(0, 200) || "attachment",
      type: typeof item.type === "string" ? item.type.slice(0, 100) : "",
      data: item.data,
    };
  }

  function cleanBody(body) {
    if (body.kind === "post" && typeof body.text === "string") {
      const attachments = Array.isArray(body.attachments) ? body.attachments.slice(0, MAX_FILES) : [];
      return {
        kind: "post",
        text: body.text,
        reply_to: Number.isSafeInteger(body.reply_to) ? body.reply_to : null,
        attachments: attachments.map(cleanAttachment).filter(Boolean),
        sent_at: typeof body.sent_at === "string" ? body.sent_at : "",
      };
    }
    if (body.kind === "reaction" && Number.isSafeInteger(body.target) && typeof body.emoji === "string") {
      return { kind: "reaction", target: body.target, emoji: body.emoji, sent_at: body.sent_at || "" };
    }
    return null;
  }

  function newReader() {
    return { last: {}, lastId: 0 };
  }

  // One message from the server, judged by the format's rules in order of
  // message id: {id, kind: post|reaction|removed|locked|refused, ...}.
  async function openOne(ctx, reader, message) {
    reader.lastId = Math.max(reader.lastId, message.id);
    const refused = { id: message.id, kind: "refused" };
    if (message.removed) return { id: message.id, kind: "removed", created_at: message.created_at };
    let header;
    try {
      header = JSON.parse(message.header);
    } catch (error) {
      return refused;
    }
    if (!header || typeof header !== "object" || !Number.isSafeInteger(header.epoch)) return refused;
    const entry = ctx.rosters.get(header.epoch);
    if (!entry) return refused;
    const key = ctx.keys.get(header.epoch);
    if (!key) return { id: message.id, kind: "locked" };
    const sender = findInRoster(entry.roster, header.device);
    if (!sender || !sender.key.agreement) return refused;
    let opened;
    try {
      opened = await K.openMessage({
        key,
        circle: ctx.uid,
        signingSpki: sender.key.signing,
        wire: { header: message.header, iv: message.iv, ct: message.ct, sig: message.sig },
      });
    } catch (error) {
      return refused;
    }
    const verdict = K.acceptInOrder([opened], reader.last);
    if (!verdict.accepted.length) return refused;
    reader.last = verdict.lastCounters;
    const body = cleanBody(opened.body);
    if (!body) return refused;
    return {
      id: message.id,
      kind: body.kind,
      user: sender.member.user,
      device: header.device,
      epoch: header.epoch,
      body,
      created_at: message.created_at,
    };
  }

  // --- Markdown ---------------------------------------------------------------

  let purifyReady = false;
  function renderMarkdown(text) {
    if (!purifyReady) {
      window.DOMPurify.addHook("afterSanitizeAttributes", (node) => {
        if (node.tagName === "A") node.setAttribute("rel", "noopener noreferrer");
      });
      purifyReady = true;
    }
    const html = window.marked.parse(text, { async: false, gfm: true, breaks: true });
    return window.DOMPurify.sanitize(html, {
      RETURN_DOM_FRAGMENT: true,
      // Nothing is loaded from elsewhere, and nothing looks like the page's own controls.
      FORBID_TAGS: ["img", "picture", "source", "video", "audio", "iframe", "svg", "math",
        "style", "form", "input", "button", "textarea", "select", "dialog"],
      FORBID_ATTR: ["style", "id", "class", "srcset", "target"],
    });
  }

  // Attachments are offered as downloads, never shown inline: a blob of any
  // claimed type could otherwise be opened as a page of this site.
  function attachmentLink(item) {
    let bytes;
    try {
      bytes = K.b64u.decode(item.data);
    } catch (error) {
      return h("span", { class: "muted" }, `${item.name} (could not be read)`);
    }
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    return h("a", { href: url, download: item.name }, `${item.name} (${sizeText(bytes.length)})`);
  }

  function excerpt(text, length = 140) {
    const plain = text.replace(/\s+/g, " ").trim();
    return plain.length > length ? `${plain.slice(0, length - 1)}\u2026` : plain;
  }

  // --- Downloads --------------------------------------------------------------

  function download(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // --- The detail page ------------------------------------------------------

  const detail = {
    ctx: null,
    reader: newReader(),
    entries: new Map(),
    reactions: new Map(),
    locked: 0,
    replyTo: null,
    reportTarget: null,
    reportReturn: null,
    gone: false,
    offline: false,
    ticks: 0,
    timer: null,
  };

  async function detailPage() {
    const device = await localDevice();
    try {
      detail.ctx = await loadCircle(app.circle, device);
    } catch (error) {
      say("");
      problem(error.status === 404 ? "This circle is not available to you." : error.message);
      return;
    }
    await showCircle();
    wireComposer();
    wireReportDialog();
    wireInvite();
    await exclusive(async () => {
      await rekey();
      await loadMessages();
    });
    const status = $("circle-status");
    if (status && status.textContent.startsWith("Opening the circle")) say("");
    detail.timer = setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") poll();
    });
  }

  async function showCircle() {
    const ctx = detail.ctx;
    const meta = await circleMeta(ctx);
    const purpose = $("circle-purpose");
    if (meta) {
      for (const node of document.querySelectorAll("[data-circle-name]")) node.textContent = meta.name;
      if (purpose) {
        $("circle-purpose-text").textContent = meta.purpose;
        purpose.hidden = !meta.purpose;
      }
    }
    if (ctx.chain.error) {
      const number = ctx.chain.verified.length + 1;
      problem(`This circle's member list could not be verified from key period ${number} on, ` +
        `so nothing from then on is shown. ${ctx.chain.error}`);
    }
    showReaders();
    showComposerState();
  }

  function showComposerState() {
    const ctx = detail.ctx;
    const note = $("circle-composer-note");
    const form = $("circle-composer");
    const ok = canPost(ctx) && !detail.gone;
    if (form) form.hidden = !ok;
    if (!note) return;
    let text = "";
    if (detail.gone) text = "You are no longer a member of this circle.";
    else if (!ctx.device) text = "This device is not set up for circles yet. Set it up on your circle keys page, then come back.";
    else if (!ctx.mine || ctx.mine.state === "revoked") text = "This device was removed from your circle devices. Set it up again on your circle keys page.";
    else if (ctx.mine.state === "pending") text = "This device is waiting for approval from another of your devices.";
    else if (ctx.chain.error) text = "Messages cannot be sent while the member list cannot be verified.";
    else if (!myRosterKey(ctx)) text = "This device is not on the circle's signed member list yet. A circle admin's device adds it the next time they open the circle; until then you can read what this device has keys for, but not post.";
    else if (!ok) text = "This device does not have the circle's current key yet.";
    note.textContent = text;
    note.hidden = !text;
  }

  function deviceWord(count) {
    return count === 1 ? "1 device" : `${count} devices`;
  }

  // Who holds the keys: from the signed list this browser verified, not
  // from what the server says.
  function showReaders() {
    const list = $("circle-readers");
    if (!list) return;
    const ctx = detail.ctx;
    // Redrawn only when something changed, so polling never takes away a
    // control someone is using.
    const shape = JSON.stringify([
      ctx.current ? ctx.current.number : 0, ctx.last ? ctx.last.number : 0,
      ctx.state.members.map((seat) => [seat.user, seat.state, seat.name, ctx.invited.has(seat.user)]),
      ctx.state.devices.map((device) => [device.id, device.state]),
    ]);
    if (list.dataset.shape === shape) return;
    list.dataset.shape = shape;
    const roster = ctx.current ? ctx.current.roster : ctx.last ? ctx.last.roster : null;
    const mine = myRosterKey(ctx);
    const amAdmin = Boolean(mine && mine.member.admin);
    const devices = byId(ctx.state.devices);
    const rows = [];
    const seen = new Set();
    for (const member of roster ? roster.members : []) {
      seen.add(member.user);
      const browsers = member.keys.filter((key) => key.agreement);
      const readers = browsers.filter((key) => {
        const device = devices.get(key.device);
        return device && device.state === "active";
      });
      const item = h("li", { class: "circle-reader", "data-user": member.user },
        h("strong", {}, memberName(ctx, member.user)),
        member.admin ? " (circle admin)" : "",
        h("span", { class: "circle-reader-state" },
          readers.length ? `: can read, on ${deviceWord(readers.length)}.` : ": on the signed member list, with no device that can read."));
      if (readers.length) item.append(fingerprintList(memberName(ctx, member.user), readers));
      const extra = ctx.state.devices.filter((device) => device.user === member.user &&
        device.kind === "browser" && device.state !== "revoked" &&
        !member.keys.some((key) => key.device === device.id));
      for (const device of extra) item.append(unsignedDevice(device));
      if (amAdmin && member.user !== app.user) {
        if (!member.admin) item.append(promoteControl(member.user));
        item.append(removeControl(member.user));
      }
      rows.push(item);
    }
    for (const seat of ctx.state.members) {
      if (seen.has(seat.user)) continue;
      let text = ": not on the signed member list, so cannot read.";
      if (seat.state === "accepted" && !ctx.invited.has(seat.user)) {
        text = ` \u2014 ${UNCHECKED_INVITATION}, so no admin's device gives them the keys. A circle admin can remove them and invite them again.`;
      } else if (seat.state === "accepted") text = ": accepted, waiting for a circle admin's device to give them the keys.";
      else if (seat.state === "invited") text = ": invited, has not answered yet.";
      else if (seat.state !== "joined") continue;
      const item = h("li", { class: "circle-reader", "data-user": seat.user },
        h("strong", {}, seat.name), h("span", { class: "circle-reader-state" }, text));
      if (amAdmin && seat.state === "accepted" && !ctx.invited.has(seat.user)) {
        item.append(removeControl(seat.user));
      }
      const theirs = ctx.state.devices.filter((candidate) =>
        candidate.user === seat.user && candidate.kind === "browser" && candidate.state !== "revoked");
      for (const device of theirs) item.append(unsignedDevice(device));
      rows.push(item);
    }
    list.replaceChildren(...rows);
  }

  // A member's first device is trusted on first use; comparing these codes
  // in person (or on a call) shows that the server did not swap its keys.
  function fingerprintList(name, keys) {
    const list = h("ul", { class: "circle-fingerprints" });
    for (const key of keys) {
      const entry = h("li", {}, "\u2026");
      list.append(entry);
      K.fingerprint(key.agreement, key.signing).then((code) => { entry.textContent = code; });
    }
    return h("details", { class: "circle-fingerprint-list" },
      h("summary", {}, `Fingerprints of ${name}\u2019s devices, to compare with them`), list);
  }

  function unsignedDevice(device) {
    return h("span", { class: "circle-device-unsigned", "data-device": device.id },
      ` One device${device.label ? ` (\u201c${device.label}\u201d)` : ""} is not on the signed list and cannot read.`);
  }

  function removeControl(userId) {
    const ctx = detail.ctx;
    const name = memberName(ctx, userId);
    const wrapper = h("div", { class: "circle-remove" });
    const ask = h("button", { type: "button", class: "secondary circle-small" }, `Remove ${name} from the circle`);
    ask.addEventListener("click", () => {
      const confirmText = h("p", {}, `Remove ${name}? The circle gets a new key that their devices never receive. They keep what they could already read.`);
      const yes = h("button", { type: "button", class: "danger" }, `Yes, remove ${name}`);
      const no = h("button", { type: "button", class: "secondary" }, "Cancel");
      no.addEventListener("click", () => {
        wrapper.replaceChildren(ask);
        ask.focus();
      });
      yes.addEventListener("click", () => busy(yes, () => removeMember(userId, name)));
      wrapper.replaceChildren(confirmText, h("div", { class: "actions" }, yes, no));
      yes.focus();
    });
    wrapper.append(ask);
    return wrapper;
  }

  async function removeMember(userId, name) {
    say(`Removing ${name} and making a new key for the circle\u2026`);
    try {
      await exclusive(async () => {
        const result = await nextEpochIfNeeded(detail.ctx, [userId]);
        if (!result.made) throw new Error(`${name} could not be removed from this device. Reload the page and try again.`);
        detail.ctx = result.ctx;
        await showCircle();
      });
      say(`${name} was removed from the circle. New messages use a key their devices do not have.`);
      const heading = $("circle-readers-heading");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    } catch (error) {
      problem(error.message);
    }
  }

  function promoteControl(userId) {
    const name = memberName(detail.ctx, userId);
    const button = h("button", { type: "button", class: "secondary circle-small", "data-promote": userId },
      `Make ${name} an admin`);
    button.addEventListener("click", () => busy(button, () => promoteMember(userId, name)));
    return button;
  }

  // A new epoch, with the same key rules, whose signed list marks them admin.
  async function promoteMember(userId, name) {
    say(`Making ${name} a circle admin\u2026`);
    try {
      await exclusive(async () => {
        const result = await nextEpochIfNeeded(detail.ctx, [], deviceSigner, [userId]);
        if (!result.made) throw new Error(`${name} could not be made an admin from this device. Reload the page and try again.`);
        detail.ctx = result.ctx;
        await showCircle();
      });
      say(`${name} is now a circle admin: they can invite, remove and make admins too.`);
    } catch (error) {
      problem(error.message);
    }
  }

  // The invitation form is sent by the server's form, signed here first:
  // this device, on the current member list as an admin, signs who is
  // invited with the current key period.
  function wireInvite() {
    const form = $("circle-invite-form");
    if (!form) return;
    const note = $("circle-invite-problem");
    const show = (text) => {
      note.textContent = text;
      note.hidden = !text;
    };
    const button = form.querySelector("[data-circle-invite-send]");
    button.disabled = false; // the page is ready to sign
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(button, () => exclusive(async () => {
        show("");
        const userId = Number(form.elements.namedItem("user").value);
        if (!userId) {
          form.submit(); // the server says what is missing
          return;
        }
        try {
          detail.ctx = await loadCircle(detail.ctx.uid, detail.ctx.device);
          const ctx = detail.ctx;
          const mine = myRosterKey(ctx);
          if (!mine || !mine.member.admin || !ctx.current) {
            show("This device cannot sign the invitation: it is not on the circle's current member list as an admin's device. Invite from a device that is, or reload the page.");
            return;
          }
          const signature = await K.signInvitation(
            ctx.device.signingKeyPair.privateKey, ctx.uid, ctx.current.number, userId);
          form.querySelector("[data-circle-invite-signer]").value = String(ctx.device.id);
          form.querySelector("[data-circle-invite-signature]").value = signature;
          form.submit();
        } catch (error) {
          show(error.status !== undefined ? error.message : "The invitation could not be signed on this device. Reload the page and try again.");
        }
      }));
    });
  }

  async function rekey() {
    try {
      const result = await nextEpochIfNeeded(detail.ctx);
      if (result.made) {
        detail.ctx = result.ctx;
        await showCircle();
        say("The circle's keys were renewed for its current members and devices.");
      }
    } catch (error) {
      if (error.status === 404) throw error;
      // Another member's device will try again; reading goes on.
    }
  }

  async function loadMessages() {
    const raw = await messagesAfter(detail.ctx.uid, detail.reader.lastId);
    await take(raw);
    const empty = $("circle-messages-empty");
    if (empty) empty.hidden = detail.entries.size > 0;
  }

  async function take(raw) {
    if (!raw.length) return;
    // A message in an epoch this page has not loaded yet: reload the circle first.
    const newest = Math.max(...raw.map((message) => {
      try {
        return JSON.parse(message.header).epoch || 0;
      } catch (error) {
        return 0;
      }
    }));
    if (newest > detail.ctx.state.current_epoch && !detail.ctx.chain.error) {
      detail.ctx = await loadCircle(detail.ctx.uid, detail.ctx.device);
      await showCircle();
    }
    const list = $("circle-messages");
    for (const message of raw) {
      if (detail.entries.has(message.id)) continue;
      const entry = await openOne(detail.ctx, detail.reader, message);
      detail.entries.set(entry.id, entry);
      if (entry.kind === "reaction") {
        addReaction(entry);
        continue;
      }
      if (entry.kind === "locked") {
        detail.locked += 1;
        continue;
      }
      list.append(messageItem(entry));
    }
    const locked = $("circle-locked");
    if (locked) {
      locked.textContent = detail.locked === 1
        ? "1 message was sent before this device had the circle's keys, so it cannot be shown here."
        : `${detail.locked} messages were sent before this device had the circle's keys, so they cannot be shown here.`;
      locked.hidden = detail.locked === 0;
    }
  }

  function addReaction(entry) {
    const target = detail.entries.get(entry.body.target);
    if (!target || target.kind !== "post") return;
    if (!REACTIONS.some(([emoji]) => emoji === entry.body.emoji)) return;
    const byEmoji = detail.reactions.get(target.id) || new Map();
    const users = byEmoji.get(entry.body.emoji) || new Set();
    users.add(entry.user);
    byEmoji.set(entry.body.emoji, users);
    detail.reactions.set(target.id, byEmoji);
    updateReactions(target.id);
  }

  function updateReactions(messageId) {
    const item = $(`circle-message-${messageId}`);
    if (!item) return;
    const byEmoji = detail.reactions.get(messageId) || new Map();
    for (const button of item.querySelectorAll("button.reaction")) {
      const users = byEmoji.get(button.dataset.emoji) || new Set();
      button.querySelector(".count").textContent = String(users.size);
      button.setAttribute("aria-pressed", users.has(app.user) ? "true" : "false");
    }
  }

  function messageItem(entry) {
    if (entry.kind === "refused") {
      return h("li", { class: "circle-message circle-refused", id: `circle-message-${entry.id}` },
        h("p", {}, REFUSED));
    }
    if (entry.kind === "removed") {
      return h("li", { class: "circle-message circle-removed", id: `circle-message-${entry.id}` },
        h("p", {}, "This message was removed by the community's moderators."));
    }
    const ctx = detail.ctx;
    const by = memberName(ctx, entry.user);
    const headingId = `circle-message-${entry.id}-by`;
    const item = h("li", { class: "circle-message", id: `circle-message-${entry.id}`, "aria-labelledby": headingId },
      h("p", { class: "circle-message-meta" },
        h("strong", { id: headingId }, by), " ", timeElement(entry.created_at)));
    if (entry.body.reply_to !== null) {
      const parent = detail.entries.get(entry.body.reply_to);
      const quote = parent && parent.kind === "post"
        ? `In reply to ${memberName(ctx, parent.user)}: \u201c${excerpt(parent.body.text)}\u201d`
        : "In reply to a message that is not shown.";
      item.append(h("blockquote", { class: "circle-quote" }, h("p", {}, quote)));
    }
    item.append(h("div", { class: "post-body circle-message-body" }, renderMarkdown(entry.body.text)));
    if (entry.body.attachments.length) {
      item.append(h("ul", { class: "circle-attachments", "aria-label": "Attachments" },
        entry.body.attachments.map((attachment) => h("li", {}, attachmentLink(attachment)))));
    }
    const reactions = h("div", { class: "reactions", role: "group", "aria-label": `Reactions to ${by}'s message` });
    for (const [emoji, label] of REACTIONS) {
      const button = h("button", { type: "button", class: "reaction", "data-emoji": emoji, "aria-pressed": "false" },
        h("span", { "aria-hidden": "true" }, emoji),
        h("span", { class: "visually-hidden" }, `React with ${label}`),
        h("span", { class: "count" }, "0"));
      button.addEventListener("click", () => react(entry.id, emoji, button));
      reactions.append(button);
    }
    item.append(reactions);
    const reply = h("button", { type: "button", class: "link-button" }, "Reply");
    reply.addEventListener("click", () => startReply(entry));
    const report = h("button", { type: "button", class: "link-button" }, "Report to moderators");
    report.addEventListener("click", () => openReport(entry, report));
    item.append(h("p", { class: "circle-message-actions actions" }, reply, report));
    return item;
  }

  function startReply(entry) {
    if (!canPost(detail.ctx)) return;
    detail.replyTo = entry.id;
    $("circle-reply-to-text").textContent =
      `${memberName(detail.ctx, entry.user)}: \u201c${excerpt(entry.body.text, 80)}\u201d`;
    reveal("circle-reply-to");
    $("circle-message-text").focus();
  }

  function cancelReply() {
    detail.replyTo = null;
    reveal("circle-reply-to", false);
  }

  async function nextCounter(ctx) {
    const name = COUNTER(ctx.device.id, ctx.uid);
    const stored = Number((await store.get(name)) || 0);
    const server = Number((ctx.state.last_counters || {})[String(ctx.device.id)] || 0);
    const counter = Math.max(stored, server) + 1;
    // Kept before sending: a counter is never used twice, even if the answer is lost.
    await store.put(name, counter);
    return counter;
  }

  async function send(body) {
    return exclusive(async () => {
      let ctx = detail.ctx;
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const wire = await K.sealMessage({
          key: ctx.keys.get(ctx.state.current_epoch),
          circle: ctx.uid,
          epoch: ctx.state.current_epoch,
          device: ctx.device.id,
          counter: await nextCounter(ctx),
          privateKey: ctx.device.signingKeyPair.privateKey,
          body,
        });
        try {
          await call("POST", circlePath(ctx.uid, "/messages"), wire);
          break;
        } catch (error) {
          // The circle moved on to a new key meanwhile: reload, then try once more.
          if (attempt > 0 || error.status < 400 || error.status >= 500 || error.status === 429) throw error;
          ctx = await loadCircle(ctx.uid, ctx.device);
          detail.ctx = ctx;
          await showCircle();
          if (!canPost(ctx)) throw error;
        }
      }
      await loadMessages();
    });
  }

  async function react(messageId, emoji, button) {
    const users = (detail.reactions.get(messageId) || new Map()).get(emoji);
    if (users && users.has(app.user)) {
      say("You have already reacted with that.");
      return;
    }
    if (!canPost(detail.ctx)) {
      say("This device cannot send to the circle yet.");
      return;
    }
    await busy(button, async () => {
      try {
        await send({ kind: "reaction", target: messageId, emoji, sent_at: new Date().toISOString() });
        say("Your reaction was sent.");
      } catch (error) {
        problem(error.message);
      }
    });
    button.focus();
  }

  function attachmentProblem(files) {
    if (files.length > MAX_FILES) return `You can attach at most ${MAX_FILES} files to one message.`;
    const total = files.reduce((sum, file) => sum + file.size, 0);
    if (total > MAX_FILES_BYTES) {
      const these = files.length === 1 ? `\u201c${files[0].name}\u201d is` : "These files come to";
      return `${these} ${sizeText(total)}: a message can carry at most 256 KiB of files in all. Send them in separate messages.`;
    }
    return "";
  }

  function wireComposer() {
    const form = $("circle-composer");
    if (!form) return;
    const input = $("circle-attach");
    const attachError = $("circle-attach-error");
    input.addEventListener("change", () => {
      const text = attachmentProblem([...input.files]);
      attachError.textContent = text;
      attachError.hidden = !text;
    });
    $("circle-reply-cancel").addEventListener("click", () => {
      cancelReply();
      $("circle-message-text").focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const textarea = $("circle-message-text");
      const button = $("circle-send");
      const files = [...input.files];
      const text = textarea.value;
      problem("");
      const fileProblem = attachmentProblem(files);
      if (fileProblem) {
        attachError.textContent = fileProblem;
        attachError.hidden = false;
        input.focus();
        return;
      }
      if (!text.trim() && !files.length) {
        problem("Write a message or attach a file first.");
        textarea.focus();
        return;
      }
      if (text.length > MAX_TEXT) {
        problem(`A message can be at most ${MAX_TEXT.toLocaleString("en-GB")} characters long.`);
        textarea.focus();
        return;
      }
      await busy(button, async () => {
        say("Encrypting and sending\u2026");
        try {
          const attachments = [];
          for (const file of files) {
            attachments.push({
              name: file.name,
              type: file.type || "application/octet-stream",
              data: K.b64u.encode(new Uint8Array(await file.arrayBuffer())),
            });
          }
          const encoded = attachments.reduce((total, item) => total + item.data.length, 0);
          const estimate = (encoded + utf8.encode(text).length) * 4 / 3;
          if (estimate > MAX_WIRE_BYTES) {
            throw new Error("This message is too large once encrypted. Make it shorter, " +
              "or send the files in a separate message.");
          }
          await send({
            kind: "post",
            text,
            reply_to: detail.replyTo,
            attachments,
            sent_at: new Date().toISOString(),
          });
          textarea.value = "";
          input.value = "";
          attachError.hidden = true;
          cancelReply();
          say("Your message was sent.");
        } catch (error) {
          problem(error.message);
        }
      });
      textarea.focus();
    });
  }

  function wireReportDialog() {
    const dialog = $("circle-report-dialog");
    if (!dialog) return;
    $("circle-report-cancel").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      if (detail.reportReturn) detail.reportReturn.focus();
      detail.reportTarget = null;
    });
    $("circle-report-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const entry = detail.reportTarget;
      if (!entry) return;
      const button = $("circle-report-send");
      await busy(button, async () => {
        try {
          await call("POST", circlePath(detail.ctx.uid, "/reports"), {
            message: entry.id,
            text: entry.body.text,
            reason: $("circle-report-reason").value.trim(),
          });
          dialog.close();
          say("Your report was sent to the community's moderators.");
        } catch (error) {
          $("circle-report-problem").textContent = error.message;
          $("circle-report-problem").hidden = false;
        }
      });
    });
  }

  function openReport(entry, button) {
    const dialog = $("circle-report-dialog");
    if (!dialog) return;
    detail.reportTarget = entry;
    detail.reportReturn = button;
    $("circle-report-text").textContent = entry.body.text;
    $("circle-report-reason").value = "";
    $("circle-report-problem").hidden = true;
    dialog.showModal();
    $("circle-report-reason").focus();
  }

  async function poll() {
    if (document.visibilityState !== "visible" || detail.gone || !detail.ctx) return;
    await exclusive(async () => {
      try {
        detail.ticks += 1;
        if (detail.ticks % 2 === 0) {
          detail.ctx = await loadCircle(detail.ctx.uid, detail.ctx.device);
          await showCircle();
          await rekey();
        }
        await loadMessages();
        if (detail.offline) {
          detail.offline = false;
          say("The site can be reached again.");
        }
      } catch (error) {
        if (error.status === 404) {
          detail.gone = true;
          clearInterval(detail.timer);
          showComposerState();
          problem("You are no longer a member of this circle.");
        } else if (error.status === 0 && !detail.offline) {
          detail.offline = true; // said once, not at every poll
          say("The site cannot be reached just now. New messages will appear when it can.");
        }
      }
    });
  }

  // --- The list page ------------------------------------------------------------

  async function listPage() {
    const targets = [...document.querySelectorAll("[data-sealed-meta]")];
    if (!targets.length) return;
    const device = await localDevice();
    const cache = await cachedKeys();
    for (const node of targets) {
      const uid = node.dataset.circleUid || "";
      if (!uid || !node.dataset.sealedMeta) continue;
      try {
        const meta = await listMeta(uid, node.dataset.sealedMeta, cache, device);
        if (meta) showListMeta(node, meta);
      } catch (error) {
        // The name stays hidden; the circle's page says why.
      }
    }
  }

  // The sealed name names its epoch only in its authenticated data, so the
  // kept keys of the circle are tried newest first; failing that (a key this
  // browser has not seen yet), the circle is loaded and checked in full.
  async function listMeta(uid, sealed, cache, device) {
    const kept = Object.entries(cache[uid] || {}).sort((a, b) => Number(b[0]) - Number(a[0]));
    for (const [epoch, raw] of kept) {
      try {
        return await K.openMeta(await K.importEpochKey(raw), uid, Number(epoch), sealed);
      } catch (error) {
        // Not this epoch's key.
      }
    }
    if (!device) return null;
    const ctx = await loadCircle(uid, device);
    return circleMeta(ctx);
  }

  function showListMeta(node, meta) {
    for (const target of node.querySelectorAll("[data-circle-name]")) target.textContent = meta.name;
  }

  // --- The new circle page ---------------------------------------------------

  async function newPage() {
    const form = $("circle-new-form");
    if (!form) return;
    const device = await localDevice();
    const mine = await call("GET", "me/circle-devices");
    const known = device && mine.devices.find((item) => item.id === device.id && item.signing === device.signing);
    if (!known || known.state !== "active") {
      reveal("circle-new-needs-device");
      return;
    }
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = $("circle-new-name");
      const purpose = $("circle-new-purpose");
      problem("");
      if (!name.value.trim()) {
        problem("Give the circle a name.");
        name.focus();
        return;
      }
      if ([...name.value].length > 80) {
        problem("A circle's name can be at most 80 characters long.");
        name.focus();
        return;
      }
      if ([...purpose.value].length > 500) {
        problem("A circle's purpose can be at most 500 characters long.");
        purpose.focus();
        return;
      }
      await busy($("circle-new-submit"), async () => {
        say("Making the circle's keys\u2026");
        try {
          const uid = await createCircle(device, { name: name.value.trim(), purpose: purpose.value.trim() });
          say("The circle was made. Opening it\u2026");
          window.location.assign(form.dataset.detailUrl.replace("__uid__", encodeURIComponent(uid)));
        } catch (error) {
          problem(error.message);
        }
      });
    });
  }

  async function createCircle(device, meta) {
    const uid = K.b64u.encode(window.crypto.getRandomValues(new Uint8Array(16)));
    const { devices } = await call("GET", "me/circle-devices");
    const keys = await joiningKeys(app.user, devices);
    if (!keys.some((key) => key.device === device.id)) {
      throw new Error("This device's keys could not be checked. Set it up again on your circle keys page.");
    }
    const key = await K.newEpochKey();
    const roster = K.rosterString({
      v: 1, circle: uid, epoch: 1, previous: "", key_check: await K.keyCheck(key),
      members: [{ user: app.user, admin: true, keys }],
    });
    const signature = await K.signRoster(device.signingKeyPair.privateKey, roster);
    const check = await K.verifyChain([{ number: 1, roster, signer: device.id, signature }], devices, uid);
    if (check.error) throw new Error("The circle's member list did not pass its own check. Nothing was sent.");
    const wraps = [];
    for (const entry of keys) {
      if (entry.agreement) {
        const wrapped = await K.wrapEpochKey(key, entry.agreement, uid, 1, entry.device);
        wraps.push({ device: entry.device, wrapped });
      }
    }
    await call("POST", `communities/${encodeURIComponent(app.community)}/circles`, {
      uid, roster, signer: device.id, signature,
      sealed_meta: await K.sealMeta(key, uid, 1, meta),
      wraps,
    });
    await rememberKeys([{ circle: uid, epoch: 1, key }]);
    return uid;
  }

  // --- The keys page ---------------------------------------------------------

  const keys = { status: null, waiting: null };

  async function keysPage() {
    wireExport();
    await showKeys();
  }

  async function deviceStatus() {
    const [local, mine] = await Promise.all([localDevice(), call("GET", "me/circle-devices")]);
    const server = local
      ? mine.devices.find((device) => device.id === local.id && device.signing === local.signing) || null
      : null;
    return { local, server, devices: mine.devices, backup: mine.backup };
  }

  async function showKeys() {
    try {
      keys.status = await deviceStatus();
    } catch (error) {
      problem(error.message);
      return;
    }
    await Promise.all([showThisDevice(), showDevices(), showBackup()]);
  }

  function guessLabel() {
    const agent = navigator.userAgent;
    const system = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iPhone or iPad"
      : /Mac OS X/.test(agent) ? "Mac" : /Windows/.test(agent) ? "Windows" : /Linux/.test(agent) ? "Linux" : "";
    const browser = /Firefox\//.test(agent) ? "Firefox" : /Edg\//.test(agent) ? "Edge"
      : /Chrom(e|ium)\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : "Browser";
    return system ? `${browser} on ${system}` : browser;
  }

  function labelField() {
    return h("div", { class: "field" },
      h("label", { for: "circle-device-label" }, "A name for this device"),
      h("input", { type: "text", id: "circle-device-label", maxlength: 80, value: guessLabel(),
        "aria-describedby": "circle-device-label-help", autocomplete: "off" }),
      h("span", { class: "helptext", id: "circle-device-label-help" },
        "So you can tell your devices apart, for example \u201cHome laptop\u201d."));
  }

  function codeBlock(code) {
    return h("p", { class: "circle-code" }, code);
  }

  function isThisDeviceActive() {
    const { local, server } = keys.status;
    return Boolean(local && server && server.state === "active");
  }

  async function showThisDevice() {
    const box = $("circle-this-device");
    if (!box) return;
    const { local, server, devices, backup } = keys.status;
    clearTimeout(keys.waiting);
    if (local && server && server.state === "active") {
      box.replaceChildren(
        h("p", {}, `This device (\u201c${server.label || "unnamed"}\u201d) is set up for circles. Its code is:`),
        codeBlock(await K.fingerprint(local.agreement, local.signing)));
      return;
    }
    if (local && server && server.state === "pending") {
      box.replaceChildren(
        h("p", {}, "This device is waiting for approval. On a device you already use for circles, open your circle keys page and check that it shows this code:"),
        codeBlock(await K.fingerprint(local.agreement, local.signing)),
        h("p", { class: "help" }, "This page notices the approval by itself."));
      keys.waiting = setTimeout(waitForApproval, 5000);
      return;
    }
    // Any active key of theirs (a recovery key included) means a new browser
    // must be approved or restored, not trusted on first use.
    const hasActive = devices.some((device) => device.state === "active");
    const parts = [];
    if (local) parts.push(h("p", {}, "This device was removed from your circle devices. You can set it up again."));
    if (!hasActive) {
      parts.push(
        h("p", {}, "Set up this browser to take part in circles. Its keys are made here and never leave it."),
        setupForm("Set up this device", false));
    } else {
      const otherBrowser = devices.some((device) => device.kind === "browser" && device.state === "active");
      parts.push(h("p", {}, otherBrowser
        ? "You already use circles on another device. To use them here as well, approve this device from that one, or restore your key backup."
        : "Your circle keys are in your key backup. Restore it to use circles on this device."));
      if (otherBrowser) {
        parts.push(
          h("h3", {}, "Approve from another device"),
          h("p", {}, "This device shows a code; your other device shows the code it expects. You approve there if the two match."),
          setupForm("Set up this device by approval", true));
      }
      if (backup && backup.exists) parts.push(h("h3", {}, "Restore your key backup"), restoreForm());
    }
    box.replaceChildren(...parts);
  }

  async function waitForApproval() {
    try {
      const status = await deviceStatus();
      if (status.server && status.server.state !== "pending") {
        keys.status = status;
        await Promise.all([showThisDevice(), showDevices(), showBackup()]);
        if (status.server.state === "active") say("This device is approved and set up for circles.");
        return;
      }
    } catch (error) {
      // Keep waiting.
    }
    keys.waiting = setTimeout(waitForApproval, 5000);
  }

  function setupForm(buttonText, byApproval) {
    const button = h("button", { type: "submit" }, buttonText);
    const form = h("form", { id: byApproval ? "circle-approval-form" : "circle-setup-form", novalidate: true },
      labelField(), button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await busy(button, async () => {
        problem("");
        say("Making this device's keys\u2026");
        try {
          const label = $("circle-device-label").value.trim().slice(0, 80) || guessLabel();
          const made = await K.generateDeviceKeys();
          const device = await call("POST", "me/circle-devices", {
            label, agreement: made.agreement, signing: made.signing, kind: "browser",
          });
          await store.put(DEVICE(), {
            id: device.id, label, agreement: made.agreement, signing: made.signing,
            agreementKeyPair: made.agreementKeyPair, signingKeyPair: made.signingKeyPair,
          });
          say(device.state === "active" ? "This device is set up for circles."
            : "This device is waiting for approval: compare the code with your other device.");
          await showKeys();
          focusSection("circle-this-device-heading");
        } catch (error) {
          problem(error.message);
        }
      });
    });
    return form;
  }

  function restoreForm() {
    const button = h("button", { type: "submit" }, "Restore from my backup");
    const form = h("form", { id: "circle-restore-form", novalidate: true },
      h("div", { class: "field" },
        h("label", { for: "circle-restore-passphrase" }, "Your backup passphrase"),
        h("input", { type: "password", id: "circle-restore-passphrase", autocomplete: "current-password" })),
      button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = $("circle-restore-passphrase");
      await busy(button, async () => {
        problem("");
        if (!input.value) {
          problem("Type your backup passphrase first.");
          input.focus();
          return;
        }
        say("Opening your backup. This takes a few seconds\u2026");
        try {
          const done = await restoreBackup(input.value);
          if (!done) {
            say("");
            problem(WRONG_PASSPHRASE);
            input.focus();
            return;
          }
          input.value = "";
          say("This device is set up from your backup, and can read your circle history. A circle admin's device adds it to each circle's member list the next time they open the circle.");
          await showKeys();
          focusSection("circle-this-device-heading");
        } catch (error) {
          problem(error.message);
        }
      });
    });
    return form;
  }

  // Nothing is changed, here or on the server, until the passphrase has
  // opened the backup. Returns false for a wrong passphrase.
  async function restoreBackup(passphrase) {
    const backup = await call("GET", "me/circle-backup");
    let opened;
    try {
      opened = await K.openBackup(passphrase, app.user, backup.blob);
    } catch (error) {
      if (error instanceof K.WrongPassphrase || error.name === "WrongPassphrase") return false;
      throw error;
    }
    const label = ($("circle-device-label") && $("circle-device-label").value.trim()) || guessLabel();
    const made = await K.generateDeviceKeys();
    const voucher = await K.signVoucher(opened.recoveryPrivateKey, app.user, made.agreement, made.signing);
    const device = await call("POST", "me/circle-devices", {
      label, agreement: made.agreement, signing: made.signing, kind: "browser",
      vouched_by: opened.recoveryDevice, voucher,
    });
    await store.put(DEVICE(), {
      id: device.id, label, agreement: made.agreement, signing: made.signing,
      agreementKeyPair: made.agreementKeyPair, signingKeyPair: made.signingKeyPair,
    });
    await store.put(BACKUP_KEY(), { key: opened.backupKey, recoveryDevice: opened.recoveryDevice });
    await rememberKeys(opened.epochKeys);
    const stored = await localDevice();
    const recovery = { id: opened.recoveryDevice, privateKey: opened.recoveryPrivateKey };
    for (const uid of new Set(opened.epochKeys.map((entry) => entry.circle))) {
      await signInWithRecoveryKey(uid, stored, recovery);
    }
    // The recovery private key is dropped here: it lived only in this function.
    return true;
  }

  // In a circle where this member is an admin and their recovery key is on
  // the signed list, the recovery key signs the restored device in at once:
  // someone who lost every device may be the circle's only admin.
  async function signInWithRecoveryKey(uid, device, recovery) {
    try {
      const ctx = await loadCircle(uid, device);
      const entry = signerEntry(ctx, recovery);
      if (!entry || !entry.key.recovery || !entry.member.admin) return;
      await nextEpochIfNeeded(ctx, [], () => recovery);
    } catch (error) {
      // A circle left since, or changed meanwhile: an admin's device adds
      // this one the next time it opens the circle.
    }
  }

  function focusSection(id) {
    const heading = $(id);
    if (!heading) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  function stateText(device) {
    if (device.state === "active") return "Active";
    if (device.state === "pending") return "Waiting for approval";
    return "Removed";
  }

  async function showDevices() {
    const list = $("circle-devices");
    if (!list) return;
    const { local, devices } = keys.status;
    const shown = devices.filter((device) => device.state !== "revoked")
      .sort((a, b) => a.id - b.id);
    if (!shown.length) {
      list.replaceChildren(h("li", {}, "You have no circle devices yet."));
      return;
    }
    const rows = [];
    for (const device of shown) {
      const isThis = local && device.id === local.id;
      const title = device.kind === "recovery" ? "Recovery key of your backup" : device.label || "Unnamed device";
      const item = h("li", { class: "circle-device", "data-device": device.id },
        h("p", {}, h("strong", {}, title), isThis ? " (this device)" : "",
          ` \u2014 ${stateText(device)}, added ${when(device.created_at)}.`));
      if (device.kind === "browser" && device.state === "pending" && isThisDeviceActive()) {
        item.append(await approvalControls(device));
      } else if (device.kind === "browser" && device.state === "active" && !isThis && isThisDeviceActive()) {
        item.append(revokeControls(device, title));
      }
      rows.push(item);
    }
    list.replaceChildren(...rows);
  }

  async function approvalControls(device) {
    const code = await K.fingerprint(device.agreement, device.signing);
    const wrapper = h("div", { class: "circle-approve" },
      h("p", {}, "If this is your new device, it shows a code. Approve it only if that code is exactly:"),
      codeBlock(code));
    const yes = h("button", { type: "button" }, "The codes match: approve it");
    const no = h("button", { type: "button", class: "secondary" }, "They do not match: refuse it");
    yes.addEventListener("click", () => busy(yes, async () => {
      problem("");
      say("Approving the device and giving it the keys of your circles\u2026");
      try {
        const count = await approveDevice(device);
        say(`The device is approved, with the keys of ${count === 1 ? "1 circle" : `${count} circles`}. A circle admin's device adds it to each circle's member list the next time they open the circle.`);
        await showKeys();
        focusSection("circle-devices-heading");
      } catch (error) {
        problem(error.message);
      }
    }));
    no.addEventListener("click", () => busy(no, async () => {
      try {
        await call("POST", `me/circle-devices/${device.id}/revoke`);
        say("The device was refused. It gets no keys.");
        await showKeys();
        focusSection("circle-devices-heading");
      } catch (error) {
        problem(error.message);
      }
    }));
    wrapper.append(h("div", { class: "actions" }, yes, no));
    return wrapper;
  }

  async function approveDevice(pending) {
    const me = await localDevice();
    const voucher = await K.signVoucher(me.signingKeyPair.privateKey, app.user, pending.agreement, pending.signing);
    const wraps = [];
    const circles = await allMyCircles();
    let count = 0;
    for (const { uid } of circles) {
      let ctx;
      try {
        ctx = await loadCircle(uid, me);
      } catch (error) {
        continue;
      }
      if (ctx.keys.size) count += 1;
      for (const [epoch, key] of ctx.keys) {
        wraps.push({
          circle: uid,
          epoch,
          wrapped: await K.wrapEpochKey(key, pending.agreement, uid, epoch, pending.id),
        });
      }
    }
    await call("POST", `me/circle-devices/${pending.id}/approve`, { vouched_by: me.id, voucher, wraps });
    return count;
  }

  function revokeControls(device, title) {
    const wrapper = h("div", { class: "circle-revoke" });
    const ask = h("button", { type: "button", class: "secondary" }, `Remove \u201c${title}\u201d`);
    ask.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "danger" }, "Yes, remove it");
      const no = h("button", { type: "button", class: "secondary" }, "Keep it");
      no.addEventListener("click", () => {
        wrapper.replaceChildren(ask);
        ask.focus();
      });
      yes.addEventListener("click", () => busy(yes, async () => {
        try {
          await call("POST", `me/circle-devices/${device.id}/revoke`);
          say(`\u201c${title}\u201d was removed. Your circles change their keys the next time a member opens them, and it gets none of the new ones.`);
          await showKeys();
          focusSection("circle-devices-heading");
        } catch (error) {
          problem(error.message);
        }
      }));
      wrapper.replaceChildren(
        h("p", {}, `Remove \u201c${title}\u201d? It will get no new circle keys. Use this for a lost or old device.`),
        h("div", { class: "actions" }, yes, no));
      yes.focus();
    });
    wrapper.append(ask);
    return wrapper;
  }

  async function showBackup() {
    const box = $("circle-backup");
    if (!box) return;
    const { backup } = keys.status;
    const parts = [];
    if (backup && backup.exists) {
      const kept = await store.get(BACKUP_KEY());
      parts.push(h("p", {}, `You have a key backup, last updated ${when(backup.updated_at)}.`));
      if (kept) parts.push(h("p", {}, "This device adds new circle keys to it by itself."));
    } else {
      parts.push(h("p", {}, "You have no key backup yet. With one, you can read your circle history on a new device even if you have lost all the others."));
    }
    if (isThisDeviceActive()) {
      parts.push(passphraseForm(Boolean(backup && backup.exists)));
    } else if (!(backup && backup.exists)) {
      parts.push(h("p", {}, "Set up this device first; then you can make a backup here."));
    }
    box.replaceChildren(...parts);
  }

  function passphraseForm(replacing) {
    const button = h("button", { type: "submit" }, replacing ? "Save with this new passphrase" : "Save my key backup");
    const form = h("form", { id: "circle-backup-form", novalidate: true },
      h("div", { class: "field" },
        h("label", { for: "circle-passphrase" }, replacing ? "New passphrase" : "Choose a passphrase"),
        h("input", { type: "password", id: "circle-passphrase", autocomplete: "new-password", "aria-describedby": "circle-passphrase-help" }),
        h("span", { class: "helptext", id: "circle-passphrase-help" },
          `At least ${MIN_PASSPHRASE} characters. A few unrelated words are easy to remember and hard to guess. Write it down somewhere safe.`)),
      h("div", { class: "field" },
        h("label", { for: "circle-passphrase-again" }, "The same passphrase again"),
        h("input", { type: "password", id: "circle-passphrase-again", autocomplete: "new-password" })),
      button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const first = $("circle-passphrase");
      const again = $("circle-passphrase-again");
      problem("");
      if ([...first.value].length < MIN_PASSPHRASE) {
        problem(`Use a passphrase of at least ${MIN_PASSPHRASE} characters.`);
        first.focus();
        return;
      }
      if (first.value !== again.value) {
        problem("The two passphrases are not the same.");
        again.focus();
        return;
      }
      await busy(button, async () => {
        say("Making your key backup. This takes a few seconds\u2026");
        try {
          await saveBackup(first.value);
          first.value = "";
          again.value = "";
          say("Your key backup is saved. Keep your passphrase somewhere safe.");
          await showKeys();
          focusSection("circle-backup-heading");
        } catch (error) {
          problem(error.message);
        }
      });
    });
    return form;
  }

  async function saveBackup(passphrase) {
    const me = await localDevice();
    // Gather the keys of every circle first, so the backup is complete.
    for (const { uid } of await allMyCircles()) {
      try {
        await loadCircle(uid, me);
      } catch (error) {
        // A circle that cannot be loaded now is added later.
      }
    }
    const recovery = await K.generateRecoveryKey();
    const voucher = await K.signVoucher(me.signingKeyPair.privateKey, app.user, "", recovery.signing);
    const device = await call("POST", "me/circle-devices", {
      label: "Recovery key", agreement: "", signing: recovery.signing, kind: "recovery",
      vouched_by: me.id, voucher,
    });
    const epochKeys = keyList(await cachedKeys());
    const made = await K.makeBackup(passphrase, app.user, device.id, recovery.pkcs8, epochKeys);
    await call("PUT", "me/circle-backup", { blob: made.blob, recovery_device: device.id });
    // The server retires the recovery key of the backup this one replaces.
    await store.put(BACKUP_KEY(), { key: made.backupKey, recoveryDevice: device.id });
  }

  // Every circle the member has joined, in every community of theirs.
  async function allMyCircles() {
    const slugs = [];
    for (let offset = 0; ;) {
      const page = await call("GET", `me/communities?limit=100&offset=${offset}`);
      const items = page.items || [];
      for (const item of items) slugs.push(item.community.slug);
      offset += items.length;
      if (!items.length || offset >= page.count) break;
    }
    const circles = [];
    for (const slug of slugs) {
      let data;
      try {
        data = await call("GET", `communities/${encodeURIComponent(slug)}/circles`);
      } catch (error) {
        continue;
      }
      for (const circle of data.circles) {
        if (circle.state === "joined") circles.push({ uid: circle.uid, community: slug });
      }
    }
    return circles;
  }

  // --- Download my circle history -------------------------------------------

  function wireExport() {
    for (const [id, format] of [["circle-export-json", "json"], ["circle-export-markdown", "markdown"]]) {
      const button = $(id);
      if (!button) continue;
      button.addEventListener("click", () => busy(button, async () => {
        problem("");
        say("Decrypting your circle history in this browser\u2026");
        try {
          const history = await circleHistory();
          const day = new Date().toISOString().slice(0, 10);
          if (format === "json") {
            download(`kinwell-circle-history-${day}.json`, "application/json",
              JSON.stringify(history, null, 2));
          } else {
            download(`kinwell-circle-history-${day}.md`, "text/markdown", historyMarkdown(history));
          }
          say(`Your circle history (${history.circles.length === 1 ? "1 circle" : `${history.circles.length} circles`}) was saved as a file by your browser.`);
        } catch (error) {
          problem(error.message);
        }
      }));
    }
  }

  async function circleHistory() {
    const device = await localDevice();
    const history = { exported_at: new Date().toISOString(), circles: [] };
    for (const { uid, community } of await allMyCircles()) {
      const ctx = await loadCircle(uid, device);
      const meta = await circleMeta(ctx);
      const reader = newReader();
      const posts = [];
      const byId = new Map();
      let notShown = 0;
      for (const message of await messagesAfter(uid, 0)) {
        const entry = await openOne(ctx, reader, message);
        if (entry.kind === "post") {
          const post = {
            id: entry.id,
            from: memberName(ctx, entry.user),
            created_at: entry.created_at,
            sent_at: entry.body.sent_at,
            reply_to: entry.body.reply_to,
            text: entry.body.text,
            attachments: entry.body.attachments,
            reactions: {},
          };
          posts.push(post);
          byId.set(entry.id, post);
        } else if (entry.kind === "reaction") {
          const post = byId.get(entry.body.target);
          if (post) post.reactions[entry.body.emoji] = (post.reactions[entry.body.emoji] || 0) + 1;
        } else if (entry.kind !== "removed") {
          notShown += 1;
        }
      }
      history.circles.push({
        uid, community,
        name: meta ? meta.name : "",
        purpose: meta ? meta.purpose : "",
        messages: posts,
        messages_not_readable: notShown,
      });
    }
    return history;
  }

  function historyMarkdown(history) {
    const lines = ["# My circle history", "", `Saved on ${dayFormat.format(new Date(history.exported_at))}.`, ""];
    for (const circle of history.circles) {
      lines.push(`## ${circle.name || "A circle"}`, "");
      if (circle.purpose) lines.push(circle.purpose, "");
      for (const post of circle.messages) {
        lines.push(`### ${post.from}, ${when(post.created_at)}`, "");
        if (post.reply_to !== null) lines.push(`(In reply to message ${post.reply_to}.)`, "");
        lines.push(post.text, "");
        for (const attachment of post.attachments) lines.push(`- Attachment: ${attachment.name}`);
        const reactions = Object.entries(post.reactions).map(([emoji, count]) => `${emoji} ${count}`);
        if (reactions.length) lines.push(`Reactions: ${reactions.join(", ")}`, "");
      }
      if (circle.messages_not_readable) {
        lines.push(`(${circle.messages_not_readable} messages could not be read on this device.)`, "");
      }
    }
    return lines.join("\n");
  }

  // --- Start -----------------------------------------------------------------

  function start() {
    for (const node of root.querySelectorAll("[data-circle-js]")) node.hidden = false;
    if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
      for (const node of root.querySelectorAll("[data-circle-js]")) node.hidden = true;
      problem(NEED_HTTPS);
      return;
    }
    if (!K || !window.marked || !window.DOMPurify) {
      for (const node of root.querySelectorAll("[data-circle-js]")) node.hidden = true;
      problem("The circle scripts did not load completely. Reload the page; if this goes on, tell the people who run this site.");
      return;
    }
    const pages = { keys: keysPage, list: listPage, new: newPage, detail: detailPage };
    const run = pages[app.page];
    if (!run) return;
    run().catch((error) => {
      problem(error && error.status !== undefined ? error.message
        : "Something went wrong on this page. Reload it to try again.");
    });
  }

  start();
})();
