// The console's live link (WebSocket): queue moves, new messages in my chats, typing, presence; reconnects by itself.
import { parseShown } from "/static/common/text.js";
import { $ } from "/static/common/dom.js";
import { addMessage, connectionBack, refreshCurrent } from "./conversation.js";
import { onDelivery } from "./delivery.js";
import { presenceChanged, refreshLists, refreshQueue, renderMine } from "./lists.js";
import { state } from "./state.js";
import { teamChanged } from "./team.js";
import { t } from "./texts.js";
import { ticketEvent } from "./tickets.js";
import { showCustomerTyping } from "./typing.js";

export const hooks = { signedOut: null, myPresence: null };
const conn = $("conn");
let ws = null, retry = 0, ping = null;

export function send(frame) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(frame));
  return true;
}

export function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${proto}//${location.host}/api/agent/ws?token=${encodeURIComponent(state.token)}`);
  ws = socket;
  socket.onopen = () => {
    retry = 0;
    conn.textContent = "";
    connectionBack();
    refreshLists();
    if (state.currentId) refreshCurrent();
    clearInterval(ping);
    ping = setInterval(() => { if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" })); }, 20000);
  };
  socket.onmessage = (ev) => {
    let data; try { data = parseShown(ev.data); } catch { return; }
    onEvent(data);
  };
  socket.onclose = (ev) => {
    if (ws !== socket) return;
    ws = null;
    if (ev.code === 4401) { hooks.signedOut(); return; }
    // 1013 "too many open connections ...": this agent (or this network) has too many consoles open; try again now and then.
    const tooMany = ev.code === 1013 && (ev.reason || "").startsWith("too many open");
    conn.textContent = t(tooMany ? "tooManyConsoles" : "reconnecting");
    setTimeout(() => { if (state.token) connect(); }, tooMany ? 15000 : Math.min(15000, 500 * 2 ** retry++));
  };
}

export function disconnect() {
  clearInterval(ping);
  if (ws) { const socket = ws; ws = null; socket.close(); }
}

function onEvent(data) {
  if (data.type === "conversation_changed") {
    refreshLists();
    teamChanged();
    if (data.conversation_id === state.currentId) refreshCurrent();
  } else if (data.type === "customer_message") {
    if (data.conversation_id === state.currentId) refreshCurrent();
    else if (!data.agent) refreshQueue();
  } else if (data.type === "message" && data.message) {
    const m = data.message;
    if (m.conversation_id === state.currentId) addMessage(m);
    else if (m.sender === "customer") {
      state.unread.set(m.conversation_id, (state.unread.get(m.conversation_id) || 0) + 1);
      renderMine();
    }
  } else if (data.type === "typing" && data.sender === "customer") {
    if (data.conversation_id === state.currentId) showCustomerTyping(Boolean(data.active));
  } else if (data.type === "resync") { // the hub may have missed updates (its data store restarted): reload
    refreshLists();
    refreshCurrent();
  } else if (data.type === "ticket_changed" || data.type === "sla_alert") {
    ticketEvent(data);
    teamChanged();
  } else if (data.type === "delivery") {
    onDelivery(data);
  } else if (data.type === "presence") {
    presenceChanged(data.agent, data.presence);
    teamChanged();
    if (state.me && data.agent === state.me.username) hooks.myPresence(data.presence);
  }
}
