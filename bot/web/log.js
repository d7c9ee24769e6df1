// The conversation log: every message once, in transcript order, with the bot's choices, the answer vote and the typing indicator.
import { el } from "/static/common/dom.js";
import { fmtTime } from "/static/common/i18n.js";
import { idAfter } from "/static/common/ids.js";
import { linkify, renderMarkdown } from "/static/common/markdown.js";
import { renderContactForm } from "./contact.js";
import { handOffFocus } from "./focus.js";
import { api, session } from "./session.js";
import { i18n, t } from "./texts.js";

const log = document.getElementById("log");
const seen = new Map(); // message id -> row
export const pendingRows = new Map(); // client message id -> the customer's row not yet confirmed by the hub
export const confirmed = new Set(); // client message ids the hub has stored
export const previews = new Map(); // client message id -> the picture the customer attached (a data: URL), shown from the file itself
const fetched = new Map(); // message id -> a picture sent before this page was loaded, fetched from the hub (a data: URL)
export const hooks = { choose: null, vote: null, arrived: null }; // set by chat.js
let lastId = null;
export const lastMessageId = () => lastId;

const typing = { agent: null, agentTimer: null, botPending: 0, row: null };
const TYPING_SHOW_MS = 5000; // hide the agent's notice if nothing new arrives for this long

// Follow the newest line only while the customer is at the bottom: someone reading earlier messages stays where
// they are, and a "new messages" button takes them down (a message they send themselves always does).
const NEAR_BOTTOM_PX = 60;
const jump = document.getElementById("jump");
const isNearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
let nearBottom = true;
// Only a scroll up lets go of the end: a scroll down reported after a picture already grew the log is still "at the end".
let lastTop = 0;
log.addEventListener("scroll", () => {
  const near = isNearBottom();
  if (near || log.scrollTop < lastTop) nearBottom = near;
  lastTop = log.scrollTop;
  if (nearBottom) jump.hidden = true;
});
new ResizeObserver(() => { if (nearBottom) scrollDown(); }).observe(log);
// A picture fetched after its line was shown (a reload) grows the log once it loads: the latest line stays in view.
log.addEventListener("load", (ev) => { if (ev.target.tagName === "IMG" && nearBottom) scrollDown(); }, true);
export function scrollDown() { log.scrollTop = log.scrollHeight; jump.hidden = true; }
jump.addEventListener("click", () => {
  const refocus = handOffFocus(jump);
  scrollDown();
  refocus(log); // the conversation, where the new messages are (arrow keys scroll it)
});

// Add a row at the bottom of the log (or before `before`), following it down only if the customer was there.
function place(row, before = null) {
  const follow = isNearBottom();
  if (before) log.insertBefore(row, before); else log.appendChild(row);
  if (follow) scrollDown(); else jump.hidden = false;
}

export function whoLabel(sender, author) {
  if (sender === "customer") return t("you");
  if (sender === "bot") return t("assistant");
  if (sender === "agent") return author || t("agent");
  return "";
}

export function welcome() {
  const row = renderMessage({ id: null, sender: "bot", text: t("welcome") });
  row.classList.add("welcome");
  row.querySelector(".bubble").dataset.t = "welcome";
  log.appendChild(row);
}

// The conversation is gone (erased on the service): an empty log, to start over with a new conversation.
export function reset() {
  log.replaceChildren();
  seen.clear();
  pendingRows.clear();
  confirmed.clear();
  lastId = null;
  contactClosedAfter = null;
  jump.hidden = true;
  clearTimeout(typing.agentTimer);
  Object.assign(typing, { agent: null, agentTimer: null, botPending: 0, row: null });
}

// A line from the page itself, not from the transcript (re-labelled on a language switch).
export function notice(key) {
  const row = renderMessage({ id: null, sender: "system", text: t(key) });
  row.classList.add("notice");
  row.querySelector(".bubble").dataset.t = key;
  place(row);
}

// live: it arrived now (not part of the transcript loaded at start), so it may need the customer's attention.
export function addMessage(m, { live = false } = {}) {
  if (!m || !m.id) return;
  if (m.client_message_id) {
    confirmed.add(m.client_message_id);
    if (pendingRows.has(m.client_message_id)) {
      pendingRows.get(m.client_message_id).remove();
      pendingRows.delete(m.client_message_id);
    }
  }
  if (seen.has(m.id)) return;
  if (idAfter(m.id, lastId)) lastId = m.id;
  const meta = m.meta || {};
  if (m.sender === "system" && meta.agent && (meta.kind === "assigned" || meta.kind === "transferred")) session.agentName = meta.agent;
  if (m.sender === "agent" && m.author) session.agentName = m.author;
  if (m.sender === "agent" || m.sender === "system") setAgentTyping(null);
  if (m.sender === "bot") typing.botPending = 0;
  const row = renderMessage(m);
  seen.set(m.id, row);
  const before = [...log.querySelectorAll(".row[data-id]")].find((r) => idAfter(r.dataset.id, m.id));
  place(row, before);
  if (m.sender === "customer") retireChoices(m);
  renderTyping();
  if (hooks.arrived) hooks.arrived(m, live);
}

// The customer's message before the hub has it (pending), or after it refused it (failed).
export function addPendingRow(clientId, text, meta = null) {
  const row = renderMessage({ id: null, sender: "customer", text, ts: Date.now() / 1000, client_message_id: clientId, meta });
  row.classList.add("pending");
  row.dataset.client = clientId;
  pendingRows.set(clientId, row);
  log.appendChild(row);
  renderTyping();
  scrollDown();
  return row;
}

// Choices the customer has answered (by a chip or by typing) stay visible but can't be used again.
function retireChoices(customerMessage) {
  for (const box of log.querySelectorAll(".choices:not(.used)")) {
    const row = box.closest(".row");
    if (!row.dataset.id || idAfter(row.dataset.id, customerMessage.id)) continue;
    box.classList.add("used");
    for (const b of box.querySelectorAll("button")) {
      b.disabled = true;
      if (b.textContent === customerMessage.text) b.classList.add("chosen");
    }
  }
}

// The offline contact form is for a customer nobody can answer yet: once an agent joins (or the request ends: resolved,
// back with the bot, queue left) a form still offered earlier in the log is replaced by a line saying it is not needed;
// it stayed usable under the agent's first reply. A later "nobody available" notice offers a new form.
const CONTACT_CLOSED_BY = { assigned: "contact_not_needed", transferred: "contact_not_needed", rating_request: "contact_closed", handed_back: "contact_closed", queue_left: "contact_closed" };
let contactClosedAfter = null; // { id, key }: the newest line that closed the forms before it

function contactClosedNote(key) {
  return i18n.label(el("p", "contact-done contact-closed"), key); // re-labelled on a language switch
}

function closeContactForms(closingId, key) {
  if (!contactClosedAfter || idAfter(closingId, contactClosedAfter.id)) contactClosedAfter = { id: closingId, key };
  for (const form of log.querySelectorAll(".contact-form")) {
    const row = form.closest(".row");
    if (row && row.dataset.id && idAfter(closingId, row.dataset.id)) form.replaceWith(contactClosedNote(key));
  }
}

function renderMessage(m) {
  const meta = m.meta || {};
  const row = el("div", `row ${m.sender}`);
  if (m.sender === "system" && meta.kind) row.classList.add(String(meta.kind).replace(/[^a-z_]/gi, ""));
  if (m.id) row.dataset.id = m.id;
  const label = whoLabel(m.sender, m.author);
  if (label && m.sender !== "customer") {
    const who = el("span", "who", label);
    who.dataset.who = m.sender;
    if (m.author) who.dataset.author = m.author;
    row.appendChild(who);
  }
  const bubble = el("div", "bubble");
  if (m.sender === "customer" && meta.kind === "attachment" && meta.media && meta.media.upload_id !== undefined) bubble.append(...renderPicture(m));
  else if (m.sender === "agent" && meta.kind === "attachment" && meta.media && meta.media.upload_id) bubble.append(renderAgentFile(m, meta.media));
  else bubble.append(m.sender === "bot" || m.sender === "agent" ? renderMarkdown(m.text) : linkify(m.text));
  row.appendChild(bubble);
  // the bot's choices, and "show it to an agent" under the line that says an agent can look at a picture
  if ((m.sender === "bot" || meta.kind === "media_for_agent") && Array.isArray(meta.buttons) && meta.buttons.length) row.appendChild(renderChoices(meta.buttons));
  if (m.sender === "bot" && meta.decision === "answer") row.appendChild(renderVote(m.id));
  if (m.sender === "system" && meta.ask_contact && !session.contactLeft) {
    // Already answered by a later line (loaded out of order): say so instead of offering a form that is not needed.
    row.appendChild(contactClosedAfter && idAfter(contactClosedAfter.id, m.id) ? contactClosedNote(contactClosedAfter.key) : renderContactForm());
  }
  if (m.sender === "system" && meta.kind === "contact_saved") {
    session.contactLeft = true;
    for (const form of log.querySelectorAll(".contact-form")) form.remove();
  }
  if (m.sender === "system" && CONTACT_CLOSED_BY[meta.kind] && m.id) closeContactForms(m.id, CONTACT_CLOSED_BY[meta.kind]);
  if (m.ts) {
    const time = el("time", "time", fmtTime(m.ts, i18n.locale)); // the page's language, not the browser's (re-done by relabel)
    time.dateTime = new Date(m.ts * 1000).toISOString();
    time.dataset.ts = String(m.ts);
    row.appendChild(time);
  }
  return row;
}

// A picture the customer attached: itself while this page has it (it was sent from here); sent before (a reload, another
// tab), fetched from the hub and shown once it arrives, "📷 Picture sent" meanwhile or if it is no longer kept.
function renderPicture(m) {
  const preview = (m.client_message_id && previews.get(m.client_message_id)) || (m.id && fetched.get(m.id));
  if (!preview && !m.id) return [document.createTextNode(m.text || "")]; // not sent: its name, and why below it
  const img = el("img", "picture");
  img.alt = t("picture_alt");
  if (preview) {
    img.src = preview;
    return [viewable(img)];
  }
  const sent = el("span", "picture-sent", t("picture_sent"));
  sent.dataset.t = "picture_sent";
  fetchPicture(m.conversation_id || session.id, m.id).then((url) => {
    if (!url || !sent.isConnected) return;
    img.src = url;
    sent.replaceWith(viewable(img));
  });
  return [sent];
}

// What the agent sent: a picture, fetched with the conversation's token and shown in the log ("📷 A picture from the
// agent" until it arrives, or if it is no longer kept); a PDF, a download under its name (fetched the same way).
function renderAgentFile(m, media) {
  const cid = m.conversation_id || session.id;
  if (media.type === "image") {
    const img = el("img", "picture from-agent");
    img.alt = t("agent_picture_alt");
    const known = m.id && fetched.get(m.id);
    if (known) {
      img.src = known;
      return viewable(img);
    }
    const waiting = el("span", "picture-sent", t("agent_picture"));
    waiting.dataset.t = "agent_picture";
    fetchPicture(cid, m.id).then((url) => {
      if (!url || !waiting.isConnected) return;
      img.src = url;
      waiting.replaceWith(viewable(img));
    });
    return waiting;
  }
  const name = String(media.name || "document.pdf");
  const box = el("span", "agent-file");
  const link = el("a", "file-link");
  link.append(fileIcon(), el("span", "file-name", t("agent_file", { name })));
  link.href = "#";
  link.setAttribute("aria-label", t("agent_file_label", { name }));
  link.dataset.name = name;
  const problem = el("span", "file-gone");
  problem.hidden = true;
  link.addEventListener("click", async (ev) => {
    ev.preventDefault();
    problem.hidden = true;
    try {
      const resp = await api(`/api/conversations/${encodeURIComponent(cid)}/messages/${encodeURIComponent(m.id)}/file`, { raw: true });
      const url = URL.createObjectURL(await resp.blob());
      const save = el("a");
      save.href = url;
      save.download = name;
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      problem.textContent = t("agent_file_gone");
      problem.dataset.t = "agent_file_gone";
      problem.hidden = false;
    }
  });
  box.append(link, problem);
  return box;
}

function fileIcon() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M14 2H6c-1.1 0-2 .9-2 2v16c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2V8l-6-6zm2 16H8v-2h8v2zm0-4H8v-2h8v2zm-3-5V3.5L18.5 9H13z");
  svg.append(path);
  return svg;
}

// A picture in the log is a small thumbnail: tapped (or Enter), pictures.js shows it full size over the chat.
function viewable(img) {
  const open = el("button", "picture-open");
  open.type = "button";
  open.append(img);
  labelViewable(open);
  return open;
}

function labelViewable(open) {
  open.setAttribute("aria-label", t("picture_open", { what: open.querySelector("img").alt }));
}

// With the conversation's token, which an <img> cannot send; shown as a data: URL (the page's CSP allows img-src data:).
async function fetchPicture(cid, mid) {
  if (!cid) return null;
  try {
    const resp = await api(`/api/conversations/${encodeURIComponent(cid)}/messages/${encodeURIComponent(mid)}/picture`, { raw: true });
    const url = await dataUrl(await resp.blob());
    if (url) fetched.set(mid, url);
    return url;
  } catch {
    return null; // gone (erased, expired) or offline: the line still says it was sent
  }
}

export function dataUrl(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => resolve("");
    reader.readAsDataURL(blob);
  });
}

function renderChoices(buttons) {
  const box = el("div", "choices");
  box.setAttribute("role", "group");
  for (const b of buttons) {
    const btn = el("button", "choice", b.title || "");
    btn.type = "button";
    btn.addEventListener("click", () => {
      const refocus = handOffFocus(box);
      for (const other of box.querySelectorAll("button")) other.disabled = true;
      btn.classList.add("chosen");
      box.classList.add("used");
      hooks.choose(b.title || "", b.payload || null);
      refocus();
    });
    box.appendChild(btn);
  }
  return box;
}

function renderVote(messageId) {
  const box = el("div", "feedback");
  const q = el("span", null, t("helpful_q"));
  q.dataset.t = "helpful_q";
  box.appendChild(q);
  for (const [key, helpful] of [["helpful", true], ["not_helpful", false]]) {
    const btn = el("button", null, t(key));
    btn.type = "button";
    btn.dataset.t = key;
    btn.setAttribute("aria-pressed", "false");
    btn.addEventListener("click", async () => {
      const refocus = handOffFocus(box);
      for (const b of box.querySelectorAll("button")) b.disabled = true;
      if (await hooks.vote(messageId, helpful)) {
        btn.setAttribute("aria-pressed", "true");
        q.dataset.t = "feedback_thanks";
        q.textContent = t("feedback_thanks");
        refocus(helpful ? undefined : firstChoiceAfter(messageId));
      } else {
        for (const b of box.querySelectorAll("button")) b.disabled = false;
        refocus(btn);
      }
    });
    box.appendChild(btn);
  }
  return box;
}

// After "not helpful" the bot offers other answers: their first choice is the next thing to use, if it came.
function firstChoiceAfter(messageId) {
  const rows = [...log.querySelectorAll(".row[data-id]")].filter((r) => idAfter(r.dataset.id, messageId));
  return rows.map((r) => r.querySelector(".choices:not(.used) .choice")).find(Boolean);
}

// Re-label the chrome around messages after a language switch, times included (never the messages themselves).
export function relabel() {
  for (const n of log.querySelectorAll("[data-who]")) n.textContent = whoLabel(n.dataset.who, n.dataset.author);
  for (const n of log.querySelectorAll("[data-t]")) n.textContent = t(n.dataset.t);
  for (const n of log.querySelectorAll("img.picture")) n.alt = t(n.classList.contains("from-agent") ? "agent_picture_alt" : "picture_alt");
  for (const n of log.querySelectorAll("button.picture-open")) labelViewable(n);
  for (const n of log.querySelectorAll("a.file-link")) {
    n.querySelector(".file-name").textContent = t("agent_file", { name: n.dataset.name });
    n.setAttribute("aria-label", t("agent_file_label", { name: n.dataset.name }));
  }
  for (const n of log.querySelectorAll("time[data-ts]")) n.textContent = fmtTime(Number(n.dataset.ts), i18n.locale);
  renderTyping();
}

// ---------- typing notices (ephemeral: never part of the transcript) ----------
export function setAgentTyping(author) {
  clearTimeout(typing.agentTimer);
  typing.agent = author;
  if (author) typing.agentTimer = setTimeout(() => setAgentTyping(null), TYPING_SHOW_MS);
  renderTyping();
}

export function botThinking(delta) {
  typing.botPending = Math.max(0, typing.botPending + delta);
  renderTyping();
}

// One indicator row, always kept last in the log: the agent's notice wins over the bot's dots.
function renderTyping() {
  const who = typing.agent ? "agent" : typing.botPending > 0 ? "bot" : null;
  let row = typing.row;
  if (!who) { if (row) { row.remove(); typing.row = null; } return; }
  if (!row || row.dataset.kind !== who) {
    if (row) row.remove();
    row = el("div", `row typing ${who}`);
    row.dataset.kind = who;
    const dots = el("div", "bubble dots");
    dots.setAttribute("aria-hidden", "true");
    for (let i = 0; i < 3; i++) dots.appendChild(el("span"));
    row.append(dots, el("span", who === "agent" ? "typing-label" : "typing-label sr-only"));
    typing.row = row;
  }
  row.querySelector(".typing-label").textContent = who === "agent" ? t("agent_typing", { agent: typing.agent }) : t("bot_typing");
  const wasNearBottom = nearBottom;
  if (row !== log.lastElementChild) log.appendChild(row);
  if (wasNearBottom) scrollDown();
}
