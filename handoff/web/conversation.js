// The open conversation: the handoff packet (collapsible), the transcript, and the agent's actions and reply.
import { isTransient, troubleText } from "/static/common/api.js";
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fmtTime } from "/static/common/i18n.js";
import { idAfter, newClientId } from "/static/common/ids.js";
import { linkify, renderMarkdown } from "/static/common/markdown.js";
import { readJson, session, writeJson } from "/static/common/storage.js";
import { loadAgents, refreshLists, renderMine, renderQueue, renderRecent, resetTransferChoice } from "./lists.js";
import { api, customerLabel, ownsCurrent, shortId, state } from "./state.js";
import { resetSuggestions, scheduleSuggestions, showSuggestions } from "./suggestions.js";
import { resetCustomer, showCustomer } from "./customer.js";
import { decorateMessage, loadDeliveries, resetDeliveries } from "./delivery.js";
import { attachmentOf } from "./attachment.js";
import { channelName } from "./channel-texts.js";
import { i18n, LANGS, named, t } from "./texts.js";
import { showTicket, ticketHolder } from "./tickets.js";
import { showCustomerTyping, stopTyping } from "./typing.js";

const PHONE = window.matchMedia("(max-width: 800px)");
const els = {
  app: $("app-view"), placeholder: $("placeholder"), conversation: $("conversation"), convTitle: $("conv-title"), convSub: $("conv-sub"),
  claim: $("claim"), transferBox: $("transfer-box"), transferTo: $("transfer-to"), transfer: $("transfer"), transferNote: $("transfer-note"),
  handover: $("handover"), handoverTitle: $("handover-title"), handoverText: $("handover-text"),
  handback: $("handback"), resolve: $("resolve"), packet: $("packet"), packetToggle: $("packet-toggle"), packetSummary: $("packet-summary"),
  packetBody: $("packet-body"), transcript: $("transcript"), actionError: $("action-error"), replyForm: $("reply-form"), reply: $("reply"), back: $("back"),
  attach: $("attach"), attachFile: $("attach-file"),
};
const seen = new Set();
let packetOpen = null; // null: the default (open on desktop, closed on a phone) until the agent chooses
// The handoff details open in full the first time an agent opens a chat; after that (another chat, a reload) they are
// one line saying why, so the transcript has the room (at 1366x768 it had 45% of the chat column, the details and the
// ticket bar the rest). Per chat, for this browser tab: "seen", or the agent's own "open"/"closed".
const PACKET_SEEN = "cs_console_packets_v1";
const packetMemory = () => readJson(PACKET_SEEN, {}, session);
function rememberPacket(cid, how) {
  const all = packetMemory();
  delete all[cid];
  all[cid] = how;
  const ids = Object.keys(all);
  for (const old of ids.slice(0, Math.max(0, ids.length - 300))) delete all[old]; // a busy day's chats, not forever
  try { writeJson(PACKET_SEEN, all, session); } catch { /* full or refused: the default then */ }
}
function packetChoice(cid) {
  const how = packetMemory()[cid];
  return how === "open" ? true : how === "closed" || how === "seen" ? false : null;
}
let lastDetail = null;

let troubleShown = false; // the error on screen is the connection's or the service's: it goes when the console reconnects

export function showError(message, trouble = false) {
  // A reply waiting to go outranks any other trouble (and a cleared error): the agent must not lose sight of it.
  if ((!message || trouble) && unsent && unsent.kept && unsent.cid === state.currentId) [message, trouble] = [t("replyKept"), true];
  showMsg(els.actionError, message);
  troubleShown = Boolean(message) && trouble;
}

async function act(fn) {
  showError("");
  try { await fn(); } catch (e) { showError(e.message, isTransient(e)); }
}

export async function openConversation(cid) {
  if (state.currentId !== cid) { stopTyping(); resetTransferChoice(); packetOpen = packetChoice(cid); }
  state.currentId = cid;
  state.current = null;
  state.lastCustomerId = null;
  lastDetail = null;
  seen.clear();
  showCustomerTyping(false);
  resetSuggestions();
  resetDeliveries(); resetCustomer();
  state.unread.delete(cid);
  els.transcript.replaceChildren();
  els.packet.hidden = true;
  showError("");
  els.placeholder.hidden = true;
  els.conversation.hidden = false;
  els.app.classList.add("viewing");
  renderQueue(); renderMine(); renderRecent();
  await refreshCurrent();
}

export async function refreshCurrent() {
  const cid = state.currentId;
  if (!cid) return;
  try {
    const detail = await api(`/conversations/${encodeURIComponent(cid)}`);
    if (state.currentId === cid) showDetail(detail);
  } catch (e) {
    if (state.currentId !== cid) return;
    // A queued chat another agent took is no longer this agent's to see: it offers nothing to do any more
    // (a Claim left on screen would only be refused).
    if (e.status === 403) {
      els.claim.hidden = els.resolve.hidden = els.handback.hidden = els.transferBox.hidden = els.replyForm.hidden = true;
      const conv = state.current;
      if (conv && conv.status === "queued") {
        els.convSub.textContent = [named("statuses", "assigned"), LANGS[conv.language] || conv.language, channelName(conv.channel)].join(" · ");
      }
      showError(conv && conv.status === "queued" ? t("takenByOther") : e.message);
      return;
    }
    showError(e.message, isTransient(e));
  }
}

export function rerender() {
  if (!lastDetail) return;
  els.transcript.replaceChildren(); seen.clear(); showDetail(lastDetail);
  refreshCurrent(); // the lines since that detail (the agent's own replies and files were only added to the screen)
}

function showDetail(detail) {
  lastDetail = detail;
  state.current = detail.conversation;
  const conv = detail.conversation;
  els.convTitle.replaceChildren(el("span", null, customerLabel(conv)), el("span", "conv-short-id", shortId(conv)));
  const bits = [named("statuses", conv.status), LANGS[conv.language] || conv.language, channelName(conv.channel)];
  if (conv.customer_tier === "vip") bits.push(t("vip"));
  if (conv.agent && state.me && conv.agent !== state.me.username) bits.push(t("with", agentName(conv.agent)));
  if (conv.rating) bits.push(t("rated", conv.rating) + (conv.rating_comment ? ` · “${conv.rating_comment}”` : ""));
  els.convSub.textContent = bits.join(" · ");
  renderPacket(detail.packet);
  renderHandover(detail.handover);
  ticketHolder(conv.id, detail.ticket);
  showTicket(conv);
  const firstLoad = seen.size === 0;
  for (const m of detail.messages) addMessage(m);
  const mine = ownsCurrent();
  const had = els.conversation.contains(document.activeElement) ? document.activeElement : null;
  els.claim.hidden = conv.status !== "queued";
  els.resolve.hidden = els.handback.hidden = els.transferBox.hidden = !mine;
  els.replyForm.hidden = !mine;
  // Resolve, Hand back or Transfer hid the button that had the keyboard: it goes to the chat's heading (which reads
  // out its new status), not to the top of the page.
  if (had && had.closest("[hidden]")) els.convTitle.focus();
  if (!mine) { stopTyping(); showCustomerTyping(false); }
  showSuggestions(mine);
  showCustomer(conv); loadDeliveries(conv.id);
  showUnsentFiles();
  if (firstLoad) { stickBottom = true; els.transcript.scrollTop = els.transcript.scrollHeight; }
}

// A colleague by the name the team knows them by (李娜), as the transfer list and the customer's chat say it, not
// their sign-in name (li).
function agentName(username) {
  const agent = state.agents.find((a) => a.username === username);
  return (agent && agent.display_name) || username;
}

// What the colleague who transferred the chat wrote for its new agent: above everything else in the chat.
function renderHandover(note) {
  els.handover.hidden = !note;
  if (!note) return;
  els.handoverTitle.textContent = t("handoverFrom", agentName(note.author), fmtTime(note.ts, i18n.locale));
  els.handoverText.textContent = note.text;
}

function applyPacketOpen() {
  const open = packetOpen ?? !PHONE.matches;
  els.packetToggle.setAttribute("aria-expanded", String(open));
  els.packetBody.hidden = !open;
  els.packet.classList.toggle("collapsed", !open);
}
els.packetToggle.addEventListener("click", () => {
  packetOpen = els.packetToggle.getAttribute("aria-expanded") !== "true";
  if (state.currentId) rememberPacket(state.currentId, packetOpen ? "open" : "closed");
  applyPacketOpen();
});
PHONE.addEventListener("change", () => { if (packetOpen === null) applyPacketOpen(); });

function renderPacket(packet) {
  els.packet.hidden = !packet;
  if (!packet) return;
  els.packetSummary.textContent = [named("reasons", packet.reason), named("categories", packet.category)].filter(Boolean).join(" · ");
  const grid = el("dl", "packet-grid");
  const add = (k, v) => { if (!v) return; const d = el("div"); d.append(el("dt", null, k), el("dd", null, v)); grid.append(d); };
  add(t("reason"), named("reasons", packet.reason));
  add(t("category"), named("categories", packet.category));
  add(t("language"), LANGS[packet.language] || packet.language);
  add(t("tier"), named("tiers", packet.customer_tier));
  const parts = [grid];
  if (packet.summary) parts.push(el("p", "summary", packet.summary));
  if (packet.not_helpful && packet.not_helpful.length) {
    parts.push(el("h3", null, t("votedDown")));
    const ul = el("ul", "tried voted");
    for (const v of packet.not_helpful) ul.append(el("li", null, t("votedDownLine", v.question || "…", v.entry_question || v.entry_id || "…")));
    parts.push(ul);
  }
  if (packet.tried && packet.tried.length) {
    parts.push(el("h3", null, t("tried")));
    const ul = el("ul", "tried");
    for (const entry of packet.tried) {
      const li = el("li");
      li.append(el("span", null, entry.question || entry.id));
      const score = Number(entry.score);
      li.append(el("span", `score${score < 0.5 ? " low" : ""}`, Number.isFinite(score) ? score.toFixed(2) : ""));
      ul.append(li);
    }
    parts.push(ul);
  } else parts.push(el("p", "muted", t("triedNone")));
  els.packetBody.replaceChildren(...parts);
  applyPacketOpen();
  if (state.currentId && !packetMemory()[state.currentId]) rememberPacket(state.currentId, "seen"); // folded next time
}

export function addMessage(m) {
  if (!m || !m.id || seen.has(m.id)) return;
  seen.add(m.id);
  const row = el("div", `msg ${m.sender}`);
  row.dataset.id = m.id;
  if (m.sender !== "system") {
    const who = el("div", "who");
    if (m.sender === "bot") who.append(el("span", "badge botb", t("bot")));
    else if (m.sender === "agent") who.append(el("span", "badge", t("agent")), el("span", null, m.author || ""));
    else who.append(el("span", null, state.current ? customerLabel(state.current) : t("customer")));
    if (m.meta && m.meta.edited_of !== undefined) who.append(el("span", "badge", t("edited"))); // corrected on their app: a new line, the old one kept
    who.append(el("time", null, fmtTime(m.ts, i18n.locale)));
    row.append(who);
  }
  const text = el("div", "text");
  // what the customer sees: markdown from the bot and agents, plain text (links made clickable) from the customer
  text.append(m.sender === "bot" || m.sender === "agent" ? renderMarkdown(m.text) : m.sender === "customer" ? linkify(m.text) : document.createTextNode(m.text));
  row.append(text);
  const offered = offeredChoices(m);
  if (offered) row.append(offered);
  const attachment = attachmentOf(m); // the photo or file itself, fetched from the channel
  if (attachment) row.append(attachment);
  decorateMessage(row, m);
  const atBottom = els.transcript.scrollHeight - els.transcript.scrollTop - els.transcript.clientHeight < 80;
  els.transcript.append(row);
  if (atBottom || m.sender === "agent") els.transcript.scrollTop = els.transcript.scrollHeight;
  if (m.sender === "customer") {
    if (!state.lastCustomerId || idAfter(m.id, state.lastCustomerId)) state.lastCustomerId = m.id;
    showCustomerTyping(false);
    scheduleSuggestions();
  }
}

// The choices a bot line gave the customer ("which of these did you mean?", "none of these, talk to a person"), as
// the customer saw them: without them the agent reads a question with nothing to choose from. Shown, not clickable.
function offeredChoices(m) {
  const buttons = m.sender === "bot" && m.meta && Array.isArray(m.meta.buttons) ? m.meta.buttons.filter((b) => b && b.title) : [];
  if (!buttons.length) return null;
  const list = el("ul", "offered");
  list.setAttribute("aria-label", t("offered"));
  list.title = t("offered");
  for (const b of buttons) list.append(el("li", null, b.title));
  return list;
}

// Stay pinned to the newest line while the transcript is resized (panels appearing, phone rotation).
// Only a scroll up lets go: a scroll down to the end, reported after a photo above already grew the transcript, is
// still at the end as far as the agent is concerned.
let stickBottom = true;
let lastTop = 0;
els.transcript.addEventListener("scroll", () => {
  const t = els.transcript;
  const atEnd = t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  if (atEnd || t.scrollTop < lastTop) stickBottom = atEnd;
  lastTop = t.scrollTop;
});
new ResizeObserver(() => { if (stickBottom) els.transcript.scrollTop = els.transcript.scrollHeight; }).observe(els.transcript);
// A photo grows its line once it loads (after the line was shown): the newest line stays in view.
els.transcript.addEventListener("load", (ev) => {
  if (ev.target.tagName === "IMG" && stickBottom) els.transcript.scrollTop = els.transcript.scrollHeight;
}, true);

export async function claimConversation(cid) {
  await act(async () => {
    const detail = await api(`/conversations/${encodeURIComponent(cid)}/claim`, { method: "POST" });
    if (state.currentId !== cid) await openConversation(cid);
    showDetail(detail);
    refreshLists();
    els.reply.focus();
  });
  if (els.actionError.textContent && state.currentId !== cid) await openConversation(cid);
  // Refused (another agent was quicker, or this one is full): the chat as it is now, its reason still on screen.
  else if (els.actionError.textContent && state.currentId === cid) await refreshCurrent();
}

const post = (action, body) => api(`/conversations/${encodeURIComponent(state.currentId)}/${action}`, { method: "POST", body });
els.claim.addEventListener("click", () => state.currentId && claimConversation(state.currentId));
// Closing says what the agent was shown: a message the customer wrote after it refuses the close (409), and is read first.
const closing = () => (state.lastCustomerId ? { seen: state.lastCustomerId } : {});
els.resolve.addEventListener("click", () => act(async () => { showDetail(await post("resolve", closing())); refreshLists(); }));
els.handback.addEventListener("click", () => act(async () => { showDetail(await post("handback", closing())); refreshLists(); }));
els.transfer.addEventListener("click", () => act(async () => {
  if (!els.transferTo.value) return;
  showDetail(await post("transfer", { to: els.transferTo.value, note: els.transferNote.value.trim() }));
  els.transferNote.value = "";
  refreshLists();
  loadAgents();
}));
els.back.addEventListener("click", () => {
  stopTyping();
  showCustomerTyping(false);
  resetSuggestions();
  state.currentId = null;
  els.conversation.hidden = true;
  els.placeholder.hidden = false;
  els.app.classList.remove("viewing");
  renderQueue(); renderMine(); renderRecent();
});

// A reply the hub has not confirmed yet: { cid, text, id, sending, kept }. It is sent under a client message id, so
// sending it again (after a lost answer, the hub restarting) stores it once. While the service cannot be reached the
// text stays in the box (kept: the agent is told so until it is delivered), and goes by itself when the connection is
// back (or when the agent presses Send again).
let unsent = null;
let resendTimer = null;
// How long a send may go unanswered before the agent is told the reply is kept: a hub whose store is frozen answers
// 503 only after its command timeout, and the browser queues this request behind the page's other stalled ones
// (six per host), so the answer itself can take half a minute.
const REPLY_PATIENCE_MS = 8000;

async function sendReply(reply) {
  if (reply.sending) return;
  reply.sending = true;
  clearTimeout(resendTimer);
  const slow = setTimeout(() => {
    if (unsent !== reply) return;
    reply.kept = true;
    showError(t("replyKept"), true);
  }, REPLY_PATIENCE_MS);
  try {
    const m = await api(`/conversations/${encodeURIComponent(reply.cid)}/messages`, { method: "POST", body: { text: reply.text, client_message_id: reply.id } });
    if (unsent === reply) unsent = null;
    if (els.reply.value.trim() === reply.text) els.reply.value = "";
    if (troubleShown) showError("");
    if (reply.cid === state.currentId) addMessage(m);
  } catch (e) {
    if (unsent !== reply) return;
    if (isTransient(e)) {
      reply.kept = e.status !== 429;  // too many requests: its own message says when to try again
      showError(e.status === 429 ? e.message : t("replyKept"), true);
      resendTimer = setTimeout(resendReply, 1000 * Math.max(e.retryAfter || 0, 5));
    } else {
      unsent = null;
      showError(e.message);
    }
  } finally {
    clearTimeout(slow);
    reply.sending = false;
  }
}

// Only while the box still holds it: a reply the agent changed or cleared meanwhile is theirs to send.
function resendReply() {
  if (unsent && els.reply.value.trim() === unsent.text) sendReply(unsent);
  else unsent = null;
}

// The live link is back (live.js): a connection error on screen is over, and a reply left waiting goes now.
export function connectionBack() {
  if (troubleShown) showError("");
  resendReply();
}

els.replyForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = els.reply.value.trim();
  if (!text || !state.currentId) return;
  stopTyping();
  showError("");
  // Send pressed again for the same reply to the same chat: the same id, so it can never arrive twice.
  if (!unsent || unsent.cid !== state.currentId || unsent.text !== text) unsent = { cid: state.currentId, text, id: newClientId(), sending: false };
  sendReply(unsent);
});
els.reply.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); els.replyForm.requestSubmit(); }
});

// A picture or a PDF for the customer (a return label, a size chart): checked here against what the hub takes, then
// sent as the file itself; the hub reads its type from its bytes and says why it refuses, in the agent's language.
let sendLimits = null;
async function limits() {
  if (!sendLimits) {
    try { sendLimits = await api("/attachments/limits"); } catch { return { max_bytes: 0, types: [] }; }
  }
  return sendLimits;
}

function attachRefusal(e, maxBytes) {
  const said = t("attachRefused");
  const mb = Math.floor((maxBytes || 0) / 1048576) || "?";
  if (e.status === 413) return said.too_large(mb);
  return said[e.code] || e.message;
}

els.attach.addEventListener("click", () => els.attachFile.click());
els.attachFile.addEventListener("change", () => {
  const file = els.attachFile.files && els.attachFile.files[0];
  els.attachFile.value = "";
  sendFile(file);
});

// Dropped onto the reply box (a label from the desktop) or pasted into it (a screenshot): sent like a picked file.
// Only while the reply box is shown, i.e. the chat is the agent's; pasted words stay the box's.
function fileIn(data) {
  for (const item of (data && data.items) || []) {
    if (item.kind === "file") return item.getAsFile();
  }
  return null;
}
const carriesFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files");
els.replyForm.addEventListener("dragover", (ev) => {
  if (!carriesFiles(ev)) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = "copy";
  els.replyForm.classList.add("dropping");
});
els.replyForm.addEventListener("dragleave", (ev) => {
  if (!els.replyForm.contains(ev.relatedTarget)) els.replyForm.classList.remove("dropping");
});
els.replyForm.addEventListener("drop", (ev) => {
  els.replyForm.classList.remove("dropping");
  if (!carriesFiles(ev)) return;
  ev.preventDefault();
  sendFile(fileIn(ev.dataTransfer));
});
els.reply.addEventListener("paste", (ev) => {
  const file = fileIn(ev.clipboardData);
  if (!file) return;
  ev.preventDefault();
  sendFile(file);
});

// How much of a file has gone, along the top of the reply box while it is sent (a photo over a slow line takes a while).
function showSending(part) {
  let bar = els.replyForm.querySelector("progress.upload");
  if (!bar) {
    bar = el("progress", "upload");
    bar.max = 100;
    bar.dataset.i18nAria = "attachSending"; // follows a switch of language (i18n.apply)
    bar.setAttribute("aria-label", t("attachSending"));
    els.replyForm.append(bar);
  }
  bar.value = Math.round(part * 100);
}

// A file whose sending failed on the way (the connection dropped, the hub restarted): kept in this page under its
// chat, shown at the end of the transcript as not sent, with "Retry" (sent again under the same client message id,
// so a send whose answer was lost is stored once) and "Discard". A refusal (not a picture or a PDF, too large, not
// the agent's chat any more) is said at once instead: sending it again would be refused again.
const unsentFiles = new Map(); // client message id -> { cid, id, file, name, sending, error }

const sendFile = (file) => act(async () => {
  const cid = state.currentId;
  if (!file || !cid) return;
  const { max_bytes: maxBytes, types } = await limits();
  if (types.length && file.type && !types.includes(file.type)) throw new Error(t("attachRefused").not_a_picture_or_pdf);
  if (maxBytes && file.size > maxBytes) throw new Error(attachRefusal({ status: 413 }, maxBytes));
  await sendJob({ cid, id: newClientId(), file, name: file.name || "", sending: false, error: null }, maxBytes);
});

// Worth sending again: what api.js calls transient (no answer, busy, briefly away), or any other failure of the
// service (5xx); a 4xx is the hub's refusal.
const retryable = (e) => isTransient(e) || e.status >= 500;

async function sendJob(job, maxBytes) {
  if (job.sending) return; // Retry pressed twice: one send at a time (the same id either way)
  job.sending = true;
  showUnsent(job);
  els.attach.setAttribute("aria-busy", "true");
  try {
    const query = new URLSearchParams({ name: job.name, client_message_id: job.id });
    const m = await api(`/conversations/${encodeURIComponent(job.cid)}/attachments?${query}`, { method: "POST", form: job.file, onProgress: showSending });
    unsentFiles.delete(job.id);
    dropUnsent(job.id);
    if (job.cid === state.currentId) addMessage(m);
  } catch (e) {
    if (!retryable(e)) {
      unsentFiles.delete(job.id);
      dropUnsent(job.id);
      throw new Error(attachRefusal(e, maxBytes ?? (sendLimits && sendLimits.max_bytes)));
    }
    job.error = e;
    unsentFiles.set(job.id, job);
  } finally {
    job.sending = false;
    els.attach.removeAttribute("aria-busy");
    els.replyForm.querySelector("progress.upload")?.remove();
    if (unsentFiles.has(job.id)) showUnsent(job);
  }
}

const unsentRow = (id) => els.transcript.querySelector(`.msg.unsent[data-client="${CSS.escape(id)}"]`);

// Its line goes (sent, refused or discarded); the keyboard, if it was on the line, goes to the reply box.
function dropUnsent(id) {
  const row = unsentRow(id);
  if (!row) return;
  const focused = row.contains(document.activeElement);
  row.remove();
  if (focused) els.reply.focus();
}

// The line of a file not sent (yet), at the end of its chat's transcript: its name, why, Retry and Discard.
function showUnsent(job) {
  if (job.cid !== state.currentId) return;
  let row = unsentRow(job.id);
  if (!row) {
    if (!unsentFiles.has(job.id)) return; // a first send under way: its progress bar says so
    row = el("div", "msg agent unsent");
    row.dataset.client = job.id;
    els.transcript.append(row);
    els.transcript.scrollTop = els.transcript.scrollHeight;
  }
  const retry = button("ghost", t("fileRetry"), () => act(() => sendJob(job)), t("fileRetryLabel", job.name));
  if (job.sending) retry.setAttribute("aria-disabled", "true");
  const discard = button("ghost", t("fileDiscard"), () => {
    if (job.sending) return;
    unsentFiles.delete(job.id);
    dropUnsent(job.id);
  }, t("fileDiscardLabel", job.name));
  // why, in the agent's language at the time it is drawn (a switch of language draws it again)
  const why = job.error ? troubleText(job.error, i18n.lang) || job.error.message : "";
  const note = el("p", "attachment-error", job.sending ? t("fileSendingAgain") : t("fileNotSent", why));
  note.setAttribute("role", job.sending ? "status" : "alert");
  const actions = el("div", "unsent-actions");
  actions.append(retry, discard);
  const hadFocus = row.contains(document.activeElement);
  row.replaceChildren(el("div", "text", job.name || t("fileUnnamed")), note, actions);
  if (hadFocus) retry.focus();
}

// After the transcript is drawn again (a chat opened, a switch of language): its files not sent, at its end.
function showUnsentFiles() {
  for (const job of unsentFiles.values()) if (job.cid === state.currentId) showUnsent(job);
}
