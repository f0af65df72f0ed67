// Paidan coordinator dashboard: plain JS against the public /api/v1.
// The token lives in this browser's sessionStorage only. The live queue
// comes from GET /api/v1/queue (a snapshot with its position) and then the
// Server-Sent Events of /api/v1/queue/stream, opened with a single-use
// ticket because EventSource cannot send an Authorization header.
"use strict";

const API = "/api/v1";
const $ = (id) => document.getElementById(id);
// A link may carry the token in its fragment (#token=…), which browsers
// never send to the server; it is moved to sessionStorage and removed from
// the address bar at once.
if (location.hash.startsWith("#token=")) {
  sessionStorage.setItem("paidan.token", decodeURIComponent(location.hash.slice(7)));
  history.replaceState(null, "", location.pathname);
}
const state = { token: sessionStorage.getItem("paidan.token") || "", rows: new Map(), stations: new Map(), teams: new Map(),
  lastId: 0, es: null, retry: null, fresh: {}, timers: [] };

async function api(path, opts = {}) {
  const res = await fetch(API + path, { ...opts, headers: { Authorization: "Bearer " + state.token, ...(opts.headers || {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((body.error && body.error.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  if (body.freshness) state.fresh[path.split("?")[0]] = body.freshness;
  return body;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function dur(s) {
  s = Math.max(0, Math.floor(s));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
}
const pct = (x) => (x * 100).toFixed(1) + "%";
const stationName = (id) => state.stations.get(id) || id || "";
const teamName = (id) => state.teams.get(id) || id || "—";

function setStatus(cls, text) { const s = $("status"); s.className = "status " + cls; s.textContent = text; }

// --- queue --------------------------------------------------------------

function rowKey(r) { return [(r.sla_flags || []).includes("escalated") ? 0 : 1, r.placed_at, r.order_id]; }
function cmp(a, b) { const x = rowKey(a), y = rowKey(b); for (let i = 0; i < 3; i++) { if (x[i] < y[i]) return -1; if (x[i] > y[i]) return 1; } return 0; }

async function loadQueue() {
  state.rows.clear();
  let cursor = "", pos = 0;
  for (let page = 0; page < 5; page++) {
    const q = await api("/queue?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    if (page === 0) pos = q.freshness.position;
    q.rows.forEach((r) => { r._seen = Date.now(); state.rows.set(r.order_id, r); });
    cursor = q.next_cursor;
    if (!cursor) break;
  }
  state.lastId = pos;
  renderQueue();
}

function renderQueue() {
  const fs = $("f-status").value, fc = $("f-category").value, ft = $("f-text").value.trim().toLowerCase();
  const now = Date.now();
  const rows = [...state.rows.values()].filter((r) =>
    (!fs || r.status === fs) && (!fc || r.category === fc) &&
    (!ft || [r.station_id, stationName(r.station_id), r.institute_id, r.team_id || ""].some((v) => String(v).toLowerCase().includes(ft))));
  rows.sort(cmp);
  const tb = $("queue").tBodies[0];
  tb.replaceChildren(...rows.slice(0, 500).map((r) => {
    const tr = el("tr");
    const flags = r.sla_flags || [];
    if (flags.includes("escalated")) tr.className = "escalated"; else if (flags.length) tr.className = "flagged";
    if (r._fresh && now - r._fresh < 1500) tr.classList.add("fresh");
    const age = (now - r._seen) / 1000;
    const tdFlags = el("td");
    flags.forEach((f) => tdFlags.append(el("span", "flag " + f, f)));
    if (r.escalation_reason) tdFlags.title = r.escalation_reason;
    tr.append(el("td", "mono", r.order_id.slice(0, 8)), el("td", "status-pill", r.status), el("td", "", r.category),
      el("td", "", stationName(r.station_id)), el("td", "", teamName(r.team_id)),
      el("td", "num", dur(r.waiting_seconds + age)), el("td", "num", dur(r.status_seconds + age)), tdFlags);
    tr.title = r.order_id;
    return tr;
  }));
  $("queue-count").textContent = rows.length + " of " + state.rows.size + " orders";
  renderCounters();
}

function renderCounters() {
  const all = [...state.rows.values()];
  const count = (f) => all.filter(f).length;
  const items = [
    ["in queue", all.length, false],
    ["escalated", count((r) => (r.sla_flags || []).includes("escalated")), true],
    ["SLA flags", count((r) => (r.sla_flags || []).some((f) => f !== "escalated")), true],
    ["waiting for offer", count((r) => r.status === "placed"), false],
    ["offered", count((r) => r.status === "offered"), false],
    ["in service", count((r) => r.status === "accepted" || r.status === "in_service"), false],
  ];
  $("counters").replaceChildren(...items.map(([label, n, alert]) => {
    const d = el("div", "counter" + (alert && n > 0 ? " alert" : ""));
    d.append(el("b", "", String(n)), el("span", "", label));
    return d;
  }));
}

function applyChange(c) {
  if (c.op === "delete") state.rows.delete(c.order_id);
  else if (c.row) { c.row._seen = Date.now(); c.row._fresh = Date.now(); state.rows.set(c.order_id, c.row); }
  state.lastId = c.id;
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; renderQueue(); });
}

async function connect() {
  clearTimeout(state.retry);
  if (state.es) state.es.close();
  try {
    const t = await api("/queue/stream/ticket", { method: "POST" });
    const es = new EventSource(t.url + "&last_event_id=" + state.lastId);
    state.es = es;
    es.addEventListener("hello", () => setStatus("live", "live"));
    es.addEventListener("change", (e) => { applyChange(JSON.parse(e.data)); scheduleRender(); refreshSoon(); });
    es.addEventListener("reset", async () => { await loadQueue(); connect(); });
    es.onerror = () => {
      // A ticket signs in once: reconnect with a new one from where we were.
      es.close();
      setStatus("retry", "reconnecting…");
      state.retry = setTimeout(connect, 2000);
    };
  } catch (err) {
    setStatus("retry", "reconnecting…");
    if (err.status === 401 || err.status === 403) return signinFailed(err);
    state.retry = setTimeout(connect, 3000);
  }
}

// --- teams and satisfaction ------------------------------------------------

async function loadTeams() {
  const body = await api("/teams");
  body.teams.forEach((t) => state.teams.set(t.team_id, t.name));
  const teams = body.teams.filter((t) => t.active).sort((a, b) => (b.load / Math.max(1, b.capacity)) - (a.load / Math.max(1, a.capacity)) || b.completed_total - a.completed_total);
  $("teams").tBodies[0].replaceChildren(...teams.slice(0, 200).map((t) => {
    const tr = el("tr");
    const load = el("td", "num");
    const bar = el("span", "bar"), fill = el("i", t.load >= t.capacity ? "full" : "");
    fill.style.width = Math.min(100, (100 * t.load) / Math.max(1, t.capacity)) + "%";
    bar.append(fill);
    load.append(bar, document.createTextNode(t.load + " / " + t.capacity));
    tr.append(el("td", "", t.name), el("td", "", stationName(t.station_id)), load, el("td", "num", String(t.completed_total)),
      el("td", "num", t.ratings ? pct(t.good_rating_rate) : "—"));
    tr.title = t.team_id;
    return tr;
  }));
}

async function loadSatisfaction() {
  const by = $("by").value;
  const body = await api("/stats/satisfaction?by=" + by);
  const name = by === "station" ? stationName : (k) => k;
  $("satisfaction").tBodies[0].replaceChildren(...body.rows.slice(-300).map((r) => {
    const tr = el("tr");
    tr.append(el("td", "", name(r.key)), el("td", "num", String(r.completed)), el("td", "num", String(r.ratings)),
      el("td", "num", r.ratings ? pct(r.good_rating_rate) : "—"), el("td", "num", r.ratings ? r.average_stars.toFixed(2) : "—"),
      el("td", "num", r.completed ? pct(r.rating_coverage) : "—"));
    return tr;
  }));
}

let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; loadTeams().catch(() => {}); loadSatisfaction().catch(() => {}); }, 3000);
}

function renderFresh() {
  const q = state.fresh["/queue"] || {};
  $("fresh").textContent = "read models at position " + (q.position || 0) + " · lag " + (q.lag || 0) +
    " events · live stream at " + state.lastId;
}

// --- sign in -----------------------------------------------------------------

function signinFailed(err) {
  $("signin-error").textContent = err.message;
  $("board").hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  setStatus("off", "signed out");
}

async function start() {
  $("signin-error").textContent = "";
  if (!state.token) return;
  try {
    const st = await api("/stations").catch(() => ({ stations: [] }));
    (st.stations || []).forEach((s) => state.stations.set(s.id, s.name));
    await loadQueue();
  } catch (err) {
    return signinFailed(err);
  }
  $("board").hidden = false;
  $("signin").hidden = true;
  $("signout").hidden = false;
  await loadTeams().catch(() => {});
  renderQueue();
  connect();
  loadSatisfaction().catch(() => {});
  state.timers.forEach(clearInterval);
  state.timers = [setInterval(renderQueue, 1000), setInterval(renderFresh, 1000), setInterval(refreshSoon, 15000)];
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("paidan.token", state.token);
  start();
});
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem("paidan.token");
  state.token = "";
  if (state.es) state.es.close();
  state.timers.forEach(clearInterval);
  signinFailed({ message: "" });
});
["f-status", "f-category", "f-text"].forEach((id) => $(id).addEventListener("input", renderQueue));
$("by").addEventListener("change", () => loadSatisfaction().catch(() => {}));
$("token").value = state.token;
start();
