// What the customer is told about the connection: offline, the service briefly away, or the live link reconnecting.
import { t } from "./texts.js";

const bar = document.getElementById("conn");
const state = { offline: !navigator.onLine, serviceAway: false, tooFast: 0, reconnecting: false, startFailed: false };

function render() {
  const key = state.offline ? "offline" : state.startFailed ? "start_failed" : state.serviceAway ? "unavailable"
    : state.tooFast ? "too_fast" : state.reconnecting ? "reconnecting" : "";
  bar.hidden = !key;
  bar.textContent = key ? t(key, { seconds: state.tooFast }) : "";
  bar.dataset.state = key;
}

export const connection = {
  offline() { state.offline = true; render(); },
  online() { state.offline = false; render(); },
  serviceAway() { state.serviceAway = true; render(); },
  tooFast(seconds) { state.tooFast = seconds; render(); },  // rate-limited (429): sent again by itself after this long
  serviceBack() { state.serviceAway = false; state.tooFast = 0; render(); },
  reconnecting(on) { state.reconnecting = on; render(); },
  startFailed(on) { state.startFailed = on; render(); },
  render,
};

window.addEventListener("offline", () => connection.offline());
render();
