// Customer chat: REST to start/send, WebSocket for live updates. All user/agent text goes in via textContent.
const STORE = "cs_chat_v1";
const LANG_KEY = "cs_chat_lang";

const T = {
  en: {
    title: "Support",
    subtitle_bot: "Replies instantly",
    subtitle_queued: "Waiting for a person",
    subtitle_assigned: "With {agent}",
    subtitle_resolved: "Resolved",
    talk_to_person: "Talk to a person",
    in_queue: "In the queue",
    leave_queue: "Leave queue",
    placeholder: "Type your question…",
    input_label: "Your message",
    send: "Send",
    queue_banner: "You're number {position} in the queue · about {minutes} min wait",
    queue_banner_unknown: "You're in the queue for a person",
    assigned_banner: "{agent} is helping you",
    you: "You",
    assistant: "Assistant",
    agent: "Agent",
    helpful_q: "Was this helpful?",
    helpful: "Yes",
    not_helpful: "No",
    feedback_thanks: "Thanks for the feedback",
    rate_title: "How did we do?",
    rate_star: "Rate {n} out of 5",
    rate_thanks: "Thanks for your rating!",
    log_label: "Conversation",
    switch_lang: "切换到中文",
    switch_label: "中文",
    offline: "Connection lost — reconnecting…",
    send_failed: "Not sent. Tap to retry.",
    unavailable: "We're having a brief problem. Your message will be sent automatically…",
    too_fast: "You're sending messages very quickly. Your message will be sent in {seconds} s…",
    welcome: "Hi! Ask me anything about orders, shipping, returns or payments. You can talk to a person at any time.",
    start_failed: "We couldn't start the chat. Please check your connection and reload.",
    agent_typing: "{agent} is typing…",
    bot_typing: "The assistant is typing…",
  },
  zh: {
    title: "在线客服",
    subtitle_bot: "智能助手即时解答",
    subtitle_queued: "排队等待人工",
    subtitle_assigned: "客服 {agent}",
    subtitle_resolved: "已结束",
    talk_to_person: "转人工",
    in_queue: "排队中",
    leave_queue: "退出排队",
    placeholder: "请输入您的问题…",
    input_label: "您的消息",
    send: "发送",
    queue_banner: "您前面还有 {ahead} 位 · 预计等待约 {minutes} 分钟",
    queue_banner_unknown: "正在排队等待人工客服",
    assigned_banner: "客服 {agent} 正在为您服务",
    you: "我",
    assistant: "智能助手",
    agent: "客服",
    helpful_q: "这个回答有帮助吗？",
    helpful: "有帮助",
    not_helpful: "没帮助",
    feedback_thanks: "感谢您的反馈",
    rate_title: "请为本次服务打分",
    rate_star: "{n} 星（满分 5 星）",
    rate_thanks: "感谢您的评价！",
    log_label: "对话记录",
    switch_lang: "Switch to English",
    switch_label: "EN",
    offline: "连接已断开，正在重连…",
    send_failed: "发送失败，点击重试",
    unavailable: "服务暂时不可用，您的消息将自动重新发送…",
    too_fast: "您发送得太快了，消息将在 {seconds} 秒后自动发送…",
    welcome: "您好！关于订单、物流、退换货、支付的问题都可以问我，也可以随时转人工。",
    start_failed: "无法开始会话，请检查网络后刷新页面。",
    agent_typing: "客服正在输入…",
    bot_typing: "智能助手正在输入…",
  },
};

// localStorage can be unavailable (blocked third-party storage in an embedded iframe): fall back to memory.
const storage = (() => {
  try { const s = window.localStorage; s.setItem("cs_probe", "1"); s.removeItem("cs_probe"); return s; }
  catch { const m = new Map(); return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) }; }
})();

const $ = (id) => document.getElementById(id);
const els = {
  log: $("log"), input: $("input"), composer: $("composer"), human: $("human"), lang: $("lang"),
  banner: $("banner"), bannerText: $("banner-text"), leave: $("leave"), subtitle: $("subtitle"),
  rating: $("rating"), stars: $("stars"), ratingDone: $("rating-done"), conn: $("conn"), send: $("send"),
  typing: null, // the typing indicator row, created on demand
};

let lang = pickLanguage();
const state = {
  id: null, token: null, lastId: null, seen: new Map(), pending: new Map(),
  conversation: null, queue: null, agentName: null, ws: null, retry: 0, rated: false,
  typing: { agent: null, agentTimer: null, botPending: 0, sentActive: false, sentAt: 0, stopTimer: null },
};
const TYPING_THROTTLE_MS = 2000; // resend "active" at most this often while typing
const TYPING_IDLE_MS = 3000;     // send "inactive" this long after the last keystroke
const TYPING_SHOW_MS = 5000;     // hide the agent's notice if nothing new arrives for this long

function pickLanguage() {
  const saved = storage.getItem(LANG_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

function t(key, vars = {}) {
  const s = (T[lang] && T[lang][key]) || T.en[key] || key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  document.getElementById("lang-text").textContent = t("switch_label");
  els.lang.setAttribute("aria-label", t("switch_lang"));
  els.lang.title = t("switch_lang");
  els.send.setAttribute("aria-label", t("send"));
  els.log.setAttribute("aria-label", t("log_label"));
  renderStars();
  renderStatus();
  // re-label message chrome (who / feedback) without touching message text
  for (const el of document.querySelectorAll("[data-who]")) el.textContent = whoLabel(el.dataset.who, el.dataset.author);
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  renderTyping();
}

// ---------- ids ----------
function idParts(id) { const [a, b] = String(id).split("-"); return [Number(a) || 0, Number(b) || 0]; }
function idAfter(a, b) { // true if a is later than b
  if (!b) return true;
  const [a1, a2] = idParts(a), [b1, b2] = idParts(b);
  return a1 > b1 || (a1 === b1 && a2 > b2);
}
function newClientId() {
  return (crypto.randomUUID ? crypto.randomUUID() : `c${Date.now()}${Math.random().toString(16).slice(2)}`);
}

// ---------- API ----------
// Errors carry the HTTP status (0: no connection), the server's reason, and how long to wait before retrying.
async function api(path, { method = "GET", body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  } catch {
    throw Object.assign(new Error("offline"), { status: 0, retryAfter: 0, detail: "" });
  }
  if (!resp.ok) {
    const err = Object.assign(new Error(`HTTP ${resp.status}`), { status: resp.status, retryAfter: Number(resp.headers.get("Retry-After")) || 0, detail: "" });
    try { const b = await resp.json(); if (typeof b.detail === "string") err.detail = b.detail; } catch { /* not JSON */ }
    throw err;
  }
  return resp.status === 204 ? null : resp.json();
}

// A request that failed because the service (or the network) is briefly away: worth sending again.
function isTransient(err) { return err.status === 0 || err.status === 429 || err.status === 502 || err.status === 503 || err.status === 504; }

function welcome() {
  const row = renderMessage({ id: null, sender: "bot", text: t("welcome") });
  row.classList.add("welcome");
  row.querySelector(".bubble").dataset.t = "welcome";
  els.log.appendChild(row);
}

async function start() {
  applyLanguage();
  welcome();
  const saved = JSON.parse(storage.getItem(STORE) || "null");
  if (saved && saved.id && saved.token) {
    state.id = saved.id; state.token = saved.token;
    try {
      const view = await api(`/api/conversations/${state.id}`);
      updateView(view);
      const messages = await api(`/api/conversations/${state.id}/messages`);
      messages.forEach(addMessage);
      connect();
      return;
    } catch (e) {
      if (e.status !== 403 && e.status !== 404) { showConn(t("offline")); setTimeout(start, 3000); return; }
      storage.removeItem(STORE);
      state.id = state.token = null;
    }
  }
  await createConversation();
}

async function createConversation() {
  try {
    const started = await api("/api/conversations", { method: "POST", body: { channel: "web", language: lang, customer: { name: "" } } });
    state.id = started.conversation_id; state.token = started.token;
    storage.setItem(STORE, JSON.stringify({ id: state.id, token: state.token }));
    updateView({ conversation: started.conversation, queue: null });
    connect();
  } catch (e) {
    showConn(t("start_failed"));
  }
}

// ---------- WebSocket ----------
function connect() {
  if (!state.id) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ token: state.token });
  if (state.lastId) q.set("after", state.lastId);
  const ws = new WebSocket(`${proto}//${location.host}/api/conversations/${encodeURIComponent(state.id)}/ws?${q}`);
  state.ws = ws;
  ws.onopen = () => { state.retry = 0; showConn(""); };
  ws.onmessage = (ev) => {
    let data; try { data = JSON.parse(ev.data); } catch { return; }
    if (data.type === "message" && data.message) addMessage(data.message);
    else if (data.type === "status") updateView(data);
    else if (data.type === "typing" && data.sender === "agent") onAgentTyping(data);
  };
  ws.onclose = (ev) => {
    if (state.ws !== ws) return;
    state.ws = null;
    state.typing.sentActive = false;
    if (ev.code === 4403) { storage.removeItem(STORE); return; }
    showConn(t("offline"));
    const delay = Math.min(15000, 500 * 2 ** state.retry++);
    setTimeout(connect, delay);
  };
}

function showConn(text) { els.conn.hidden = !text; els.conn.textContent = text; }

// ---------- status ----------
function updateView(view) {
  if (!view || !view.conversation) return;
  state.conversation = view.conversation;
  state.queue = view.queue || null;
  renderStatus();
}

function renderStatus() {
  const conv = state.conversation;
  const status = conv ? conv.status : "bot";
  if (status !== "assigned" && state.typing && state.typing.agent) setAgentTyping(null);
  const agent = state.agentName || (conv && conv.agent) || t("agent");
  els.subtitle.textContent = status === "queued" ? t("subtitle_queued")
    : status === "assigned" ? t("subtitle_assigned", { agent })
    : status === "resolved" ? t("subtitle_resolved") : t("subtitle_bot");
  els.human.disabled = status === "queued" || status === "assigned";
  els.human.textContent = status === "queued" ? t("in_queue") : t("talk_to_person");
  if (status === "queued") {
    const q = state.queue;
    els.banner.className = "banner";
    els.bannerText.textContent = q ? t("queue_banner", { position: q.position, ahead: Math.max(0, q.position - 1), minutes: Math.max(1, Math.ceil(q.estimated_wait_seconds / 60)) }) : t("queue_banner_unknown");
    els.leave.hidden = false;
    els.banner.hidden = false;
  } else if (status === "assigned") {
    els.banner.className = "banner assigned";
    els.bannerText.textContent = t("assigned_banner", { agent });
    els.leave.hidden = true;
    els.banner.hidden = false;
  } else {
    els.banner.hidden = true;
  }
  els.rating.hidden = status !== "resolved";
  els.stars.hidden = state.rated;
  els.ratingDone.hidden = !state.rated;
  els.rating.querySelector("h2").hidden = state.rated;
}

// ---------- messages ----------
function whoLabel(sender, author) {
  if (sender === "customer") return t("you");
  if (sender === "bot") return t("assistant");
  if (sender === "agent") return author || t("agent");
  return "";
}

function addMessage(m) {
  if (!m || !m.id || state.seen.has(m.id)) return;
  if (m.client_message_id && state.pending.has(m.client_message_id)) {
    const row = state.pending.get(m.client_message_id);
    state.pending.delete(m.client_message_id);
    row.remove();
  }
  if (idAfter(m.id, state.lastId)) state.lastId = m.id;
  const meta = m.meta || {};
  if (m.sender === "system" && meta.agent && (meta.kind === "assigned" || meta.kind === "transferred")) state.agentName = meta.agent;
  if (m.sender === "system" && meta.kind === "queued" && state.conversation) {
    if (meta.position) state.queue = { position: meta.position, estimated_wait_seconds: meta.estimated_wait_seconds || 0 };
  }
  if (m.sender === "system" && meta.kind === "rating_thanks") state.rated = true;
  if (m.sender === "system" && meta.kind === "rating_request") state.rated = false;
  if (m.sender === "agent" && m.author) state.agentName = m.author;
  if (m.sender === "agent" || m.sender === "system") setAgentTyping(null);
  if (m.sender === "bot") state.typing.botPending = 0;
  const row = renderMessage(m);
  state.seen.set(m.id, row);
  // keep order by id
  let before = null;
  for (const el of els.log.querySelectorAll(".row[data-id]")) {
    if (idAfter(el.dataset.id, m.id)) { before = el; break; }
  }
  if (before) els.log.insertBefore(row, before); else els.log.appendChild(row);
  renderStatus();
  renderTyping();
  scrollDown();
}

// ---------- typing notices (ephemeral: never part of the transcript) ----------
function onAgentTyping(data) {
  if (!data.active) { setAgentTyping(null); return; }
  setAgentTyping(data.author || state.agentName || (state.conversation && state.conversation.agent) || t("agent"));
}

function setAgentTyping(author) {
  clearTimeout(state.typing.agentTimer);
  state.typing.agent = author;
  if (author) state.typing.agentTimer = setTimeout(() => setAgentTyping(null), TYPING_SHOW_MS);
  renderTyping();
}

// One indicator row, always kept last in the log: the agent's notice wins over the bot's dots.
function renderTyping() {
  const who = state.typing.agent ? "agent" : state.typing.botPending > 0 ? "bot" : null;
  let row = els.typing;
  if (!who) { if (row) { row.remove(); els.typing = null; } return; }
  const text = who === "agent" ? t("agent_typing", { agent: state.typing.agent }) : t("bot_typing");
  if (!row || row.dataset.kind !== who) {
    if (row) row.remove();
    row = document.createElement("div");
    row.className = `row typing ${who}`;
    row.dataset.kind = who;
    const bubble = document.createElement("div");
    bubble.className = "bubble dots";
    bubble.setAttribute("aria-hidden", "true");
    for (let i = 0; i < 3; i++) bubble.appendChild(document.createElement("span"));
    const label = document.createElement("span");
    label.className = who === "agent" ? "typing-label" : "typing-label sr-only";
    row.append(bubble, label);
    els.typing = row;
  }
  row.querySelector(".typing-label").textContent = text;
  const wasNearBottom = nearBottom;
  if (row !== els.log.lastElementChild) els.log.appendChild(row);
  if (wasNearBottom) scrollDown();
}

function sendTyping(active) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ type: "typing", active }));
  state.typing.sentActive = active;
  state.typing.sentAt = active ? Date.now() : 0;
}

// Only a person (an assigned agent) can see the notice, so only send while one is in the chat.
function customerTyping() {
  const tp = state.typing;
  clearTimeout(tp.stopTimer);
  const assigned = state.conversation && state.conversation.status === "assigned";
  if (!els.input.value.trim() || !assigned) { stopTyping(); return; }
  if (!tp.sentActive || Date.now() - tp.sentAt >= TYPING_THROTTLE_MS) sendTyping(true);
  tp.stopTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(state.typing.stopTimer);
  if (state.typing.sentActive) sendTyping(false);
}

function scrollDown() { els.log.scrollTop = els.log.scrollHeight; }
let nearBottom = true;
els.log.addEventListener("scroll", () => { nearBottom = els.log.scrollHeight - els.log.scrollTop - els.log.clientHeight < 60; });
new ResizeObserver(() => { if (nearBottom) scrollDown(); }).observe(els.log);

function renderMessage(m) {
  const meta = m.meta || {};
  const row = document.createElement("div");
  row.className = `row ${m.sender}`;
  if (m.sender === "system" && meta.kind) row.classList.add(String(meta.kind).replace(/[^a-z_]/gi, ""));
  if (m.id) row.dataset.id = m.id;
  const label = whoLabel(m.sender, m.author);
  if (label && m.sender !== "customer") {
    const who = document.createElement("span");
    who.className = "who"; who.dataset.who = m.sender;
    if (m.author) who.dataset.author = m.author;
    who.textContent = label;
    row.appendChild(who);
  }
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (m.sender === "bot" || m.sender === "agent") renderMarkdown(bubble, m.text || "");
  else bubble.textContent = m.text || "";
  row.appendChild(bubble);

  if (m.sender === "bot" && Array.isArray(meta.buttons) && meta.buttons.length) {
    const box = document.createElement("div");
    box.className = "choices";
    box.setAttribute("role", "group");
    for (const b of meta.buttons) {
      const btn = document.createElement("button");
      btn.type = "button"; btn.className = "choice";
      btn.textContent = b.title || "";
      btn.addEventListener("click", () => {
        for (const other of box.querySelectorAll("button")) other.disabled = true;
        sendMessage(b.title || "", b.payload || null);
      });
      box.appendChild(btn);
    }
    row.appendChild(box);
  }
  if (m.sender === "bot" && meta.decision === "answer") row.appendChild(renderFeedback(m.id));
  if (m.ts) {
    const time = document.createElement("time");
    time.className = "time";
    const d = new Date(m.ts * 1000);
    time.dateTime = d.toISOString();
    time.textContent = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    row.appendChild(time);
  }
  return row;
}

function renderFeedback(messageId) {
  const box = document.createElement("div");
  box.className = "feedback";
  const q = document.createElement("span");
  q.dataset.t = "helpful_q"; q.textContent = t("helpful_q");
  box.appendChild(q);
  for (const [key, helpful] of [["helpful", true], ["not_helpful", false]]) {
    const btn = document.createElement("button");
    btn.type = "button"; btn.dataset.t = key; btn.textContent = t(key);
    btn.setAttribute("aria-pressed", "false");
    btn.addEventListener("click", async () => {
      try {
        await api(`/api/conversations/${state.id}/feedback`, { method: "POST", body: { message_id: messageId, helpful } });
        for (const b of box.querySelectorAll("button")) { b.disabled = true; b.setAttribute("aria-pressed", String(b === btn)); }
        q.dataset.t = "feedback_thanks"; q.textContent = t("feedback_thanks");
      } catch { /* leave buttons usable */ }
    });
    box.appendChild(btn);
  }
  return box;
}

// Safe markdown subset: paragraphs, line breaks, - / * / 1. lists, **bold**. Only textContent for text.
function renderMarkdown(container, text) {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  let para = null, list = null;
  const close = () => { para = null; list = null; };
  for (const raw of lines) {
    const line = raw.trimEnd();
    const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (!line.trim()) { close(); continue; }
    if (bullet || numbered) {
      const tag = bullet ? "UL" : "OL";
      if (!list || list.tagName !== tag) { list = document.createElement(tag.toLowerCase()); container.appendChild(list); para = null; }
      const li = document.createElement("li");
      inline(li, (bullet || numbered)[1]);
      list.appendChild(li);
      continue;
    }
    list = null;
    if (!para) { para = document.createElement("p"); container.appendChild(para); }
    else para.appendChild(document.createElement("br"));
    inline(para, line);
  }
}

function inline(parent, text) {
  const parts = text.split(/(\*\*[^*]+\*\*)/g);
  for (const part of parts) {
    if (!part) continue;
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) {
      const b = document.createElement("strong");
      b.textContent = part.slice(2, -2);
      parent.appendChild(b);
    } else parent.appendChild(document.createTextNode(part));
  }
}

// ---------- sending ----------
async function sendMessage(text, payload = null, clientId = newClientId()) {
  text = text.trim();
  if (!text || !state.id) return;
  const optimistic = renderMessage({ id: null, sender: "customer", text, ts: Date.now() / 1000 });
  optimistic.classList.add("pending");
  state.pending.set(clientId, optimistic);
  els.log.appendChild(optimistic);
  stopTyping();
  scrollDown();
  await deliver(text, payload, clientId, optimistic, 0);
}

// Sends one message; while the service is briefly away it keeps the bubble pending and tries again by itself
// (the same client_message_id: the hub stores it once however often it arrives).
async function deliver(text, payload, clientId, optimistic, attempt) {
  const botTurn = !state.conversation || state.conversation.status === "bot";
  if (botTurn) { state.typing.botPending++; }
  renderTyping();
  try {
    const body = { text, client_message_id: clientId };
    if (payload) body.payload = payload;
    const res = await api(`/api/conversations/${state.id}/messages`, { method: "POST", body });
    showConn("");
    addMessage(res.message);
    (res.replies || []).forEach(addMessage);
    updateView(res);
  } catch (e) {
    if (!optimistic.isConnected) return;
    if (isTransient(e) && attempt < 30) {
      const wait = 1000 * Math.max(e.retryAfter || 0, Math.min(2 ** attempt, 15));
      showConn(e.status === 429 ? t("too_fast", { seconds: Math.ceil(wait / 1000) }) : t("unavailable"));
      setTimeout(() => deliver(text, payload, clientId, optimistic, attempt + 1), wait);
      return;
    }
    optimistic.classList.remove("pending");
    optimistic.classList.add("failed");
    const retry = document.createElement("button");
    retry.type = "button"; retry.className = "link";
    retry.textContent = e.detail ? `${t("send_failed")} (${e.detail})` : t("send_failed");
    retry.addEventListener("click", () => { state.pending.delete(clientId); optimistic.remove(); sendMessage(text, payload, clientId); });
    optimistic.appendChild(retry);
  } finally {
    if (botTurn) { state.typing.botPending = Math.max(0, state.typing.botPending - 1); renderTyping(); }
  }
}

els.composer.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = els.input.value;
  if (!text.trim()) return;
  els.input.value = "";
  autosize();
  sendMessage(text);
});
els.input.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); els.composer.requestSubmit(); }
});
function autosize() { els.input.style.height = "auto"; els.input.style.height = `${Math.min(140, els.input.scrollHeight)}px`; }
els.input.addEventListener("input", () => { autosize(); customerTyping(); });
els.input.addEventListener("blur", () => { if (!els.input.value.trim()) stopTyping(); });

els.human.addEventListener("click", async () => {
  if (!state.id) return;
  els.human.disabled = true;
  try { updateView(await api(`/api/conversations/${state.id}/handoff`, { method: "POST" })); }
  catch { els.human.disabled = false; }
});
els.leave.addEventListener("click", async () => {
  try { updateView(await api(`/api/conversations/${state.id}/cancel`, { method: "POST" })); } catch { /* not queued any more */ }
});
els.lang.addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  storage.setItem(LANG_KEY, lang);
  applyLanguage();
});

// ---------- rating ----------
function renderStars() {
  els.stars.replaceChildren();
  els.stars.setAttribute("aria-label", t("rate_title"));
  for (let n = 1; n <= 5; n++) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "star"; b.dataset.score = String(n);
    b.setAttribute("aria-label", t("rate_star", { n }));
    b.textContent = "★";
    b.addEventListener("click", () => rate(n));
    els.stars.appendChild(b);
  }
}

async function rate(score) {
  try {
    const view = await api(`/api/conversations/${state.id}/rating`, { method: "POST", body: { score, comment: "" } });
    state.rated = true;
    for (const b of els.stars.querySelectorAll(".star")) b.classList.toggle("on", Number(b.dataset.score) <= score);
    updateView(view);
  } catch { /* not resolved any more */ }
}

if (new URLSearchParams(location.search).get("embed") === "1") document.body.classList.add("embed");
start();
