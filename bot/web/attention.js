// Getting the customer's attention for a reply they have not seen: the page title and favicon (full-page chat),
// the launcher's unread badge and preview (widget, via its host page), and an optional chime.
import { chime, createAttention, pageSeen } from "/static/common/attention.js";
import { markdownToText } from "/static/common/markdown.js";
import { storage } from "/static/common/storage.js";
import { t } from "./texts.js";

const SOUND = "cs_chat_sound";
const params = new URLSearchParams(location.search);
export const embedded = params.get("embed") === "1";
// The widget's host page, the only origin this frame talks to (postMessage needs an exact target).
const host = embedded && window.parent !== window ? params.get("host") : null;
let panelOpen = !embedded;
const title = createAttention({ title: t("title") });
const soundButton = document.getElementById("sound");

export function soundOn() { return storage.getItem(SOUND) === "on"; }

export function renderSound() {
  const on = soundOn();
  soundButton.setAttribute("aria-pressed", String(on));
  soundButton.setAttribute("aria-label", on ? t("sound_on") : t("sound_off"));
  soundButton.title = on ? t("sound_on") : t("sound_off");
  soundButton.classList.toggle("on", on);
  title.setTitle(t("title"));
}
soundButton.addEventListener("click", () => { storage.setItem(SOUND, soundOn() ? "off" : "on"); renderSound(); if (soundOn()) chime(); });

function tellHost(message) { if (host) window.parent.postMessage({ source: "cs-chat", ...message }, host); }

function seen() { return embedded ? panelOpen && document.visibilityState === "visible" : pageSeen(); }

// A message from the bot, an agent or the service arrived now.
export function noticeReply(m) {
  if (m.sender === "customer" || seen()) return;
  title.bump();
  // The preview is plain text on the shop's page: the reply's words as the chat shows them, never its markdown.
  const text = m.sender === "bot" || m.sender === "agent" ? markdownToText(m.text) : String(m.text || "");
  tellHost({ type: "unread", count: title.count, preview: { author: m.author || "", sender: m.sender, text: text.slice(0, 140) } });
  if (soundOn()) chime();
}

function caughtUp() {
  if (!seen()) return;
  title.clear();
  tellHost({ type: "unread", count: 0, preview: null });
}
window.addEventListener("focus", caughtUp);
document.addEventListener("visibilitychange", caughtUp);

// opened: the widget panel is shown (first time: start the conversation). False if there is no host page to listen to.
let listening = false;
export function listenToHost(opened) {
  if (!host) return false;
  if (listening) return true;
  listening = true;
  window.addEventListener("message", (ev) => {
    if (ev.origin !== host || ev.source !== window.parent || !ev.data || ev.data.source !== "cs-widget") return;
    if (ev.data.type === "panel") {
      panelOpen = Boolean(ev.data.open);
      if (panelOpen) { caughtUp(); opened(); }
    }
  });
  tellHost({ type: "ready" });
  return true;
}

// Esc, or the header's close button, closes the widget panel (the host page owns it).
export function closePanel() { tellHost({ type: "close" }); }
