/* The gate screen. Online, every check goes to the server, which decides and stores it. When the
 * network is gone (or too slow), the screen decides on its own from the gate's cached offline bundle
 * (public key, passes with masked names and colours, revoked passes and cards), verifies the pass's
 * Ed25519 signature with WebCrypto, keeps the nonces it has seen, and queues the check in IndexedDB
 * under its client id. The queue syncs when the network returns; the server decides each check
 * again, and a client id it already has stores nothing new, so nothing is lost or counted twice. */
(function () {
  "use strict";
  const root = document.getElementById("gate-screen");
  if (!root) return;
  const GATE = root.dataset.gateId;
  const API = root.dataset.api;
  const CSRF = root.dataset.csrf;
  const ONLINE_TIMEOUT_MS = 4000;
  const $ = (id) => document.getElementById(id);
  const labels = JSON.parse(document.getElementById("gate-labels").textContent);

  // --- IndexedDB: the queue, the bundle, the nonces seen offline -------------------------------
  const dbp = new Promise((resolve, reject) => {
    const open = indexedDB.open("gatehouse-gate", 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore("queue", { keyPath: "client_id" });
      db.createObjectStore("bundle", { keyPath: "gate_id" });
      db.createObjectStore("nonces", { keyPath: "nonce" });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const done = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const store = async (name, mode) => (await dbp).transaction(name, mode).objectStore(name);
  const idb = {
    get: async (n, k) => done((await store(n, "readonly")).get(k)),
    put: async (n, v) => done((await store(n, "readwrite")).put(v)),
    add: async (n, v) => done((await store(n, "readwrite")).add(v)),
    del: async (n, k) => done((await store(n, "readwrite")).delete(k)),
    all: async (n) => done((await store(n, "readonly")).getAll()),
    count: async (n) => done((await store(n, "readonly")).count()),
  };

  // --- the network and the queue -------------------------------------------------------------
  function setNet(online) {
    const net = $("net");
    net.textContent = online ? net.dataset.online : net.dataset.offline;
    net.classList.toggle("off", !online);
  }
  async function updateQueue() {
    const n = await idb.count("queue");
    const q = $("queue");
    q.hidden = n === 0;
    q.textContent = q.dataset.template.replace("%(n)s", n);
    root.dataset.waiting = String(n);
  }
  let seq = 0;
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

  async function post(check) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ONLINE_TIMEOUT_MS);
    try {
      const r = await fetch(`${API}/checks`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF },
        body: JSON.stringify(check),
        signal: abort.signal,
      });
      if (r.status >= 500 || r.status === 401 || r.status === 403 || r.status === 429) {
        throw new Error(`server ${r.status}`);
      }
      const data = await r.json();
      return r.ok ? data : { error: data };
    } finally {
      clearTimeout(timer);
    }
  }

  let syncing = false;
  async function sync() {
    if (syncing || !navigator.onLine) return;
    syncing = true;
    try {
      const items = (await idb.all("queue")).sort((a, b) => a.seq - b.seq);
      for (const item of items) {
        const { seq: _seq, ...check } = item;
        let result;
        try {
          result = await post(check);
        } catch (e) {
          break; // still offline, or the server is struggling: try again later, in order
        }
        await idb.del("queue", item.client_id);
        if (result && !result.error) addRecent(result);
      }
    } finally {
      syncing = false;
      await updateQueue();
    }
  }

  // --- the offline bundle --------------------------------------------------------------------
  let bundle = null;
  let keyPromise = null;
  async function loadBundle() {
    try {
      const r = await fetch(`${API}/gates/${GATE}/bundle`, { credentials: "same-origin" });
      if (!r.ok) throw new Error(String(r.status));
      const b = await r.json();
      b.gate_id = GATE;
      b.skew_ms = Date.parse(b.server_time) - Date.now();
      await idb.put("bundle", b);
      bundle = b;
      keyPromise = null;
    } catch (e) {
      bundle = bundle || (await idb.get("bundle", GATE)) || null;
    }
  }
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  function b64url(s) {
    let t = s.replace(/-/g, "+").replace(/_/g, "/");
    while (t.length % 4) t += "=";
    return b64(t);
  }
  const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
  function uuidOf(bytes) {
    const h = hex(bytes);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function publicKey() {
    keyPromise = keyPromise || crypto.subtle.importKey("raw", b64(bundle.public_key), { name: "Ed25519" }, false, ["verify"]);
    return keyPromise;
  }
  async function verifyToken(token, nowSec) {
    if (typeof token !== "string" || !token.startsWith("GH1.") || token.length > 200) return { reason: "token_malformed" };
    let raw;
    try { raw = b64url(token.slice(4)); } catch (e) { return { reason: "token_malformed" }; }
    if (raw.length !== 92) return { reason: "token_malformed" };
    const body = raw.slice(0, 28);
    let ok;
    try { ok = await crypto.subtle.verify({ name: "Ed25519" }, await publicKey(), raw.slice(28), body); }
    catch (e) { return { reason: "not_identified" }; }
    if (!ok) return { reason: "token_forged" };
    const step = new DataView(body.buffer, body.byteOffset, 28).getUint32(16);
    const age = nowSec - step * 30;
    if (age > 45) return { reason: "token_expired" };
    if (age < -45) return { reason: "token_from_the_future" };
    return { passId: uuidOf(body.slice(0, 16)), nonce: hex(body.slice(20, 28)) };
  }

  // --- the decision, as gatehouse/gate/decision.py makes it ----------------------------------
  function readTemperature(raw, line) {
    if (raw === null || raw === undefined || String(raw).trim() === "") return { status: "not_taken" };
    const m = /^\s*(\d{2}(?:\.\d{1,2})?)\s*$/.exec(String(raw));
    if (!m) return { status: "implausible" };
    const v = Math.round(parseFloat(m[1]) * 10 + 1e-9) / 10;
    if (v < 34.0 || v > 42.5) return { status: "implausible", value: v };
    return { status: v >= line - 1e-9 ? "fever" : "normal", value: v };
  }
  function openAt(gate, now) {
    if (!gate.opens_at || !gate.closes_at) return true;
    const t = now.toTimeString().slice(0, 5);
    return gate.opens_at < gate.closes_at ? gate.opens_at <= t && t < gate.closes_at : t >= gate.opens_at || t < gate.closes_at;
  }
  function decide(b, s, check, now) {
    const reading = readTemperature(check.temperature, parseFloat(b.fever_line));
    const fever = reading.status === "fever";
    const person = !["vehicle", "unknown_vehicle", "emergency"].includes(s.kind);
    const r = (outcome, ...reasons) => ({ outcome, reasons, reading });
    if (b.gate.status === "sealed") return r("refuse", "gate_sealed", ...(fever ? ["fever"] : []));
    if (b.regime.no_entry) return r("refuse", "area_no_entry", ...(fever ? ["fever"] : []));
    if (reading.status === "implausible") return r("remeasure", "temperature_implausible");
    if (fever) return r("escalate", "fever", ...(s.refusal ? [s.refusal] : []));
    if (s.kind === "emergency") return r("let_in", "emergency_vehicle");
    const onDuty = s.kind === "staff" && s.on_duty;
    if (!openAt(b.gate, now) && !onDuty) return r("refuse", "gate_closed_hours");
    if (s.refusal || s.kind === "unidentified") return r("refuse", s.refusal || "not_identified");
    if ((s.kind === "vehicle" || s.kind === "unknown_vehicle") && !b.gate.has_vehicle_lane) return r("refuse", "no_vehicle_lane");
    const observed = s.colour === "red";
    if (check.direction === "out") {
      if (observed && person) return r("refuse", "home_observation_exit");
      return r("let_in", "going_out");
    }
    if (person && b.regime.temperature_check && reading.status === "not_taken" && !onDuty) return r("remeasure", "temperature_missing");
    if (s.kind === "staff" && onDuty) return r("let_in", "staff_on_duty");
    if (s.kind === "courier") return r("refuse", "courier_no_entry");
    if (s.kind === "resident") {
      if (check.declares_arrival && b.regime.question_returnees) return r("register", "returnee_unregistered");
      if (observed) return r("let_in", "home_observation_return");
      if (s.colour === "yellow") return r("let_in", "resident", "health_monitoring");
      return r("let_in", "resident");
    }
    if (s.kind === "vehicle") return r("let_in", "registered_vehicle");
    if (s.kind === "unknown_vehicle" && b.regime.registered_vehicles_only) return r("refuse", "unknown_vehicle");
    if (b.regime.visitor_rule !== "registered_visit") return r("refuse", "visitor_refused");
    if (check.declares_arrival && person) return r("refuse", "visitor_from_outside");
    if (observed) return r("refuse", "visitor_under_observation");
    if (!s.has_host) return s.kind === "other_resident" ? r("refuse", "pass_other_compound", "visitor_needs_host") : r("refuse", "visitor_needs_host");
    return r("let_in", "visitor_registered");
  }

  async function resolveOffline(b, check, nowSec) {
    const hasHost = Boolean(check.host_building.trim() && check.host_room.trim());
    const value = (check.value || "").trim();
    const passes = new Map(b.passes.map((p) => [p.pass_id, p]));
    switch (check.subject) {
      case "token": {
        const v = await verifyToken(value, nowSec);
        if (v.reason) return { kind: "unidentified", refusal: v.reason };
        try { await idb.add("nonces", { nonce: v.nonce, at: Date.now() }); }
        catch (e) { return { kind: "unidentified", refusal: "token_replayed" }; }
        if (b.revoked_pass_ids.includes(v.passId)) return { kind: "unidentified", refusal: "pass_revoked" };
        const p = passes.get(v.passId);
        // A valid pass we do not hold belongs to another compound (the server will know whose).
        return p ? { kind: "resident", colour: p.colour, label: p.masked_name } : { kind: "other_resident", has_host: hasHost };
      }
      case "card": {
        const serial = value.toUpperCase();
        if (b.revoked_card_serials.includes(serial)) return { kind: "unidentified", refusal: "card_revoked" };
        const card = b.cards.find((c) => c.serial === serial);
        const p = card && passes.get(card.pass_id);
        return p ? { kind: "resident", colour: p.colour, label: p.masked_name } : { kind: "unidentified", refusal: "card_unknown" };
      }
      case "id_number": return { kind: "unidentified", refusal: "not_identified" };
      case "plate": {
        // As lib/plates.plate_normalise writes plates: no spaces, dots or hyphens, upper case.
        const plate = value.replace(/[\s·.\-]/g, "").toUpperCase().slice(0, 12);
        if ((b.plates || []).includes(plate)) return { kind: "vehicle", label: plate };
        return { kind: "unknown_vehicle", label: plate, has_host: hasHost };
      }
      case "staff": return { kind: "staff", on_duty: value === "" };
      default: return { kind: check.subject, has_host: hasHost };
    }
  }

  async function checkOffline(check) {
    if (!bundle) await loadBundle();
    const now = new Date(Date.now() + ((bundle && bundle.skew_ms) || 0));
    let decided, subject = { kind: "unidentified" };
    if (bundle) {
      subject = await resolveOffline(bundle, check, now.getTime() / 1000);
      decided = decide(bundle, subject, check, now);
    } else {
      decided = { outcome: "refuse", reasons: ["not_identified"], reading: { status: "not_taken" } };
    }
    const queued = { ...check, offline: { decision: decided.outcome, observed_at: now.toISOString() }, seq: Date.now() * 1000 + (seq++ % 1000) };
    await idb.put("queue", queued);
    await updateQueue();
    const L = (bundle && bundle.labels) || labels.fallback;
    const pickup = (bundle && bundle.pickup_point) || "";
    const steps = decided.reasons.map((r) => L.steps[r]).filter(Boolean).map((t) => t.replace("%(pickup)s", pickup));
    return {
      client_id: check.client_id,
      decision: decided.outcome,
      decision_label: L.outcomes[decided.outcome],
      reasons: decided.reasons,
      reason_labels: decided.reasons.map((r) => L.reasons[r] || r),
      steps: steps.length ? steps : [L.default_steps[decided.outcome]],
      label: subject.label || "",
      colour: subject.colour || "",
      provisional: true,
      register_url: null,
    };
  }

  // --- the form ------------------------------------------------------------------------------
  const form = $("check-form");
  const subjectOf = () => form.querySelector("input[name=subject]:checked").value;
  function collect() {
    const temperature = $("temperature").value;
    return {
      gate_id: GATE,
      client_id: newId(),
      subject: subjectOf(),
      value: $("value").value,
      temperature: temperature === "" ? null : temperature,
      direction: form.querySelector("input[name=direction]:checked").value,
      declares_arrival: $("declares_arrival").checked,
      host_building: $("host_building").value,
      host_room: $("host_room").value,
      device: (navigator.userAgent || "").slice(0, 80),
    };
  }
  function show(r) {
    const box = $("result");
    box.hidden = false;
    if (r.error) {
      box.className = "result refuse";
      $("decision").textContent = r.error.detail || "";
      $("who").textContent = "";
      $("colour").hidden = true;
      $("reasons").textContent = (r.error.errors || []).map((e) => `${e.field}: ${e.message}`).join("；");
      $("steps").innerHTML = "";
      $("provisional").hidden = true;
      $("register-link").hidden = true;
      return;
    }
    box.className = `result ${r.decision}`;
    $("decision").textContent = r.decision_label;
    $("who").textContent = r.label || "";
    const colour = $("colour");
    colour.hidden = !r.colour;
    colour.className = `badge ${r.colour || ""}`;
    colour.textContent = labels.colours[r.colour] || "";
    $("reasons").textContent = r.reason_labels.join(" ");
    const steps = $("steps");
    steps.innerHTML = "";
    for (const s of r.steps) {
      const li = document.createElement("li");
      li.textContent = s;
      steps.appendChild(li);
    }
    $("provisional").hidden = !r.provisional;
    const link = $("register-link");
    link.hidden = !r.register_url;
    if (r.register_url) link.href = r.register_url;
    box.scrollIntoView({ block: "nearest" });
  }
  function addRecent(r) {
    const li = document.createElement("li");
    li.className = `d-${r.decision}`;
    li.textContent = `${new Date().toTimeString().slice(0, 8)} ${r.label || "—"} · ${r.decision_label}${r.provisional ? ` · ${$("recent").dataset.offline}` : ""}`;
    $("recent").prepend(li);
    while ($("recent").children.length > 15) $("recent").lastChild.remove();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = $("check-btn");
    button.disabled = true;
    const check = collect();
    let result = null;
    try {
      if (navigator.onLine) {
        try { result = await post(check); } catch (e) { result = null; }
      }
      if (result === null) result = await checkOffline(check);
      show(result);
      if (!result.error) {
        addRecent(result);
        $("value").value = "";
        $("temperature").value = "";
        $("declares_arrival").checked = false;
      }
    } finally {
      button.disabled = false;
      root.dataset.checks = String(Number(root.dataset.checks || "0") + 1);
    }
  });
  form.addEventListener("change", (ev) => {
    if (ev.target.name === "subject") {
      const s = subjectOf();
      $("host-row").hidden = !["visitor", "plate"].includes(s);
      $("value-row").hidden = ["visitor", "courier", "emergency"].includes(s);
    }
  });

  // --- the camera ----------------------------------------------------------------------------
  let scanner = null;
  async function stopCamera() {
    if (scanner) { try { await scanner.stop(); } catch (e) { /* already stopped */ } }
    scanner = null;
    $("reader").hidden = true;
  }
  $("camera-btn").addEventListener("click", async () => {
    if (scanner) return stopCamera();
    if (typeof Html5Qrcode === "undefined") return;
    $("reader").hidden = false;
    scanner = new Html5Qrcode("reader");
    try {
      await scanner.start({ facingMode: "environment" }, { fps: 10, qrbox: 220 }, (text) => {
        $("value").value = text;
        const subject = text.startsWith("GH1.") ? "token" : "card";
        form.querySelector(`input[name=subject][value=${subject}]`).checked = true;
        stopCamera();
        if ($("temperature").value) form.requestSubmit(); else $("temperature").focus();
      }, () => {});
    } catch (e) {
      await stopCamera();
    }
  });

  // --- start ---------------------------------------------------------------------------------
  window.addEventListener("online", () => { setNet(true); sync(); loadBundle(); });
  window.addEventListener("offline", () => setNet(false));
  setNet(navigator.onLine);
  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (ev.data && ev.data.cached) root.dataset.cached = "1";
    });
    navigator.serviceWorker.register(root.dataset.sw, { scope: "/gate/" }).then(() => navigator.serviceWorker.ready).then((reg) => {
      const assets = [location.href, ...Array.from(document.querySelectorAll("script[src], link[rel=stylesheet]"), (e) => e.src || e.href)];
      if (reg.active) reg.active.postMessage({ cache: assets });
    }).catch(() => {});
  }
  // A token is good for 45 s either way: nonces older than ten minutes can never match again.
  idb.all("nonces").then((all) => all.filter((n) => n.at < Date.now() - 600000).forEach((n) => idb.del("nonces", n.nonce)));
  loadBundle().then(() => { root.dataset.ready = "1"; });
  updateQueue();
  sync();
  setInterval(sync, 10000);
  setInterval(() => { if (navigator.onLine) loadBundle(); }, 5 * 60 * 1000);
  // For the browser test and for support on a phone: look into the queue without the devtools.
  window.gatehouseGate = { sync, queued: () => idb.all("queue"), enqueue: (item) => idb.put("queue", item), updateQueue };
})();
