// The sidebar: who is waiting (with what they need), my chats, and my recent chats with search; the transfer list.
import { $, el } from "/static/common/dom.js";
import { fmtDateTime, fmtSpan, fmtTime } from "/static/common/i18n.js";
import { api, customerLabel, shortId, state } from "./state.js";
import { i18n, LANGS, named, t } from "./texts.js";

export const hooks = { open: null, claim: null }; // set by console.js
const els = {
  queue: $("queue"), queueCount: $("queue-count"), queueEmpty: $("queue-empty"), queueNews: $("queue-news"),
  mine: $("mine"), mineCount: $("mine-count"), mineEmpty: $("mine-empty"),
  recent: $("recent"), recentEmpty: $("recent-empty"), recentForm: $("recent-form"), recentQ: $("recent-q"), recentDay: $("recent-day"),
  transferTo: $("transfer-to"), transfer: $("transfer"), transferNote: $("transfer-note"),
};

const fmtWait = (seconds) => fmtSpan(seconds, i18n.lang, { padSeconds: true });

function nameLine(conv, extra) {
  const top = el("div", "item-top");
  const name = el("span", "item-name");
  name.append(el("span", "item-customer", customerLabel(conv)), el("span", "item-id", shortId(conv)));
  top.append(name);
  if (extra) top.append(extra);
  return top;
}

let listsTimer = null;
export function refreshLists() {
  clearTimeout(listsTimer);
  listsTimer = setTimeout(() => { refreshQueue(); refreshMine(); refreshRecent(); }, 50); // coalesce bursts of events
}

// Refreshes overlap (live events, typing in the search, a day picked) and their answers can arrive out of
// order: a list only shows the answer to its newest request, never an older one that came back later.
function newestOnly(load, show) {
  let newest = 0;
  return async () => {
    const request = ++newest;
    let rows;
    try { rows = await load(); } catch { return; } // shown via connection state
    if (request === newest) show(rows);
  };
}

export const refreshQueue = newestOnly(() => api("/queue"), (rows) => {
  state.queue = rows; state.queueFetchedAt = Date.now(); renderQueue(); announceArrivals();
});

export const refreshMine = newestOnly(() => api("/conversations"), (rows) => { state.mine = rows; renderMine(); });

function recentQuery() {
  const q = new URLSearchParams();
  if (els.recentQ.value.trim()) q.set("q", els.recentQ.value.trim());
  if (els.recentDay.value) {
    const start = new Date(`${els.recentDay.value}T00:00:00`);
    const end = new Date(start); end.setDate(end.getDate() + 1);
    q.set("since", String(start.getTime() / 1000));
    q.set("until", String(end.getTime() / 1000));
  }
  return q;
}

export const refreshRecent = newestOnly(() => api(`/history?${recentQuery()}`), (rows) => { state.recent = rows; renderRecent(); });

export async function loadAgents() {
  try { state.agents = await api("/agents"); renderTransferOptions(); } catch { /* ignore */ }
}

// Someone went online, away or offline: the transfer list says so at once.
export function presenceChanged(username, presence) {
  const agent = state.agents.find((a) => a.username === username);
  if (agent) { agent.presence = presence; renderTransferOptions(); } else loadAgents();
}

// A list is drawn again only when what it shows changed (a refresh every 30 s that found the same chats redraws
// nothing), and the keyboard stays where it was: on the same conversation's same button, or, when that row left,
// on the row that took its place (else the list's heading), never thrown back to the top of the page.
const drawn = new Map(); // list -> what it shows

function redraw(list, shows, build) {
  const key = JSON.stringify([i18n.lang, state.currentId, shows]);
  if (drawn.get(list) === key) return false;
  drawn.set(list, key);
  const active = document.activeElement;
  const row = list.contains(active) ? active.closest("li") : null;
  const had = row && { cid: row.dataset.cid, claim: active.classList.contains("claim"), index: [...list.children].indexOf(row) };
  list.replaceChildren(...build());
  if (!had || list.contains(document.activeElement)) return true;
  const rows = [...list.children];
  const next = rows.find((li) => li.dataset.cid === had.cid) || rows[Math.min(had.index, rows.length - 1)];
  const target = next && ((had.claim && next.querySelector("button.claim")) || next.querySelector("button"));
  (target || list.closest("section").querySelector("h2")).focus();
  return true;
}

// Screen readers hear who joined the queue (one polite line), not the whole list again.
let queued = null; // the waiting conversations' ids at the last refresh (null: none since signing in)

function announceArrivals() {
  const ids = new Set(state.queue.map((item) => item.conversation.id));
  const fresh = queued ? state.queue.filter((item) => !queued.has(item.conversation.id)) : [];
  queued = ids;
  if (fresh.length === 1) {
    const item = fresh[0], conv = item.conversation;
    els.queueNews.textContent = t("newWaiting", `${customerLabel(conv)} ${shortId(conv)}`, item.need || "", ids.size);
  } else if (fresh.length > 1) els.queueNews.textContent = t("newWaitingMany", fresh.length, ids.size);
}

export function forgetQueue() { queued = null; drawn.clear(); }

export function renderQueue() {
  const n = state.queue.length;
  els.queueCount.textContent = String(n);
  if (n) delete els.queueCount.dataset.zero; else els.queueCount.dataset.zero = "1";
  els.queueEmpty.hidden = n > 0;
  document.title = n ? t("waitingTitle", n) : t("title");
  if (!redraw(els.queue, state.queue.map(queueRowShows), () => state.queue.map(renderQueueItem))) {
    for (const item of state.queue) {
      const wait = els.queue.querySelector(`li[data-cid="${CSS.escape(item.conversation.id)}"] .item-wait`);
      if (wait) wait.dataset.waiting = String(item.waiting_seconds);
    }
    tickWaits();
  }
}

// What a queue row shows (how long they have waited is counted here every second, not redrawn).
function queueRowShows(item) {
  const conv = item.conversation, packet = item.packet || {};
  return [conv.id, conv.customer_name, conv.priority, conv.customer_tier, conv.language, item.need,
    packet.summary, packet.customer_tier, packet.reason, packet.category, packet.language];
}

function renderQueueItem(item) {
  const conv = item.conversation, packet = item.packet || {};
  const li = el("li", "queue-row");
  li.dataset.cid = conv.id;
  const open = el("button", `item${conv.id === state.currentId ? " active" : ""}`);
  open.type = "button";
  const wait = el("span", "item-wait", fmtWait(item.waiting_seconds));
  wait.dataset.waiting = String(item.waiting_seconds);
  open.append(nameLine(conv, wait));
  const need = el("div", "item-text", item.need || packet.summary || "");
  need.title = item.need || "";
  open.append(need);
  const tags = el("div", "tags");
  if (conv.priority > 0) tags.append(el("span", "tag prio", t("priority", conv.priority)));
  if ((packet.customer_tier || conv.customer_tier) === "vip") tags.append(el("span", "tag vip", t("vip")));
  if (packet.reason) tags.append(el("span", "tag reason", named("reasons", packet.reason)));
  tags.append(el("span", "tag", named("categories", packet.category || "other")));
  tags.append(el("span", "tag", LANGS[packet.language || conv.language] || conv.language));
  open.append(tags);
  open.addEventListener("click", () => hooks.open(conv.id));
  const claim = el("button", "primary claim", t("claim"));
  claim.type = "button";
  claim.setAttribute("aria-label", t("claimChat", `${customerLabel(conv)} ${shortId(conv)}`));
  claim.addEventListener("click", () => hooks.claim(conv.id));
  li.append(open, claim);
  return li;
}

function tickWaits() {
  const extra = (Date.now() - state.queueFetchedAt) / 1000;
  for (const w of els.queue.querySelectorAll(".item-wait")) {
    const secs = Number(w.dataset.waiting) + extra;
    w.textContent = fmtWait(secs);
    w.classList.toggle("long", secs > 300);
  }
}
setInterval(tickWaits, 1000);
setInterval(() => { if (state.me) refreshQueue(); }, 30000);

export function renderMine() {
  const n = state.mine.length;
  els.mineCount.textContent = String(n);
  els.mineEmpty.hidden = n > 0;
  redraw(els.mine, state.mine.map((conv) => [conv, state.unread.get(conv.id) || 0]), () => state.mine.map((conv) => {
    const li = el("li");
    li.dataset.cid = conv.id;
    const b = el("button", `item${conv.id === state.currentId ? " active" : ""}`);
    b.type = "button";
    const unread = state.unread.get(conv.id) || 0;
    let extra;
    if (unread) {
      extra = el("span", "unread", unread);
      extra.setAttribute("aria-label", t("unread", unread));
    } else extra = el("span", "item-wait", t("since", fmtTime(conv.assigned_at, i18n.locale)));
    b.append(nameLine(conv, extra));
    const tags = el("div", "tags");
    tags.append(el("span", "tag", LANGS[conv.language] || conv.language));
    if (conv.customer_tier === "vip") tags.append(el("span", "tag vip", t("vip")));
    b.append(tags);
    b.addEventListener("click", () => hooks.open(conv.id));
    li.append(b);
    return li;
  }));
}

export function renderRecent() {
  const searching = Boolean(els.recentQ.value.trim() || els.recentDay.value);
  const mine = new Set(state.mine.map((c) => c.id));
  const past = state.recent.filter((p) => !mine.has(p.conversation.id));
  els.recentEmpty.textContent = searching ? t("recentNone") : t("recentEmpty");
  els.recentEmpty.hidden = past.length > 0;
  redraw(els.recent, past, () => past.map((p) => {
    const conv = p.conversation;
    const li = el("li");
    li.dataset.cid = conv.id;
    const b = el("button", `item${conv.id === state.currentId ? " active" : ""}`);
    b.type = "button";
    b.append(nameLine(conv, el("span", "item-wait", fmtDateTime(p.last_active_at, i18n.locale))));
    b.append(el("div", "item-text", p.match || p.need || ""));
    const tags = el("div", "tags");
    tags.append(el("span", `tag status-${conv.status}`, named("statuses", conv.status)));
    if (conv.rating) tags.append(el("span", "tag", t("rated", conv.rating)));
    b.append(tags);
    b.addEventListener("click", () => hooks.open(conv.id));
    li.append(b);
    return li;
  }));
}

let searchTimer = null;
els.recentQ.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(refreshRecent, 250); });
els.recentDay.addEventListener("change", refreshRecent);
els.recentForm.addEventListener("submit", (ev) => { ev.preventDefault(); refreshRecent(); });

// Online colleagues first, then those away; the offline ones are listed, disabled and last: the hub refuses a
// transfer to them (nothing would ever route the chat on), so the menu never picks one. Nor does it pick anyone by
// itself: with the first colleague chosen in advance, one click on Transfer (taken for "open the transfer choices")
// gave the chat to whoever was first in the list. Transfer waits for the agent to choose.
const PRESENCE_ORDER = { online: 0, away: 1, offline: 2 };

export function renderTransferOptions() {
  const others = state.agents.filter((a) => !state.me || a.username !== state.me.username)
    .sort((a, b) => (PRESENCE_ORDER[a.presence] ?? 2) - (PRESENCE_ORDER[b.presence] ?? 2));
  const chosen = els.transferTo.value;
  const options = others.map((a) => {
    const o = el("option", null, `${a.display_name || a.username} (${t(a.presence)})`);
    o.value = a.username;
    o.disabled = a.presence === "offline";
    return o;
  });
  const choose = el("option", null, t("transferChoose"));
  choose.value = "";
  choose.disabled = true;
  els.transferTo.replaceChildren(choose, ...options);
  els.transferTo.value = options.some((o) => !o.disabled && o.value === chosen) ? chosen : "";
  els.transfer.disabled = !els.transferTo.value;
}

// A new chat opened: no colleague chosen for it yet.
export function resetTransferChoice() {
  els.transferTo.value = "";
  els.transferNote.value = "";
  els.transfer.disabled = true;
}
els.transferTo.addEventListener("change", () => { els.transfer.disabled = !els.transferTo.value; });

export function renderLists() { renderQueue(); renderMine(); renderRecent(); renderTransferOptions(); }
