// Each line's channel, and for lines sent to a messaging channel how the delivery went: sending, delivered, failed and retrying, not delivered (with why).
import { el } from "/static/common/dom.js";
import { channelName, ct } from "./channel-texts.js";
import { api, state } from "./state.js";

const known = new Map(); // message id -> delivery, for the open conversation

export function resetDeliveries() { known.clear(); }

// Called for every line as it is drawn: a channel badge, and a delivery line filled when its state is known.
export function decorateMessage(row, m) {
  const who = row.querySelector(".who");
  if (m.channel && who && (m.sender === "customer" || m.channel !== "web")) {
    const badge = el("span", `channel-badge ch-${m.channel}`, channelName(m.channel));
    badge.dataset.channel = m.channel;
    who.prepend(badge);
  }
  if (m.sender !== "customer") {
    const line = el("span", "delivery");
    line.dataset.mid = m.id;
    line.hidden = true;
    line.setAttribute("role", "status");
    row.append(line);
    if (known.has(m.id)) paint(line, known.get(m.id));
  }
}

export async function loadDeliveries(cid) {
  try {
    const all = await api(`/conversations/${encodeURIComponent(cid)}/deliveries`);
    if (cid !== state.currentId) return;
    for (const [mid, d] of Object.entries(all || {})) show(mid, d);
  } catch { /* not allowed to read it, or offline: lines simply show no delivery */ }
}

// A live "delivery" frame from the hub.
export function onDelivery(frame) {
  if (frame.conversation_id === state.currentId) show(frame.message_id, frame.delivery);
}

function show(mid, delivery) {
  known.set(mid, delivery);
  const line = document.querySelector(`.delivery[data-mid="${CSS.escape(mid)}"]`);
  if (line) paint(line, delivery);
}

function paint(line, d) {
  line.hidden = false;
  line.className = `delivery ${d.state}`;
  line.dataset.state = d.state;
  const channel = channelName(d.channel);
  if (d.state === "delivered") line.textContent = `✓ ${ct("deliveredVia", channel)}`;
  else if (d.state === "retrying") line.textContent = `⟳ ${ct("retryingWhy", d.error || "")}`;
  else if (d.state === "failed") line.textContent = `✕ ${ct("failedWhy", d.error || "")}`;
  else line.textContent = `… ${(ct("delivery") || {}).pending}`;
}
