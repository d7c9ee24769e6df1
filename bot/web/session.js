// The customer's conversation: its id and token (kept in local storage, so a reload resumes it), its status and queue place.
import { createApi } from "/static/common/api.js";
import { readJson, storage, writeJson } from "/static/common/storage.js";

const STORE = "cs_chat_v1";
const VISITOR = "cs_visitor";

export const session = {
  id: null, token: null, conversation: null, queue: null, agentName: null,
  maxChars: null, // the hub's message limit (GET /api/conversations/limits)
  maxImageBytes: null, // the largest picture the customer may attach (the same)
};

export const api = createApi({ token: () => session.token });

// Settled once the page has a conversation it could load (started or resumed): what the customer asked for
// before that (a person, say) waits on it.
let announce;
export const started = new Promise((resolve) => { announce = resolve; });
export const announceStarted = () => announce();

const viewListeners = [];
export function onView(fn) { viewListeners.push(fn); }

export function updateView(view) {
  if (!view || !view.conversation) return;
  session.conversation = view.conversation;
  session.queue = view.queue || null;
  for (const fn of viewListeners) fn();
}

export function savedConversation() {
  const saved = readJson(STORE);
  return saved && saved.id && saved.token ? saved : null;
}

export function forget() {
  storage.removeItem(STORE);
  session.id = session.token = session.conversation = session.queue = session.agentName = null;
  session.contactLeft = false;
}

// Who the customer is when the shop's page signed it (widget.js puts it in the URL fragment); else anonymous.
function signedCustomer() {
  const raw = new URLSearchParams(location.hash.slice(1)).get("identity");
  try { return raw ? JSON.parse(raw) : { name: "" }; } catch { return { name: "" }; }
}

// A random id this browser keeps: the visitor's conversations form one customer record for the agents.
function visitorId() {
  let id = storage.getItem(VISITOR);
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    storage.setItem(VISITOR, id);
  }
  return id;
}

export async function create(language) {
  const started = await api("/api/conversations", { method: "POST", body: { channel: "web", language, customer: signedCustomer(), visitor_id: visitorId() } });
  session.id = started.conversation_id;
  session.token = started.token;
  writeJson(STORE, { id: session.id, token: session.token });
  updateView({ conversation: started.conversation, queue: null });
  announceStarted();
}

// The customer switched the page's language: the conversation's notices (queue, agent, desk) follow it. Best effort: every
// message and request for a person carries the page's language too.
export async function chooseLanguage(language) {
  if (!session.id) return; // the conversation starts in it (create)
  try { updateView(await api(`/api/conversations/${session.id}/language`, { method: "POST", body: { language } })); } catch { /* sent with the next message */ }
}

export async function loadLimits() {
  try {
    const limits = await api("/api/conversations/limits");
    session.maxChars = limits.max_message_chars;
    session.maxImageBytes = limits.max_image_bytes || null;
  } catch { /* the hub still enforces them */ }
}

export const status = () => (session.conversation ? session.conversation.status : "bot");
