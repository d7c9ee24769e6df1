// What the editor's parts share: the signed-in person, the entries, what is pending, and the API.
import { createApi } from "/static/common/api.js";
import { i18n, t } from "./texts.js";

const TOKEN_KEY = "cs_agent_token"; // shared with the agent console: one sign-in for both pages
export const KNOWN_CATEGORIES = ["orders", "shipping", "returns", "payment", "account", "product", "other"];

export const state = {
  token: sessionStorage.getItem(TOKEN_KEY), me: null, tab: "entry",
  entries: [], all: [], pending: { changed: [], deleted: [] }, live: null, current: null, isNew: false,
  lastTry: null, versions: null, gaps: null, votedDown: [], notice: null,
};

// Set by kb.js: what one part asks of another.
export const hooks = { signedOut: null, openEntry: null, refreshAll: null, showTab: null };

export function saveToken(token) {
  state.token = token;
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
}

export const canEdit = () => !!state.me && (state.me.role === "editor" || state.me.role === "admin");

const call = createApi({ token: () => state.token, language: () => i18n.lang, onUnauthorized: (path) => { if (!path.endsWith("/login")) hooks.signedOut(); } });

// Errors come back as messages a person can read, in the interface language.
export async function api(path, options) {
  try {
    return await call(path, options);
  } catch (e) {
    if (e.status === 401 && !path.endsWith("/login")) e.message = t("signInAgain");
    else if (e.status === 403) e.message = t("forbidden");
    else if (e.status && e.message.startsWith("HTTP ")) e.message = t("failed", e.status);
    throw e;
  }
}
export const kb = (path, opts) => api(`/api/kb${path}`, opts);

export function categories() {
  return [...new Set([...KNOWN_CATEGORIES, ...state.all.map((e) => e.category)])].sort();
}
