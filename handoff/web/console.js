// Agent console: signs in, then wires the sidebar lists, the open conversation and the live link together.
// Every piece of customer, agent and bot text is rendered safely (textContent, or the shared markdown sanitiser).
import { $, showMsg } from "/static/common/dom.js";
import { claimConversation, openConversation, rerender, showError } from "./conversation.js";
import * as lists from "./lists.js";
import * as live from "./live.js";
import { api, hooks as stateHooks, saveToken, state } from "./state.js";
import { render as renderSuggestions } from "./suggestions.js";
import { i18n, t } from "./texts.js";
import { hooks as typingHooks } from "./typing.js";

const els = {
  loginView: $("login-view"), loginForm: $("login-form"), username: $("username"), password: $("password"), loginError: $("login-error"),
  app: $("app-view"), presence: $("presence"), presenceDot: $("presence-dot"), meName: $("me-name"), logout: $("logout"),
};

function signedOut() {
  saveToken(null);
  state.me = null;
  live.disconnect();
  els.app.hidden = true;
  els.loginView.hidden = false;
  document.title = t("title");
  els.username.focus();
}

function setPresence(p) {
  els.presence.value = p;
  els.presenceDot.className = `dot ${p}`;
}

function enter(agent) {
  state.me = agent;
  els.loginView.hidden = true;
  els.app.hidden = false;
  els.meName.textContent = agent.display_name || agent.username;
  setPresence(agent.presence || "online");
  live.connect();
  lists.refreshLists();
  lists.loadAgents();
}

function applyLanguage() {
  i18n.apply();
  for (const s of document.querySelectorAll(".ui-lang-select")) s.value = i18n.lang;
  if (!state.me) { document.title = t("title"); return; }
  lists.renderLists();
  rerender();
  renderSuggestions();
}

stateHooks.signedOut = signedOut;
live.hooks.signedOut = signedOut;
live.hooks.myPresence = setPresence;
typingHooks.send = live.send;
lists.hooks.open = openConversation;
lists.hooks.claim = claimConversation;
i18n.onChange(applyLanguage);
for (const s of document.querySelectorAll(".ui-lang-select")) s.addEventListener("change", () => i18n.set(s.value));

els.loginForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.loginError.hidden = true;
  try {
    const res = await api("/login", { method: "POST", body: { username: els.username.value.trim(), password: els.password.value } });
    saveToken(res.token);
    els.password.value = "";
    enter(res.agent);
  } catch (e) {
    showMsg(els.loginError, e.status === 401 ? t("wrongLogin") : e.message);
  }
});

els.logout.addEventListener("click", async () => {
  try { await api("/logout", { method: "POST" }); } catch { /* already gone */ }
  signedOut();
});

els.presence.addEventListener("change", async () => {
  try { const me = await api("/presence", { method: "POST", body: { presence: els.presence.value } }); setPresence(me.presence); }
  catch (e) { showError(e.message); }
});

applyLanguage();
if (state.token) {
  api("/me").then(enter, () => { els.loginView.hidden = false; els.username.focus(); });
} else {
  els.loginView.hidden = false;
  els.username.focus();
}
