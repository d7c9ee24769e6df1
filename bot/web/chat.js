// Customer chat (full page at /chat, and inside the widget's iframe with ?embed=1): wires the parts together and starts.
// REST to start and send, a WebSocket for live updates; every text from people and the bot is rendered safely (markdown.js).
import { closePanel, embedded, listenToHost, noticeReply, renderSound } from "./attention.js";
import { connection } from "./connection.js";
import { renderCounter, restoreDraft, setText } from "./composer.js";
import * as live from "./live.js";
import * as log from "./log.js";
import * as outbox from "./outbox.js";
import "./pictures.js";
import { renderRating, renderStars } from "./rating.js";
import { announceStarted, api, chooseLanguage, create, forget, loadLimits, onView, savedConversation, session, updateView } from "./session.js";
import { renderStatus } from "./status.js";
import { i18n, t } from "./texts.js";

const langButton = document.getElementById("lang");

function applyLanguage() {
  i18n.apply();
  document.getElementById("lang-text").textContent = t("switch_label");
  langButton.setAttribute("aria-label", t("switch_lang"));
  langButton.title = t("switch_lang");
  document.getElementById("log").setAttribute("aria-label", t("log_label"));
  renderStars();
  renderStatus();
  renderSound();
  renderCounter();
  connection.render();
  log.relabel();
}

// Messages the live link may have missed (e.g. the bot's follow-up to a vote while it reconnects).
async function catchUp() {
  const after = log.lastMessageId();
  const messages = await api(`/api/conversations/${session.id}/messages${after ? `?after=${encodeURIComponent(after)}` : ""}`);
  for (const m of messages) log.addMessage(m, { live: true });
}

log.hooks.choose = (title, payload) => outbox.send(title, payload);
log.hooks.vote = async (messageId, helpful) => {
  try {
    await api(`/api/conversations/${session.id}/feedback`, { method: "POST", body: { message_id: messageId, helpful } });
    if (!helpful) await catchUp().catch(() => {});
    return true;
  } catch { return false; }
};
log.hooks.arrived = (m, isLive) => { renderStatus(); if (isLive) noticeReply(m); };
outbox.hooks.edit = setText;
live.hooks.opened = () => { connection.serviceBack(); outbox.flush(); };
// The hub refused the live link with 4403: this conversation no longer exists (erased for privacy or by retention).
// Rather than reconnect forever, start a new one and say so; the old transcript is gone from the page too.
live.hooks.gone = () => {
  log.reset();
  log.welcome();
  log.notice("chat_gone");
  renderStatus();
  renderRating();
  starting = null;
  begin();
};
onView(() => { renderStatus(); renderRating(); });
i18n.onChange(applyLanguage);
langButton.addEventListener("click", () => { i18n.set(i18n.lang === "zh" ? "en" : "zh"); chooseLanguage(i18n.lang); });
window.addEventListener("online", () => { connection.online(); live.reconnectNow(); outbox.flush(); });
document.getElementById("close").addEventListener("click", closePanel);
// Escape on a picture shown full size closes the picture only (pictures.js), not the widget's panel.
document.addEventListener("keydown", (ev) => { if (embedded && ev.key === "Escape" && !ev.isComposing && !document.querySelector("dialog[open]")) closePanel(); });

async function resume(saved) {
  session.id = saved.id;
  session.token = saved.token;
  const [view, messages] = await Promise.all([api(`/api/conversations/${session.id}`), api(`/api/conversations/${session.id}/messages`)]);
  for (const m of messages) log.addMessage(m);
  updateView(view);
  announceStarted();
  outbox.restore();
  live.connect();
}

const focusInput = () => document.getElementById("input").focus();

let starting = null;
// Start (or resume) the conversation once; in the widget a new one starts only when the panel is first opened.
function begin() {
  starting = starting || (async () => {
    try {
      await create(i18n.lang);
      connection.startFailed(false);
      outbox.flush();
      live.connect();
    } catch (e) {
      // Tried again by itself: after the wait the hub names when too many chats were started from this network
      // (a shared address: an office, a campus, a carrier's NAT), else in a few seconds.
      const wait = e.status === 429 && e.retryAfter > 0 ? e.retryAfter : 0;
      connection.startFailed(true, wait);
      starting = null;
      setTimeout(begin, wait ? wait * 1000 : 5000);
    }
  })();
  return starting;
}

// Resume the saved conversation (retrying while the service is away), else start one: at once on the full page,
// at the first opening of the panel in the widget.
async function open() {
  const saved = savedConversation();
  if (saved) {
    try { await resume(saved); connection.reconnecting(false); listenToHost(focusInput); return; } catch (e) {
      if (e.status !== 403 && e.status !== 404) { connection.reconnecting(true); setTimeout(open, 3000); return; }
      forget();
    }
  }
  if (!(embedded && listenToHost(() => { begin(); focusInput(); }))) begin();
}

if (embedded) document.body.classList.add("embed");
applyLanguage();
log.welcome();
outbox.restore(); // what was typed before a conversation existed, if anything
restoreDraft();
loadLimits().then(renderCounter);
open();
