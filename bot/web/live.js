// The live link to the hub (WebSocket): new messages, status changes and the agent's typing, pushed as they happen.
// On every (re)connect the hub first replays what was missed after the last message this page has.
import { parseShown } from "/static/common/text.js";
import { connection } from "./connection.js";
import { addMessage, lastMessageId, setAgentTyping } from "./log.js";
import { forget, session, updateView } from "./session.js";
import { t } from "./texts.js";

let ws = null, retry = 0, timer = null;
export const hooks = { opened: null, gone: null }; // opened: the link is up again, send what waited; gone: see onclose

export function isOpen() { return Boolean(ws && ws.readyState === WebSocket.OPEN); }

export function send(frame) {
  if (isOpen()) ws.send(JSON.stringify(frame));
}

export function connect() {
  if (!session.id) return;
  clearTimeout(timer);
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ token: session.token });
  if (lastMessageId()) q.set("after", lastMessageId());
  const socket = new WebSocket(`${proto}//${location.host}/api/conversations/${encodeURIComponent(session.id)}/ws?${q}`);
  ws = socket;
  socket.onopen = () => { retry = 0; connection.reconnecting(false); if (hooks.opened) hooks.opened(); };
  socket.onmessage = (ev) => {
    let data; try { data = parseShown(ev.data); } catch { return; }
    if (data.type === "message" && data.message) addMessage(data.message, { live: true });
    else if (data.type === "status") updateView(data);
    else if (data.type === "typing" && data.sender === "agent") {
      setAgentTyping(data.active ? (data.author || session.agentName || (session.conversation && session.conversation.agent) || t("agent")) : null);
    }
  };
  socket.onclose = (ev) => {
    if (ws !== socket) return;
    ws = null;
    // 4403: the conversation no longer exists (erased for privacy, or by retention) or the token is wrong.
    // Reconnecting cannot help: forget it, and let the page start over.
    if (ev.code === 4403) { forget(); connection.reconnecting(false); if (hooks.gone) hooks.gone(); return; }
    // 1013 "too many open connections ...": this chat is open in too many tabs (or this network holds too many chats).
    // Say so, and try again now and then: one of the others may have closed.
    const tooMany = ev.code === 1013 && (ev.reason || "").startsWith("too many open");
    connection.reconnecting(true, tooMany);
    timer = setTimeout(connect, tooMany ? 15000 : Math.min(15000, 500 * 2 ** retry++));
  };
}

// The browser is back online: reconnect now rather than at the end of the back-off.
export function reconnectNow() {
  retry = 0;
  if (!ws && session.id) connect();
}
