// Typing notices, both ways (ephemeral: never part of the transcript): "Customer is typing…" in the open chat,
// and the agent's own typing sent to the customer, throttled.
import { $ } from "/static/common/dom.js";
import { customerLabel, ownsCurrent, state } from "./state.js";
import { t } from "./texts.js";

const TYPING_THROTTLE_MS = 2000; // resend "active" at most this often while the agent types
const TYPING_IDLE_MS = 3000;     // send "inactive" this long after the last keystroke
const TYPING_SHOW_MS = 5000;     // hide the customer's notice if nothing new arrives for this long

export const hooks = { send: null }; // the live link's sender, set by console.js
const pill = $("typing"), pillText = $("typing-text"), reply = $("reply");
const incoming = { timer: null };
const out = { cid: null, active: false, at: 0, stopTimer: null };

export function showCustomerTyping(active) {
  clearTimeout(incoming.timer);
  if (active && state.currentId) {
    pillText.textContent = t("isTyping", state.current ? customerLabel(state.current) : t("theCustomer"));
    pill.hidden = false;
    incoming.timer = setTimeout(() => showCustomerTyping(false), TYPING_SHOW_MS);
  } else pill.hidden = true;
}

function sendTyping(cid, active) {
  if (!cid || !hooks.send || !hooks.send({ type: "typing", conversation_id: cid, active })) return;
  Object.assign(out, { cid: active ? cid : null, active, at: active ? Date.now() : 0 });
}

export function agentTyping() {
  clearTimeout(out.stopTimer);
  if (!reply.value.trim() || !ownsCurrent()) { stopTyping(); return; }
  if (out.cid && out.cid !== state.currentId) stopTyping();
  if (!out.active || Date.now() - out.at >= TYPING_THROTTLE_MS) sendTyping(state.currentId, true);
  out.stopTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

export function stopTyping() {
  clearTimeout(out.stopTimer);
  if (out.active) sendTyping(out.cid, false);
}

reply.addEventListener("input", agentTyping);
