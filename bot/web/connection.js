// What the customer is told about the connection: offline, the service briefly away, or the live link reconnecting.
import { t } from "./texts.js";

const bar = document.getElementById("conn");
// startWait: the hub refused to start the chat for now (too many started from this network), seconds until it starts.
// tooManyWindows: the hub turned the live link away, too many open for this chat (or from this network); it retries.
const state = { offline: !navigator.onLine, serviceAway: false, tooFast: 0, reconnecting: false, tooManyWindows: false, startFailed: false, startWait: 0 };

function render() {
  const key = state.offline ? "offline" : state.startWait ? "start_wait" : state.startFailed ? "start_failed" : state.serviceAway ? "unavailable"
    : state.tooFast ? "too_fast" : state.tooManyWindows ? "too_many_windows" : state.reconnecting ? "reconnecting" : "";
  bar.hidden = !key;
  bar.textContent = key ? t(key, { seconds: state.tooFast, minutes: Math.max(1, Math.ceil(state.startWait / 60)) }) : "";
  bar.dataset.state = key;
}

export const connection = {
  offline() { state.offline = true; render(); },
  online() { state.offline = false; render(); },
  serviceAway() { state.serviceAway = true; render(); },
  tooFast(seconds) { state.tooFast = seconds; render(); },  // rate-limited (429): sent again by itself after this long
  serviceBack() { state.serviceAway = false; state.tooFast = 0; render(); },
  // A request the service turned away for now (api.js isTransient) and sent again by itself (a message, the request
  // for a person): the line says why, and the answer is how long to wait, in ms: as long as the hub asked
  // (Retry-After), and 1, 2, 4 … 15 s by attempt.
  backOff(err, attempt) {
    const ms = 1000 * Math.max(err.retryAfter || 0, Math.min(2 ** attempt, 15));
    if (err.status === 429) state.tooFast = Math.ceil(ms / 1000); else state.serviceAway = true;
    render();
    return ms;
  },
  reconnecting(on, tooMany = false) { state.reconnecting = on; state.tooManyWindows = on && tooMany; render(); },
  // The chat could not start (on: true) and is tried again by itself; waitSeconds: the hub said when (429).
  startFailed(on, waitSeconds = 0) { state.startFailed = on; state.startWait = on ? waitSeconds : 0; render(); },
  render,
};

window.addEventListener("offline", () => connection.offline());
render();
