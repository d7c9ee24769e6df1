// The message box: nothing typed is lost (a draft in local storage until it is sent), the length limit is shown
// before it is reached, and an assigned agent sees that the customer is typing.
import { storage } from "/static/common/storage.js";
import { send as sendFrame } from "./live.js";
import { send } from "./outbox.js";
import { session, status } from "./session.js";
import { t } from "./texts.js";

const DRAFT = "cs_chat_draft";
const SHOW_COUNTER_AT = 0.8; // of the limit
const TYPING_THROTTLE_MS = 2000; // resend "active" at most this often while typing
const TYPING_IDLE_MS = 3000;     // send "inactive" this long after the last keystroke

const form = document.getElementById("composer");
const input = document.getElementById("input");
const counter = document.getElementById("counter");
const sendButton = document.getElementById("send");
const typing = { active: false, at: 0, stopTimer: null };

function tooLong() { return session.maxChars !== null && input.value.length > session.maxChars; }

export function renderCounter() {
  const limit = session.maxChars, used = input.value.length;
  const show = limit !== null && used >= limit * SHOW_COUNTER_AT;
  counter.hidden = !show;
  const over = tooLong();
  counter.classList.toggle("over", over);
  if (show) counter.textContent = over ? t("too_long", { over: used - limit, limit }) : t("counter", { used, limit });
  input.setAttribute("aria-invalid", String(over));
  sendButton.setAttribute("aria-disabled", String(over));
}

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(140, input.scrollHeight)}px`;
}

export function setText(text) {
  input.value = text;
  storage.setItem(DRAFT, text);
  autosize();
  renderCounter();
  input.focus();
}

function sendTyping(active) {
  sendFrame({ type: "typing", active });
  typing.active = active;
  typing.at = active ? Date.now() : 0;
}

// Only a person (an assigned agent) can see the notice, so only send while one is in the chat.
function customerTyping() {
  clearTimeout(typing.stopTimer);
  if (!input.value.trim() || status() !== "assigned") { stopTyping(); return; }
  if (!typing.active || Date.now() - typing.at >= TYPING_THROTTLE_MS) sendTyping(true);
  typing.stopTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(typing.stopTimer);
  if (typing.active) sendTyping(false);
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (!input.value.trim() || tooLong()) { renderCounter(); input.focus(); return; }
  const text = input.value;
  input.value = "";
  storage.removeItem(DRAFT);
  autosize();
  renderCounter();
  stopTyping();
  send(text);
});
input.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
});
input.addEventListener("input", () => {
  storage.setItem(DRAFT, input.value);
  autosize();
  renderCounter();
  customerTyping();
});
input.addEventListener("blur", () => { if (!input.value.trim()) stopTyping(); });

export function restoreDraft() {
  const draft = storage.getItem(DRAFT);
  if (draft) { input.value = draft; autosize(); }
  renderCounter();
}
