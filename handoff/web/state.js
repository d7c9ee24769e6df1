// What the console's parts share: the signed-in agent, the lists, the open conversation, and the API.
import { createApi } from "/static/common/api.js";
import { i18n, t } from "./texts.js";

const TOKEN_KEY = "cs_agent_token";

export const state = {
  token: sessionStorage.getItem(TOKEN_KEY), me: null, queue: [], queueFetchedAt: 0, mine: [], recent: [], agents: [],
  currentId: null, current: null, ticket: null, unread: new Map(),
  lastCustomerId: null, // newest customer message in the open chat
};

export const hooks = { signedOut: null }; // set by console.js

// What a chat or ticket is about (handoff/models.py Category), in the order the console lists them: the ticket
// filters and fields, and the specialities an agent can be routed by (team.js).
export const CATEGORIES = ["product_quality", "service_attitude", "logistics", "after_sales", "billing", "other"];

export function saveToken(token) {
  state.token = token;
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
}

const shared = { token: () => state.token, language: () => i18n.lang,
  onUnauthorized: (path) => { if (path !== "/login" && hooks.signedOut) hooks.signedOut(); } };
const call = createApi({ base: "/api/agent", ...shared });
const adminCall = createApi({ base: "/api/admin", ...shared });

// Errors come back as messages a person can read, in the interface language (the service or the connection
// failing: createApi says so by status code; a refusal by the hub's code for it, its English detail otherwise).
async function said(send, path, options) {
  try {
    return await send(path, options);
  } catch (e) {
    // A value the hub refused (422): its reason, not "Request failed (422)".
    if (e.status === 422 && Array.isArray(e.errors) && e.errors.length) e.message = e.errors.map((d) => `${d.loc[d.loc.length - 1]}: ${d.msg}`).join("; ");
    const refusal = e.code && (t("refusals") || {})[e.code];
    if (e.status === 401 && path !== "/login") e.message = t("signInAgain");
    else if (refusal) e.message = refusal;
    else if (e.status === 413) e.message = t("tooLong");
    else if (e.status && e.message.startsWith("HTTP ")) e.message = t("requestFailed", e.status);
    throw e;
  }
}

export const api = (path, options) => said(call, path, options);
// What only admins may do (/api/admin/...): the team's canned replies, an agent's languages, skills and capacity.
export const adminApi = (path, options) => said(adminCall, path, options);

export function customerLabel(conv) {
  return conv.customer_name || t("visitor");
}

// A short id that tells two customers of the same name apart.
export function shortId(conv) {
  return `#${conv.id.slice(0, 6)}`;
}

// A supervisor or an admin: sees the whole team and every ticket, reads any chat, sets a customer's service plan.
export function oversees() {
  return Boolean(state.me && ["supervisor", "admin"].includes(state.me.role));
}

// An admin: also what only admins may do (adminApi): the team's canned replies, each agent's routing.
export function isAdmin() {
  return Boolean(state.me && state.me.role === "admin");
}

export function ownsCurrent() {
  const conv = state.current;
  return Boolean(conv && conv.id === state.currentId && conv.status === "assigned" && state.me && conv.agent === state.me.username);
}
