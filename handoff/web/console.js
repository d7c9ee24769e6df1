// Agent console. Every piece of customer/agent/bot text is written with textContent.
const TOKEN_KEY = "cs_agent_token";
const BASE_TITLE = "Agent console";

const $ = (id) => document.getElementById(id);
const els = {
  loginView: $("login-view"), loginForm: $("login-form"), username: $("username"), password: $("password"),
  loginError: $("login-error"), app: $("app-view"), presence: $("presence"), presenceDot: $("presence-dot"),
  meName: $("me-name"), logout: $("logout"), conn: $("conn"),
  queue: $("queue"), queueCount: $("queue-count"), queueEmpty: $("queue-empty"),
  mine: $("mine"), mineCount: $("mine-count"), mineEmpty: $("mine-empty"),
  placeholder: $("placeholder"), conversation: $("conversation"), convTitle: $("conv-title"), convSub: $("conv-sub"),
  claim: $("claim"), transferBox: $("transfer-box"), transferTo: $("transfer-to"), transfer: $("transfer"),
  handback: $("handback"), resolve: $("resolve"), packet: $("packet"), transcript: $("transcript"),
  actionError: $("action-error"), replyForm: $("reply-form"), reply: $("reply"), back: $("back"),
  typing: $("typing"), typingText: $("typing-text"),
  suggest: $("suggest"), suggestToggle: $("suggest-toggle"), suggestBody: $("suggest-body"),
  suggestCount: $("suggest-count"), suggestStatus: $("suggest-status"), suggestList: $("suggest-list"),
};
const PHONE = window.matchMedia("(max-width: 800px)");
const TYPING_THROTTLE_MS = 2000; // resend "active" at most this often while the agent types
const TYPING_IDLE_MS = 3000;     // send "inactive" this long after the last keystroke
const TYPING_SHOW_MS = 5000;     // hide the customer's notice if nothing new arrives for this long

const REASONS = {
  customer_request: "Asked for a person", low_confidence: "Bot wasn't sure", complaint: "Complaint",
  negative_feedback: "Unhelpful answer", vip: "VIP customer", bot_unavailable: "Bot unavailable",
};
const CATEGORIES = {
  product_quality: "Product quality", service_attitude: "Service attitude", logistics: "Logistics",
  after_sales: "After-sales", billing: "Billing", other: "Other",
};
const LANGS = { en: "English", zh: "中文" };
const STATUS = { bot: "With bot", queued: "Waiting", assigned: "Assigned", resolved: "Resolved" };

const state = {
  token: sessionStorage.getItem(TOKEN_KEY), me: null, queue: [], queueFetchedAt: 0, mine: [], agents: [],
  currentId: null, current: null, seen: new Set(), unread: new Map(), ws: null, retry: 0, ping: null,
  lastCustomerId: null, // newest customer message in the open chat
  suggest: { forId: null, seq: 0, timer: null, open: null }, // open: null = default (expanded on desktop, collapsed on phone)
  typingIn: { timer: null },                                 // the customer's notice shown in the open chat
  typingOut: { cid: null, active: false, at: 0, stopTimer: null }, // the agent's own notices
};

// ---------- helpers ----------
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fmtWait(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60), s = seconds % 60;
  if (m < 60) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function fmtTime(ts) {
  return ts ? new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

function customerLabel(conv) {
  return conv.customer_name || `Customer ${conv.id.slice(0, 6)}`;
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const resp = await fetch(`/api/agent${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
  if (resp.status === 401 && path !== "/login") { signedOut(); throw new Error("Please sign in again."); }
  if (!resp.ok) {
    let detail = `Request failed (${resp.status})`;
    try { const j = await resp.json(); if (typeof j.detail === "string") detail = j.detail; } catch { /* keep default */ }
    throw new Error(detail);
  }
  return resp.status === 204 ? null : resp.json();
}

function showError(message) {
  els.actionError.textContent = message || "";
  els.actionError.hidden = !message;
}

// ---------- login ----------
els.loginForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.loginError.hidden = true;
  try {
    const res = await api("/login", { method: "POST", body: { username: els.username.value.trim(), password: els.password.value } });
    state.token = res.token;
    sessionStorage.setItem(TOKEN_KEY, res.token);
    els.password.value = "";
    enter(res.agent);
  } catch (e) {
    els.loginError.textContent = e.message === "wrong username or password" ? "Wrong username or password." : e.message;
    els.loginError.hidden = false;
  }
});

els.logout.addEventListener("click", async () => {
  try { await api("/logout", { method: "POST" }); } catch { /* already gone */ }
  signedOut();
});

function signedOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null; state.me = null;
  if (state.ws) { const ws = state.ws; state.ws = null; ws.close(); }
  clearInterval(state.ping);
  els.app.hidden = true;
  els.loginView.hidden = false;
  document.title = BASE_TITLE;
  els.username.focus();
}

async function boot() {
  if (state.token) {
    try { enter(await api("/me")); return; } catch { /* fall through to login */ }
  }
  els.loginView.hidden = false;
  els.username.focus();
}

function enter(agent) {
  state.me = agent;
  els.loginView.hidden = true;
  els.app.hidden = false;
  els.meName.textContent = agent.display_name || agent.username;
  setPresence(agent.presence || "online");
  connect();
  refreshLists();
  loadAgents();
}

function setPresence(p) {
  els.presence.value = p;
  els.presenceDot.className = `dot ${p}`;
}
els.presence.addEventListener("change", async () => {
  try { const me = await api("/presence", { method: "POST", body: { presence: els.presence.value } }); setPresence(me.presence); }
  catch (e) { showError(e.message); }
});

// ---------- live updates ----------
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/agent/ws?token=${encodeURIComponent(state.token)}`);
  state.ws = ws;
  ws.onopen = () => {
    state.retry = 0; els.conn.textContent = "";
    refreshLists();
    if (state.currentId) refreshCurrent();
    clearInterval(state.ping);
    state.ping = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send("ping"); }, 20000);
  };
  ws.onmessage = (ev) => {
    let data; try { data = JSON.parse(ev.data); } catch { return; }
    onEvent(data);
  };
  ws.onclose = (ev) => {
    if (state.ws !== ws) return;
    state.ws = null;
    if (ev.code === 4401) { signedOut(); return; }
    els.conn.textContent = "Reconnecting…";
    setTimeout(() => { if (state.token) connect(); }, Math.min(15000, 500 * 2 ** state.retry++));
  };
}

function onEvent(data) {
  if (data.type === "conversation_changed") {
    refreshLists();
    if (data.conversation_id === state.currentId) refreshCurrent();
  } else if (data.type === "customer_message") {
    if (data.conversation_id === state.currentId) refreshCurrent();
    else if (!data.agent) refreshQueue();
  } else if (data.type === "message" && data.message) {
    const m = data.message;
    if (m.conversation_id === state.currentId) addMessage(m);
    else if (m.sender === "customer") {
      state.unread.set(m.conversation_id, (state.unread.get(m.conversation_id) || 0) + 1);
      renderMine();
    }
  } else if (data.type === "typing" && data.sender === "customer") {
    if (data.conversation_id === state.currentId) showCustomerTyping(Boolean(data.active));
  } else if (data.type === "resync") {  // the hub may have missed updates (its data store restarted): reload
    refreshLists();
    refreshCurrent();
  } else if (data.type === "presence" && state.me && data.agent === state.me.username) {
    setPresence(data.presence);
  }
}

// ---------- lists ----------
let listsTimer = null;
function refreshLists() {
  clearTimeout(listsTimer);
  listsTimer = setTimeout(() => { refreshQueue(); refreshMine(); }, 50); // coalesce bursts of events
}

async function refreshQueue() {
  try {
    state.queue = await api("/queue");
    state.queueFetchedAt = Date.now();
    renderQueue();
  } catch { /* shown via connection state */ }
}

async function refreshMine() {
  try { state.mine = await api("/conversations"); renderMine(); } catch { /* ignore */ }
}

async function loadAgents() {
  try { state.agents = await api("/agents"); renderTransferOptions(); } catch { /* ignore */ }
}

function renderQueue() {
  const n = state.queue.length;
  els.queueCount.textContent = String(n);
  if (n) delete els.queueCount.dataset.zero; else els.queueCount.dataset.zero = "1";
  els.queueEmpty.hidden = n > 0;
  document.title = n ? `(${n}) waiting · ${BASE_TITLE}` : BASE_TITLE;
  els.queue.replaceChildren(...state.queue.map(renderQueueItem));
}

function renderQueueItem(item) {
  const conv = item.conversation, packet = item.packet || {};
  const li = el("li", "queue-row");
  li.dataset.cid = conv.id;
  const open = el("button", `item${conv.id === state.currentId ? " active" : ""}`);
  open.type = "button";
  open.setAttribute("aria-label", `Preview chat with ${customerLabel(conv)}`);
  const top = el("div", "item-top");
  top.append(el("span", "item-name", `#${item.position} ${customerLabel(conv)}`));
  const wait = el("span", "item-wait", fmtWait(item.waiting_seconds));
  wait.dataset.waiting = String(item.waiting_seconds);
  top.append(wait);
  open.append(top);
  open.append(el("div", "item-text", packet.last_customer_message || packet.summary || ""));
  const tags = el("div", "tags");
  if (conv.priority > 0) tags.append(el("span", "tag prio", `Priority ${conv.priority}`));
  if ((packet.customer_tier || conv.customer_tier) === "vip") tags.append(el("span", "tag vip", "VIP"));
  if (packet.reason) tags.append(el("span", "tag reason", REASONS[packet.reason] || packet.reason));
  tags.append(el("span", "tag", CATEGORIES[packet.category] || packet.category || "Other"));
  tags.append(el("span", "tag", LANGS[packet.language || conv.language] || packet.language || conv.language));
  open.append(tags);
  open.addEventListener("click", () => openConversation(conv.id));
  const claim = el("button", "primary claim", "Claim");
  claim.type = "button";
  claim.setAttribute("aria-label", `Claim chat with ${customerLabel(conv)}`);
  claim.addEventListener("click", () => claimConversation(conv.id));
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

function renderMine() {
  const n = state.mine.length;
  els.mineCount.textContent = String(n);
  els.mineEmpty.hidden = n > 0;
  els.mine.replaceChildren(...state.mine.map((conv) => {
    const li = el("li");
    li.dataset.cid = conv.id;
    const b = el("button", `item${conv.id === state.currentId ? " active" : ""}`);
    b.type = "button";
    const top = el("div", "item-top");
    top.append(el("span", "item-name", customerLabel(conv)));
    const unread = state.unread.get(conv.id) || 0;
    if (unread) {
      const u = el("span", "unread", unread);
      u.setAttribute("aria-label", `${unread} unread`);
      top.append(u);
    } else top.append(el("span", "item-wait", `since ${fmtTime(conv.assigned_at)}`));
    b.append(top);
    const tags = el("div", "tags");
    tags.append(el("span", "tag", LANGS[conv.language] || conv.language));
    if (conv.customer_tier === "vip") tags.append(el("span", "tag vip", "VIP"));
    b.append(tags);
    b.addEventListener("click", () => openConversation(conv.id));
    li.append(b);
    return li;
  }));
}

function renderTransferOptions() {
  const others = state.agents.filter((a) => !state.me || a.username !== state.me.username);
  els.transferTo.replaceChildren(...others.map((a) => {
    const o = el("option", null, `${a.display_name || a.username} (${a.presence})`);
    o.value = a.username;
    return o;
  }));
  els.transfer.disabled = others.length === 0;
}

// ---------- conversation ----------
async function openConversation(cid) {
  if (state.currentId !== cid) stopTyping();
  state.currentId = cid;
  state.current = null;
  state.seen = new Set();
  state.lastCustomerId = null;
  showCustomerTyping(false);
  resetSuggestions();
  state.unread.delete(cid);
  els.transcript.replaceChildren();
  els.packet.replaceChildren();
  showError("");
  els.placeholder.hidden = true;
  els.conversation.hidden = false;
  els.app.classList.add("viewing");
  renderQueue(); renderMine();
  await refreshCurrent();
}

async function refreshCurrent() {
  const cid = state.currentId;
  if (!cid) return;
  try {
    const detail = await api(`/conversations/${encodeURIComponent(cid)}`);
    if (state.currentId !== cid) return;
    showDetail(detail);
  } catch (e) { showError(e.message); }
}

function showDetail(detail) {
  state.current = detail.conversation;
  const conv = detail.conversation;
  els.convTitle.textContent = customerLabel(conv);
  const bits = [STATUS[conv.status] || conv.status, LANGS[conv.language] || conv.language, conv.channel];
  if (conv.customer_tier === "vip") bits.push("VIP");
  if (conv.agent && state.me && conv.agent !== state.me.username) bits.push(`with ${conv.agent}`);
  els.convSub.textContent = bits.join(" · ");
  renderPacket(detail.packet);
  const firstLoad = state.seen.size === 0;
  for (const m of detail.messages) addMessage(m);
  const mine = conv.status === "assigned" && state.me && conv.agent === state.me.username;
  els.claim.hidden = conv.status !== "queued";
  els.resolve.hidden = els.handback.hidden = els.transferBox.hidden = !mine;
  els.replyForm.hidden = !mine;
  if (!mine) { stopTyping(); showCustomerTyping(false); }
  const wasHidden = els.suggest.hidden;
  els.suggest.hidden = !mine;
  if (mine && wasHidden) applySuggestOpen();
  if (mine) scheduleSuggestions();
  // after every layout change above (packet, panel), so the newest line is in view
  if (firstLoad) { stickBottom = true; els.transcript.scrollTop = els.transcript.scrollHeight; }
}

function renderPacket(packet) {
  if (!packet) { els.packet.replaceChildren(); return; }
  const grid = el("dl", "packet-grid");
  const add = (k, v) => { if (!v) return; const d = el("div"); d.append(el("dt", null, k), el("dd", null, v)); grid.append(d); };
  add("Reason", REASONS[packet.reason] || packet.reason);
  add("Category", CATEGORIES[packet.category] || packet.category);
  add("Language", LANGS[packet.language] || packet.language);
  add("Tier", packet.customer_tier);
  const parts = [grid];
  if (packet.summary) parts.push(el("p", "summary", packet.summary));
  if (packet.tried && packet.tried.length) {
    parts.push(el("h3", null, "What the bot tried"));
    const ul = el("ul", "tried");
    for (const t of packet.tried) {
      const li = el("li");
      li.append(el("span", null, t.question || t.id));
      const score = Number(t.score);
      li.append(el("span", `score${score < 0.5 ? " low" : ""}`, Number.isFinite(score) ? score.toFixed(2) : ""));
      ul.append(li);
    }
    parts.push(ul);
  } else parts.push(el("p", "muted", "The bot found no matching answers."));
  els.packet.replaceChildren(...parts);
}

function addMessage(m) {
  if (!m || !m.id || state.seen.has(m.id)) return;
  state.seen.add(m.id);
  const row = el("div", `msg ${m.sender}`);
  row.dataset.id = m.id;
  if (m.sender !== "system") {
    const who = el("div", "who");
    if (m.sender === "bot") who.append(el("span", "badge botb", "Bot"));
    else if (m.sender === "agent") who.append(el("span", "badge", "Agent"), el("span", null, m.author || ""));
    else who.append(el("span", null, state.current ? customerLabel(state.current) : "Customer"));
    who.append(el("span", null, fmtTime(m.ts)));
    row.append(who);
  }
  // bot and agent text is markdown for the customer; show it as plain text without the ** markers (still textContent only)
  row.append(el("div", "text", m.sender === "bot" || m.sender === "agent" ? plain(m.text) : m.text));
  const atBottom = els.transcript.scrollHeight - els.transcript.scrollTop - els.transcript.clientHeight < 80;
  els.transcript.append(row);
  if (atBottom || m.sender === "agent") els.transcript.scrollTop = els.transcript.scrollHeight;
  if (m.sender === "customer") {
    if (!state.lastCustomerId || idAfter(m.id, state.lastCustomerId)) state.lastCustomerId = m.id;
    showCustomerTyping(false);
    scheduleSuggestions();
  }
}

// Stay pinned to the newest line while the transcript is resized (panels appearing, phone rotation).
let stickBottom = true;
els.transcript.addEventListener("scroll", () => {
  stickBottom = els.transcript.scrollHeight - els.transcript.scrollTop - els.transcript.clientHeight < 80;
});
new ResizeObserver(() => { if (stickBottom) els.transcript.scrollTop = els.transcript.scrollHeight; }).observe(els.transcript);

function plain(text) { return String(text || "").replace(/\*\*/g, ""); }

function idAfter(a, b) { // stream ids "ms-seq": true if a is later than b
  const [a1, a2] = String(a).split("-").map(Number), [b1, b2] = String(b).split("-").map(Number);
  return a1 > b1 || (a1 === b1 && (a2 || 0) > (b2 || 0));
}

function ownsCurrent() {
  const conv = state.current;
  return Boolean(conv && conv.id === state.currentId && conv.status === "assigned" && state.me && conv.agent === state.me.username);
}

// ---------- typing notices (ephemeral) ----------
function showCustomerTyping(active) {
  clearTimeout(state.typingIn.timer);
  if (active && state.currentId) {
    els.typingText.textContent = `${state.current ? customerLabel(state.current) : "The customer"} is typing…`;
    els.typing.hidden = false;
    state.typingIn.timer = setTimeout(() => showCustomerTyping(false), TYPING_SHOW_MS);
  } else {
    els.typing.hidden = true;
  }
}

function sendTyping(cid, active) {
  const ws = state.ws;
  if (!cid || !ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: "typing", conversation_id: cid, active }));
  Object.assign(state.typingOut, { cid: active ? cid : null, active, at: active ? Date.now() : 0 });
}

function agentTyping() {
  const out = state.typingOut;
  clearTimeout(out.stopTimer);
  if (!els.reply.value.trim() || !ownsCurrent()) { stopTyping(); return; }
  if (out.cid && out.cid !== state.currentId) stopTyping();
  if (!out.active || Date.now() - out.at >= TYPING_THROTTLE_MS) sendTyping(state.currentId, true);
  out.stopTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  const out = state.typingOut;
  clearTimeout(out.stopTimer);
  if (out.active) sendTyping(out.cid, false);
}

// ---------- suggested answers from the knowledge base ----------
function resetSuggestions() {
  clearTimeout(state.suggest.timer);
  state.suggest.forId = null;
  state.suggest.seq++;
  els.suggest.hidden = true;
  els.suggestList.replaceChildren();
  els.suggestCount.textContent = "0";
  els.suggestStatus.textContent = "";
}

function scheduleSuggestions() {
  clearTimeout(state.suggest.timer);
  state.suggest.timer = setTimeout(refreshSuggestions, 150); // coalesce the initial transcript load
}

async function refreshSuggestions() {
  const cid = state.currentId;
  if (!cid || !ownsCurrent()) return;
  const forId = state.lastCustomerId;
  if (!forId) { renderSuggestions([]); return; }
  if (forId === state.suggest.forId) return;
  const seq = ++state.suggest.seq;
  els.suggest.setAttribute("aria-busy", "true");
  if (!els.suggestList.children.length) els.suggestStatus.textContent = "Looking for answers…";
  try {
    const items = await api(`/conversations/${encodeURIComponent(cid)}/suggestions`);
    if (seq !== state.suggest.seq || cid !== state.currentId) return;
    state.suggest.forId = forId;
    renderSuggestions(items || []);
  } catch {
    if (seq !== state.suggest.seq) return;
    els.suggestList.replaceChildren();
    els.suggestCount.textContent = "0";
    els.suggestStatus.textContent = "Couldn't load suggestions.";
  } finally {
    if (seq === state.suggest.seq) els.suggest.removeAttribute("aria-busy");
  }
}

function renderSuggestions(items) {
  els.suggestCount.textContent = String(items.length);
  els.suggestStatus.textContent = items.length ? "" : "No knowledge-base answers match the latest question.";
  els.suggestList.replaceChildren(...items.map((s) => {
    const li = el("li", "suggestion");
    li.dataset.kb = s.id;
    const top = el("div", "sg-top");
    top.append(el("span", "sg-q", s.question));
    const score = Number(s.score);
    const badge = el("span", `score${score < 0.5 ? " low" : ""}`, Number.isFinite(score) ? score.toFixed(2) : "");
    badge.title = "Match score";
    top.append(badge);
    const answer = el("p", "sg-answer", plain(s.answer));
    const insert = el("button", "ghost insert", "Insert");
    insert.type = "button";
    insert.setAttribute("aria-label", `Insert answer: ${s.question}`);
    insert.addEventListener("click", () => insertAnswer(s.answer));
    li.append(top, answer, insert);
    return li;
  }));
}

function insertAnswer(text) {
  if (els.replyForm.hidden) return;
  const current = els.reply.value.trimEnd();
  els.reply.value = current ? `${current}\n\n${text}` : text;
  els.reply.focus();
  els.reply.setSelectionRange(els.reply.value.length, els.reply.value.length);
  els.reply.scrollTop = els.reply.scrollHeight;
  agentTyping();
}

function applySuggestOpen() {
  const open = state.suggest.open ?? !PHONE.matches;
  els.suggestToggle.setAttribute("aria-expanded", String(open));
  els.suggestBody.hidden = !open;
  els.suggest.classList.toggle("collapsed", !open);
}
els.suggestToggle.addEventListener("click", () => {
  state.suggest.open = els.suggestToggle.getAttribute("aria-expanded") !== "true";
  applySuggestOpen();
});
PHONE.addEventListener("change", () => { if (state.suggest.open === null) applySuggestOpen(); });

async function act(fn) {
  showError("");
  try { await fn(); } catch (e) { showError(e.message); }
}

async function claimConversation(cid) {
  await act(async () => {
    const detail = await api(`/conversations/${encodeURIComponent(cid)}/claim`, { method: "POST" });
    if (state.currentId !== cid) await openConversation(cid);
    showDetail(detail);
    refreshLists();
    els.reply.focus();
  });
  if (els.actionError.textContent && state.currentId !== cid) await openConversation(cid);
}

els.claim.addEventListener("click", () => state.currentId && claimConversation(state.currentId));
els.resolve.addEventListener("click", () => act(async () => {
  showDetail(await api(`/conversations/${encodeURIComponent(state.currentId)}/resolve`, { method: "POST" }));
  refreshLists();
}));
els.handback.addEventListener("click", () => act(async () => {
  showDetail(await api(`/conversations/${encodeURIComponent(state.currentId)}/handback`, { method: "POST" }));
  refreshLists();
}));
els.transfer.addEventListener("click", () => act(async () => {
  if (!els.transferTo.value) return;
  showDetail(await api(`/conversations/${encodeURIComponent(state.currentId)}/transfer`, { method: "POST", body: { to: els.transferTo.value } }));
  refreshLists();
  loadAgents();
}));
els.transferTo.addEventListener("focus", loadAgents);
els.back.addEventListener("click", () => {
  stopTyping();
  showCustomerTyping(false);
  resetSuggestions();
  state.currentId = null;
  els.conversation.hidden = true;
  els.placeholder.hidden = false;
  els.app.classList.remove("viewing");
  renderQueue(); renderMine();
});

els.replyForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = els.reply.value.trim();
  if (!text || !state.currentId) return;
  stopTyping();
  act(async () => {
    const m = await api(`/conversations/${encodeURIComponent(state.currentId)}/messages`, { method: "POST", body: { text } });
    els.reply.value = "";
    addMessage(m);
  });
});
els.reply.addEventListener("input", agentTyping);
els.reply.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); els.replyForm.requestSubmit(); }
});

boot();
