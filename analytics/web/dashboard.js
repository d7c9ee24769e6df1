// The supervisor dashboard: a period and filters in, every figure of /api/analytics/summary out (with the previous
// period beside it), as cards, ECharts charts and tables; any figure, bar or slice lists the conversations behind it.
// Without a mouse or sight: each chart's numbers are also a table whose bars and slices are buttons.
/* global echarts */
import { createApi } from "/static/common/api.js";
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fmtDateTime, fmtSpan } from "/static/common/i18n.js";
import { startSignIn } from "/static/common/signin.js";
import { i18n, t } from "./texts.js";

const TOKEN_KEY = "cs_agent_token"; // shared with the console and the editor: one sign-in
// applied: the period and filters of the figures on screen (the form may have changed since, not yet applied)
const state = { token: sessionStorage.getItem(TOKEN_KEY), me: null, summary: null, applied: null, charts: {}, drill: null, liveTimer: null, open: null, openTimer: null, sort: { key: "chats", dir: -1 } };
const api = createApi({ token: () => state.token, language: () => i18n.lang, onUnauthorized: (path) => { if (!path.endsWith("/login")) signedOut(); } });
const saveToken = (token) => { state.token = token; if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY); };
const CATEGORIES = ["product_quality", "service_attitude", "logistics", "after_sales", "billing", "other"];

// ---------- formatting ----------
const pct = (v) => (v === null || v === undefined ? t("noData") : `${(v * 100).toFixed(1)}%`);
function dur(s) {
  if (s === null || s === undefined) return t("noData");
  if (s < 90) return t("seconds", { n: Math.round(s) });
  if (s < 5400) return t("minutes", { n: (s / 60).toFixed(1) });
  return t("hours", { n: (s / 3600).toFixed(1) });
}
const num = (v) => (v === null || v === undefined ? t("noData") : String(v));
const label = (prefix, key) => { const k = `${prefix}_${key}`; const v = t(k); return v === k ? key : v; };

// ---------- the period and filters ----------
function params() {
  const p = new URLSearchParams();
  const period = $("period").value;
  if (period === "custom") { p.set("from", $("from").value); p.set("to", $("to").value); } else p.set("period", period);
  for (const f of ["channel", "language", "category", "agent", "tier"]) if ($(`f-${f}`).value) p.set(f, $(`f-${f}`).value);
  return p;
}
// What every list beside the figures asks with: the filters they were loaded with, never the form's unapplied ones.
const applied = () => new URLSearchParams(state.applied || params());
function syncCustom() { for (const n of document.querySelectorAll(".filters .custom")) n.hidden = $("period").value !== "custom"; }

// ---------- loading ----------
async function load() {
  showMsg($("error"), "");
  if ($("period").value === "custom" && $("from").value && $("to").value && $("from").value > $("to").value) {
    showMsg($("error"), t("fromAfterTo"));
    return;
  }
  const p = params();
  try {
    state.summary = await api(`/api/analytics/summary?${p}`);
  } catch (e) {
    showMsg($("error"), e.status === 403 ? t("forbidden") : e.message);
    return;
  }
  state.applied = p;
  render();
  loadGaps(); loadReports();
  if (!document.hidden) loadLive();  // a summary answered after the tab went to the background: shown again, it asks
  if (state.drill) drill(state.drill.figure, state.drill.key, state.drill.title);
}

function render() {
  const s = state.summary;
  if (!s) return;
  const p = s.period, q = s.previous_period;
  $("period-line").textContent = t("periodLine", { from: p.from, to: p.to, tz: p.timezone, pfrom: q.from, pto: q.to });
  $("simulated").hidden = !s.simulated;
  $("simulated").textContent = t("simulated");
  renderKpis(s);
  renderCharts(s);
  renderAgents(s.current.agents);
  renderSla(s.current.sla);
  renderComments(s.current.satisfaction.low_comments);
  fillFilterChoices(s);
}

// ---------- figure cards ----------
function kpiDefs(s) {
  const c = s.current, pr = s.previous, tg = s.targets;
  return [
    { id: "conversations", name: t("conversations"), v: c.volume.conversations, p: pr.volume.conversations, fmt: num, figure: "conversations" },
    { id: "containment", name: t("containment"), v: c.bot.containment, p: pr.bot.containment, fmt: pct, figure: "contained" },
    { id: "frt", name: t("frtP50"), v: c.humans.first_response.p50, p: pr.humans.first_response.p50, fmt: dur, figure: "escalated", lowerBetter: true,
      target: tg.first_response_seconds, targetFmt: dur },
    { id: "frt-within", name: t("frtWithin", { min: tg.first_response_seconds / 60 }), v: c.humans.first_response.within_target, p: pr.humans.first_response.within_target, fmt: pct, figure: "escalated" },
    { id: "wait", name: t("waitP50"), v: c.humans.queue_wait.p50, p: pr.humans.queue_wait.p50, fmt: dur, figure: "escalated", lowerBetter: true },
    { id: "handle", name: t("handle"), v: c.humans.handle_time.mean, p: pr.humans.handle_time.mean, fmt: dur, figure: "resolved", lowerBetter: true },
    { id: "resolution", name: t("resolution"), v: c.humans.resolution_time.mean, p: pr.humans.resolution_time.mean, fmt: dur, figure: "resolved", lowerBetter: true },
    { id: "fcr", name: t("fcr"), v: c.humans.fcr, p: pr.humans.fcr, fmt: pct, figure: "not_fcr", target: tg.fcr, targetFmt: pct },
    { id: "reopen", name: t("reopen"), v: c.humans.reopen_rate, p: pr.humans.reopen_rate, fmt: pct, figure: "reopened", lowerBetter: true },
    { id: "transfers", name: t("transfers"), v: c.humans.transfers, p: pr.humans.transfers, fmt: num, figure: "transferred", lowerBetter: true },
    { id: "csat", name: t("csat"), v: c.satisfaction.csat, p: pr.satisfaction.csat, fmt: pct, figure: "low_rating", target: tg.csat, targetFmt: pct },
    { id: "response-rate", name: t("responseRate"), v: c.satisfaction.response_rate, p: pr.satisfaction.response_rate, fmt: pct, figure: "rated" },
    { id: "complaints", name: t("complaints"), v: c.complaints.count, p: pr.complaints.count, fmt: num, figure: "complaints", lowerBetter: true },
    { id: "complaints-24h", name: t("within24", { h: tg.complaint_hours }), v: c.complaints.within_target, p: pr.complaints.within_target, fmt: pct, figure: "complaints" },
    { id: "sla", name: t("slaAttainment"), v: c.sla.attainment, p: pr.sla.attainment, fmt: pct, figure: "breached" },
    { id: "helpful", name: t("helpful"), v: c.bot.votes.helpful_share, p: pr.bot.votes.helpful_share, fmt: pct, figure: "not_helpful" },
  ];
}

function renderKpis(s) {
  const box = $("kpis");
  box.replaceChildren();
  for (const k of kpiDefs(s)) {
    const card = el("button", "kpi");
    card.type = "button";
    card.dataset.kpi = k.id;
    card.append(el("div", "name", k.name));
    const value = el("div", "value", k.fmt(k.v));
    value.dataset.value = k.v === null || k.v === undefined ? "" : String(k.v);
    card.append(value);
    const prev = el("div", "prev", t("prev", { value: k.fmt(k.p) }));
    if (typeof k.v === "number" && typeof k.p === "number" && k.v !== k.p) {
      const better = (k.v > k.p) !== !!k.lowerBetter;
      prev.append(el("span", better ? "up" : "down", ` ${k.v > k.p ? "▲" : "▼"}`));
    }
    card.append(prev);
    if (k.target !== undefined) {
      const met = typeof k.v === "number" ? (k.lowerBetter ? k.v <= k.target : k.v >= k.target) : null;
      card.append(el("div", `prev target ${met === null ? "" : met ? "met" : "missed"}`, t("target", { value: k.targetFmt(k.target) })));
    }
    card.addEventListener("click", () => drill(k.figure, "", k.name));
    box.append(card);
  }
}

// ---------- charts ----------
function chart(id) {
  if (!state.charts[id]) {
    state.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
    state.charts[id].on("click", (ev) => ev.data && ev.data.figure && drill(ev.data.figure, ev.data.key || "", ev.name));
  }
  return state.charts[id];
}
// ECharts' aria option makes the chart an image (role="img") whose label names it and points to its table.
const base = (id) => ({ animation: false, tooltip: { renderMode: "richText" }, grid: { left: 48, right: 16, top: 24, bottom: 48 },
  aria: { enabled: true, label: { description: t("chartLabel", { title: $(id).closest(".panel").querySelector("h2").textContent }) } } });

// A button listing the conversations behind one bar, slice or row (the keyboard's way to what a click on the chart does).
function drillButton(text, figure, key, title) {
  return button("drill-btn", text, () => drill(figure, key, title), `${text}: ${t("listConversations")}`);
}

// The chart's numbers as a table, in a <details> under it (closed until asked for).
function chartTable(id, head, rows) {
  let box = $(`${id}-data`);
  if (!box) {
    box = el("details", "chart-data");
    box.id = `${id}-data`;
    const wrap = el("div", "table-wrap");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.append(el("table", "data"));
    box.append(el("summary"), wrap);
    $(id).after(box);
  }
  box.querySelector("summary").textContent = t("numbers");
  box.querySelector(".table-wrap").setAttribute("aria-label", t("numbersOf", { title: $(id).closest(".panel").querySelector("h2").textContent }));
  table(box.querySelector("table"), head, rows);
}

// A chart with nothing to draw says so in words: an empty pie is drawn as a bare grey ring, and an empty bar chart
// as axes alone, which read as "still loading" or "broken" rather than "none this period".
function emptyNote(id, text) {
  let note = $(`${id}-empty`);
  if (!note) {
    note = el("p", "chart-empty");
    note.id = `${id}-empty`;
    $(id).before(note);
  }
  note.textContent = text;
  note.hidden = !text;
  const wasHidden = $(id).hidden;
  $(id).hidden = Boolean(text);
  if (wasHidden && !text && state.charts[id]) requestAnimationFrame(() => state.charts[id].resize()); // drawn while hidden: at no size
}

function renderCharts(s) {
  const c = s.current;
  const days = Object.keys(c.volume.by_day);
  chart("chart-trend").setOption({ ...base("chart-trend"), legend: { bottom: 0 }, xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: t("conversations"), type: "line", smooth: true, data: days.map((d) => ({ value: c.volume.by_day[d], figure: "conversations" })) },
      { name: t("complaints"), type: "bar", data: days.map((d) => ({ value: c.complaints.by_day[d] || 0, figure: "complaints" })) },
    ] }, true);
  chartTable("chart-trend", [{ label: t("day") }, { label: t("conversations"), num: true }, { label: t("complaints"), num: true }],
    days.map((d) => [d, String(c.volume.by_day[d]), String(c.complaints.by_day[d] || 0)]));
  const categories = c.complaints.by_category.filter((r) => r.count > 0);
  emptyNote("chart-categories", categories.length ? "" : t("noComplaints"));
  chart("chart-categories").setOption({ ...base("chart-categories"), legend: { bottom: 0, type: "scroll" },
    series: [{ type: "pie", radius: ["42%", "68%"], label: { formatter: "{b}\n{d}%" },
      data: categories.map((r) => ({ name: label("cat", r.category), value: r.count, figure: "complaints", key: r.category })) }] }, true);
  chartTable("chart-categories", [{ label: t("category") }, { label: t("complaints"), num: true }, { label: t("share"), num: true }],
    categories.map((r) => [drillButton(label("cat", r.category), "complaints", r.category, label("cat", r.category)), String(r.count), pct(r.share)]));
  const heat = [];
  c.volume.heatmap.forEach((row, day) => row.forEach((n, hour) => heat.push([hour, day, n])));
  const max = Math.max(1, ...heat.map((h) => h[2]));
  chart("chart-heatmap").setOption({ ...base("chart-heatmap"), grid: { left: 56, right: 16, top: 10, bottom: 100 }, // room under the hour labels for the legend and its handles' numbers
    xAxis: { type: "category", data: [...Array(24).keys()].map((h) => `${h}`), splitArea: { show: true } },
    yAxis: { type: "category", data: t("days"), splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: true, orient: "horizontal", left: "center", bottom: 0, inRange: { color: ["#eef5fb", "#2f6fb2"] } },
    series: [{ type: "heatmap", data: heat }] }, true);
  chartTable("chart-heatmap", [{ label: t("dayHour") }, ...[...Array(24).keys()].map((h) => ({ label: String(h), num: true }))],
    c.volume.heatmap.map((row, day) => [t("days")[day], ...row.map(String)]));
  const channels = Object.entries(c.volume.by_channel).sort((a, b) => b[1] - a[1]);
  emptyNote("chart-channels", channels.some(([, v]) => v > 0) ? "" : t("emptyChart"));
  chart("chart-channels").setOption({ ...base("chart-channels"), xAxis: { type: "category", data: channels.map((e) => label("ch", e[0])) }, yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: channels.map(([k, v]) => ({ value: v, figure: "channel", key: k })), itemStyle: { color: "#14b8a6" } }] }, true);
  chartTable("chart-channels", [{ label: t("channel") }, { label: t("conversations"), num: true }],
    channels.map(([k, v]) => [drillButton(label("ch", k), "channel", k, label("ch", k)), String(v)]));
  const decisions = Object.entries(c.bot.decisions);
  chart("chart-decisions").setOption({ ...base("chart-decisions"), xAxis: { type: "category", data: decisions.map((e) => label("dec", e[0])) }, yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: decisions.map(([k, v]) => ({ value: v, figure: "decision", key: k })), itemStyle: { color: "#3b82f6" } }] }, true);
  chartTable("chart-decisions", [{ label: t("decision") }, { label: t("count"), num: true }],
    decisions.map(([k, v]) => [drillButton(label("dec", k), "decision", k, label("dec", k)), String(v)]));
  const dist = c.satisfaction.distribution;
  chart("chart-ratings").setOption({ ...base("chart-ratings"), xAxis: { type: "category", data: ["1", "2", "3", "4", "5"] }, yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: ["1", "2", "3", "4", "5"].map((k) => ({ value: dist[k] || 0, figure: "rated", key: k })), itemStyle: { color: "#f59e0b" } }] }, true);
  chartTable("chart-ratings", [{ label: t("rating") }, { label: t("count"), num: true }],
    ["1", "2", "3", "4", "5"].map((k) => [drillButton(`${k}★`, "rated", k, k), String(dist[k] || 0)]));
  const reasons = Object.entries(c.bot.escalation_reasons).sort((a, b) => b[1] - a[1]);
  emptyNote("chart-reasons", reasons.some(([, v]) => v > 0) ? "" : t("emptyChart"));
  chart("chart-reasons").setOption({ ...base("chart-reasons"), grid: { left: 120, right: 16, top: 10, bottom: 24 }, yAxis: { type: "category", data: reasons.map((e) => label("rsn", e[0])) },
    xAxis: { type: "value", minInterval: 1 }, series: [{ type: "bar", data: reasons.map(([k, v]) => ({ value: v, figure: "reason", key: k })), itemStyle: { color: "#8b5cf6" } }] }, true);
  chartTable("chart-reasons", [{ label: t("reason") }, { label: t("count"), num: true }],
    reasons.map(([k, v]) => [drillButton(label("rsn", k), "reason", k, label("rsn", k)), String(v)]));
}
window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));

// ---------- tables ----------
function table(node, head, rows) {
  node.replaceChildren();
  const tr = el("tr");
  for (const h of head) { const th = el("th", h.num ? "num" : "", h.label); if (h.key) th.dataset.key = h.key; tr.append(th); }
  const thead = el("thead"); thead.append(tr);
  const tbody = el("tbody");
  if (!rows.length) { const r = el("tr"); const td = el("td", "muted", t("none")); td.colSpan = head.length; r.append(td); tbody.append(r); }
  for (const row of rows) {
    const r = el("tr");
    row.forEach((v, i) => { const td = el("td", head[i].num ? "num" : "", v instanceof Node ? undefined : v); if (v instanceof Node) td.append(v); r.append(td); });
    tbody.append(r);
  }
  node.append(thead, tbody);
  return thead;
}

function renderAgents(rows) {
  const cols = [
    { key: "name", label: t("agent") }, { key: "chats", label: t("chats"), num: true }, { key: "resolved", label: t("resolved"), num: true },
    { key: "frt_p50", label: t("frt"), num: true, fmt: dur }, { key: "handle_time", label: t("handle"), num: true, fmt: dur },
    { key: "fcr", label: t("fcrShort"), num: true, fmt: pct }, { key: "csat", label: t("csatShort"), num: true, fmt: pct },
    { key: "breaches", label: t("breachCount"), num: true },
  ];
  const { key, dir } = state.sort;
  const sorted = [...rows].sort((a, b) => ((a[key] ?? -1) > (b[key] ?? -1) ? dir : (a[key] ?? -1) < (b[key] ?? -1) ? -dir : 0));
  // An agent by the name the team knows them by (their sign-in name only when they have none); the drill-down takes the sign-in name.
  const cell = (r, c) => (c.key === "name" ? drillButton(agentName(r), "agent", r.agent, agentName(r)) : c.fmt ? c.fmt(r[c.key]) : String(r[c.key]));
  const thead = table($("agents"), cols, sorted.map((r) => cols.map((c) => cell(r, c))));
  // Each column head is a button (sorting by keyboard); the table says which column it is sorted by.
  for (const th of thead.querySelectorAll("th")) {
    const k = th.dataset.key;
    if (k === key) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    th.replaceChildren(button("sort", th.textContent, () => {
      state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : -1 };
      renderAgents(rows);
      $("agents").querySelector(`th[data-key="${k}"] button`).focus();  // the rebuilt table keeps the keyboard where it was
    }));
  }
}

function agentName(row) { return row.name || row.agent; }

function renderSla(sla) {
  table($("sla"), [{ label: t("policy") }, { label: t("met"), num: true }, { label: t("breached"), num: true }, { label: t("attainment"), num: true }],
    sla.policies.map((p) => [label("pol", p.policy), String(p.met), String(p.breached), pct(p.attainment)]));
  table($("breaches"), [{ label: t("ticket") }, { label: t("policy") }, { label: t("clock") }, { label: t("agent") }, { label: t("category") }],
    sla.breaches.slice(0, 50).map((b) => [b.ticket, label("pol", b.policy), label("clk", b.clock), b.agent_name || b.agent || "–", label("cat", b.category)]));
}

function renderComments(rows) {
  const ul = $("comments");
  ul.replaceChildren(...(rows.length ? rows.slice(0, 20).map((c) => el("li", "", `${c.rating}★ ${c.comment} (${c.agent_name || c.agent || "–"})`)) : [el("li", "muted", t("none"))]));
}

function fillFilterChoices(s) {
  const cat = $("f-category"), ag = $("f-agent");
  if (cat.options.length === 1) for (const c of CATEGORIES) cat.append(new Option(label("cat", c), c));
  for (const o of cat.options) if (o.value) o.textContent = label("cat", o.value);
  const known = new Set([...ag.options].map((o) => o.value));
  for (const row of s.current.agents) if (!known.has(row.agent)) ag.append(new Option(agentName(row), row.agent));
}

// ---------- drill-down ----------
// One page at a time (the API counts them all and returns PAGE rows from an offset); each id opens the transcript in
// the agent console (/console#conv=<id>, read-only for a conversation the supervisor does not own).
const PAGE = 100;
function transcriptLink(cid) {
  const a = el("a", "conv-link", cid.slice(0, 8));
  a.href = `/console#conv=${encodeURIComponent(cid)}`;
  a.title = t("openTranscript");
  a.setAttribute("aria-label", `${t("openTranscript")}: ${cid.slice(0, 8)}`);
  return a;
}

async function drill(figure, key, title, offset = 0) {
  state.drill = { figure, key, title, offset };
  const p = applied(); p.set("figure", figure); if (key) p.set("key", key);
  p.set("offset", String(offset)); p.set("limit", String(PAGE));
  try {
    const res = await api(`/api/analytics/conversations?${p}`);
    $("drill-title").textContent = t("listOf", { figure: title || figure, n: res.total });
    table($("drill"), [{ label: t("id") }, { label: t("started") }, { label: t("channel") }, { label: t("language") }, { label: t("reason") },
      { label: t("category") }, { label: t("agent") }, { label: t("ticket") }, { label: t("rating"), num: true }, { label: t("status") }],
      res.conversations.map((r) => [transcriptLink(r.conversation_id), fmtDateTime(r.started_at, i18n.locale), label("ch", r.channel), label("lang", r.language),
        r.reason ? label("rsn", r.reason) : "–", r.category ? label("cat", r.category) : "–", r.agent_name || r.agent || "–", r.ticket || "–", r.rating ? String(r.rating) : "–",
        label("st", r.status)]));
    $("drill").dataset.figure = figure; $("drill").dataset.key = key; $("drill").dataset.total = String(res.total);
    $("drill").dataset.offset = String(res.offset);
    $("drill-pager").hidden = res.total <= PAGE;
    $("drill-range").textContent = t("range", { first: res.total ? res.offset + 1 : 0, last: res.offset + res.conversations.length, n: res.total });
    $("drill-prev").disabled = res.offset === 0;
    $("drill-next").disabled = res.offset + res.conversations.length >= res.total;
    $("drill").scrollIntoView({ block: "nearest" });
  } catch (e) { showMsg($("error"), e.message); }
}
$("drill-prev").addEventListener("click", () => { const d = state.drill; if (d) drill(d.figure, d.key, d.title, Math.max(0, d.offset - PAGE)); });
$("drill-next").addEventListener("click", () => { const d = state.drill; if (d) drill(d.figure, d.key, d.title, d.offset + PAGE); });

// ---------- side panels ----------
async function loadGaps() {
  try {
    const gaps = await api(`/api/analytics/gaps?${applied()}`);
    $("gaps").replaceChildren(...(gaps.length ? gaps.map((g) => el("li", "", `${g.question} (${g.count} ${t("times")})`)) : [el("li", "muted", t("none"))]));
  } catch { $("gaps").replaceChildren(el("li", "muted", t("noData"))); }
}

async function loadReports() {
  try {
    const rows = await api("/api/analytics/reports");
    $("reports").replaceChildren(...(rows.length ? rows.slice(0, 20).map((r) => {
      const li = el("li"); const a = el("a", "", `${label("kind", r.kind)} ${r.from} – ${r.to} · ${label("lang", r.language)} · ${r.format}`); a.href = r.url; a.download = r.name; li.append(a); return li;
    }) : [el("li", "muted", t("none"))]));
  } catch { /* shown as empty */ }
}

// Online but offered no chats (signed in through the API, no console open): routing passes them over, so the page does too.
function shownPresence(a) { return a.presence === "online" && a.available === false ? "no_console" : a.presence; }

async function loadLive() {
  try {
    const live = await api("/api/analytics/live");
    const box = $("live");
    const figures = el("div", "live-figures");
    for (const [name, value] of [[t("withBot"), live.with_bot], [t("inQueue"), live.queue.length], [t("longestWait"), dur(live.queue.longest_wait_seconds)], [t("agentsOnline"), live.agents_online]]) {
      const f = el("div"); f.append(el("strong", "", String(value)), el("span", "muted", name)); figures.append(f);
    }
    const tbl = el("table", "data");
    table(tbl, [{ label: t("agent") }, { label: t("presence") }, { label: t("load"), num: true }], live.agents.map((a) => [a.name, label("pr", shownPresence(a)), `${a.chats} / ${a.capacity}`]));
    box.replaceChildren(figures, tbl);
  } catch { /* the next round tries again */ }
}

// ---------- open now: the open tickets by their SLA clocks ----------
// Asked for every OPEN_POLL_MS; between two answers each clock counts down in the page, and a clock that runs out
// turns the ticket breached and moves it up at once. Each ticket opens in the console (/console#conv=<id>).
const OPEN_POLL_MS = 5000;
const OPEN_STATUSES = ["new", "open", "pending_customer"];
const RANK = { breached: 0, running: 1, paused: 2, none: 3 };
const span = (seconds) => fmtSpan(seconds, i18n.lang);

// A row's clock as of now (the answer's clocks were read at its `now`): seconds left, and breached once they run out.
function clockNow(row) {
  const c = row.clock;
  if (c.state === "paused" || c.state === "none") return { ...c };
  const left = c.due_at - Date.now() / 1000;
  return { ...c, seconds_left: c.state === "breached" ? Math.min(0, left) : left, state: c.state === "breached" || left <= 0 ? "breached" : "running" };
}

function openOrder(rows) {
  return rows.map((r) => ({ r, c: clockNow(r) })).sort((a, b) => (RANK[a.c.state] - RANK[b.c.state]) || ((a.c.seconds_left ?? Infinity) - (b.c.seconds_left ?? Infinity))
    || (a.r.created_at - b.r.created_at));
}

function clockText(c) {
  const name = c.name ? `${label("clk", c.name)} · ` : "";
  if (c.state === "breached") return name + (c.seconds_left < 0 ? t("slaOverdue", { span: span(-c.seconds_left) }) : t("slaBreached"));
  if (c.state === "running") return name + t("slaLeft", { span: span(c.seconds_left) });
  if (c.state === "paused") return name + t("slaPaused", { span: span(c.seconds_left) });
  return "–";
}
const clockClass = (c) => `sla-clock ${c.state === "breached" ? "breached" : c.state === "paused" ? "paused" : c.warning ? "warning" : ""}`;

function openLink(row) {
  const a = el("a", "ticket-link", row.ref);
  a.href = `/console#conv=${encodeURIComponent(row.conversation_id)}`;
  a.setAttribute("aria-label", t("openTicket", { ref: row.ref }));
  a.dataset.ref = row.ref;
  return a;
}

function renderOpen() {
  const o = state.open;
  if (!o) return;
  const counts = $("open-counts");
  counts.replaceChildren();
  for (const [key, text] of [["breached", t("breachedNow")], ...OPEN_STATUSES.map((s) => [s, label("tst", s)]), ["waiting", t("waitingCount")]]) {
    const d = el("div", `count ${key}${key === "breached" && o.counts.breached ? " alert" : ""}`);
    d.dataset.count = key;
    d.append(el("dt", "", text), el("dd", "", String(o.counts[key])));
    counts.append(d);
  }
  table($("open-agents"), [{ label: t("agent") }, { label: t("tickets"), num: true }, { label: label("tst", "open"), num: true },
    { label: label("tst", "pending_customer"), num: true }, { label: t("breached"), num: true }],
  o.agents.map((a) => [a.name || a.agent, String(a.tickets), String(a.open), String(a.pending_customer), String(a.breached)]));
  $("open-empty").hidden = o.total > 0;
  $("open-more").hidden = o.total <= o.tickets.length;
  $("open-more").textContent = t("openMore", { n: o.tickets.length, total: o.total });
  $("open-tickets").closest(".table-wrap").hidden = o.total === 0;
  drawOpenRows();
}

// The rows, most urgent first; the keyboard stays on the ticket it was on when they are drawn again.
function drawOpenRows() {
  const o = state.open;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.ref : null;
  const cols = ["ticket", "slaClock", "status", "assignee", "customer", "language", "vip", "category"];
  const ordered = openOrder(o.tickets);
  state.openShown = ordered.map((x) => x.r.ref).join(" ");
  const thead = table($("open-tickets"), cols.map((c) => ({ label: t(c) })), ordered.map(({ r, c }) => {
    const clock = el("span", clockClass(c), clockText(c));
    return [openLink(r), clock, label("tst", r.status), r.assignee_name || r.assignee || t("waiting"), r.customer, label("lang", r.language),
      r.vip ? "VIP" : "–", label("cat", r.category)];
  }));
  const rows = $("open-tickets").querySelectorAll("tbody tr");
  ordered.forEach(({ r, c }, i) => {
    const tr = rows[i];
    tr.dataset.ticket = r.ref;
    tr.dataset.state = c.state;
    tr.className = `open-row ${c.state}`;
    tr.querySelectorAll("td").forEach((td, j) => td.setAttribute("data-label", t(cols[j])));
  });
  // Roles said outright: on a phone the rows are cards (display: block), which would otherwise lose the table's.
  const tbl = $("open-tickets");
  tbl.setAttribute("role", "table");
  for (const g of tbl.querySelectorAll("thead, tbody")) g.setAttribute("role", "rowgroup");
  for (const tr of tbl.querySelectorAll("tr")) tr.setAttribute("role", "row");
  for (const td of tbl.querySelectorAll("td")) td.setAttribute("role", "cell");
  thead.querySelectorAll("th").forEach((th) => { th.setAttribute("scope", "col"); th.setAttribute("role", "columnheader"); });
  if (focused) { const again = $("open-tickets").querySelector(`a[data-ref="${focused}"]`); if (again) again.focus(); }
}

function tickOpen() {
  const o = state.open;
  if (!o || !o.tickets.length) return;
  const ordered = openOrder(o.tickets);
  if (ordered.map((x) => x.r.ref).join(" ") !== state.openShown) { announceBreaches(); drawOpenRows(); return; }
  const rows = $("open-tickets").querySelectorAll("tbody tr");
  ordered.forEach(({ c }, i) => {
    const span_ = rows[i] && rows[i].querySelector(".sla-clock");
    if (span_) { span_.textContent = clockText(c); span_.className = clockClass(c); }
  });
}

// Screen readers hear a ticket that has just breached (not every second's countdown).
function announceBreaches() {
  const now = new Set(openOrder(state.open.tickets).filter((x) => x.c.state === "breached").map((x) => x.r.ref));
  const fresh = state.openBreached ? [...now].filter((ref) => !state.openBreached.has(ref)) : [];
  state.openBreached = now;
  if (fresh.length) $("open-announce").textContent = t("newBreach", { refs: fresh.join(", ") });
}

// What the panel shows of an answer, but the seconds (which the page counts itself): an answer that changes none of
// it leaves the panel as it is (a screen reader is not sent back to the top of a table that did not change).
const openShape = (o) => JSON.stringify([o.total, o.counts, o.agents, o.tickets.map((r) => [r.ref, r.status, r.assignee_name, r.customer, r.category,
  r.language, r.vip, r.clock.name, r.clock.state, r.clock.due_at, r.clock.state === "paused" ? Math.round(r.clock.seconds_left) : 0])]);

async function loadOpen() {
  let got;
  try {
    got = await api("/api/analytics/open");
  } catch { return; /* the next round tries again */ }
  state.open = got;
  announceBreaches();
  const shape = openShape(got);
  if (shape !== state.openShape) { state.openShape = shape; renderOpen(); }
}
$("open-tickets").addEventListener("click", (ev) => {
  // The whole row opens its ticket (its number is the link the keyboard reaches).
  const tr = ev.target.closest("tr[data-ticket]");
  if (!tr || ev.target.closest("a")) return;
  const a = tr.querySelector("a.ticket-link");
  if (a) location.assign(a.href);
});
setInterval(tickOpen, 1000);

// ---------- sign in, language ----------
function enter(agent) {
  if (!["supervisor", "admin"].includes(agent.role)) { showMsg($("login-error"), t("forbidden")); $("login-view").hidden = false; return; }
  state.me = agent;
  $("login-view").hidden = true; $("app-view").hidden = false;
  $("me-name").textContent = agent.display_name;
  load();
  clearInterval(state.liveTimer);
  state.liveTimer = setInterval(whenShown(loadLive), 15000);
  loadOpen();
  clearInterval(state.openTimer);
  state.openTimer = setInterval(whenShown(loadOpen), OPEN_POLL_MS);
}
// A tab in the background asks the hub nothing (a dashboard left open all day asked for the open tickets every 5 s
// and the live panel every 15 s, looked at or not); brought back, it asks for both at once.
function whenShown(poll) { return () => { if (!document.hidden) poll(); }; }
document.addEventListener("visibilitychange", () => { if (!document.hidden && state.me) { loadOpen(); loadLive(); } });
function signedOut() { clearInterval(state.openTimer); clearInterval(state.liveTimer); saveToken(null); state.me = null; state.open = null; state.openShape = null; $("app-view").hidden = true; $("login-view").hidden = false; }

function applyLang() {
  i18n.apply();
  document.title = t("title");
  for (const s of document.querySelectorAll(".ui-lang-select")) s.value = i18n.lang;
  render();
  if (state.summary) loadReports();  // its lines are in the interface language too
  if (state.me) loadLive();  // so is the live panel: not left in the other language until its next round
  renderOpen();
}
i18n.onChange(applyLang);
for (const s of document.querySelectorAll(".ui-lang-select")) s.addEventListener("change", () => i18n.set(s.value));
$("period").addEventListener("change", syncCustom);
$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
$("print").addEventListener("click", () => window.print());
$("logout").addEventListener("click", async () => { try { await api("/api/agent/logout", { method: "POST" }); } finally { signedOut(); } });
// Today in the browser's own time zone (toISOString would give the UTC date: yesterday, mornings in Shanghai).
const now = new Date();
const today = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
$("from").value = today; $("to").value = today; $("period").value = "7d";
syncCustom();
applyLang();
startSignIn({ api, loginPath: "/api/agent/login", mePath: "/api/agent/me", hasToken: () => !!state.token, saveToken, enter, wrongLogin: () => t("wrongLogin"), takeChats: false });
