// Agent console: signs in, then wires the sidebar lists, the open conversation and the live link together.
// Every piece of customer, agent and bot text is rendered safely (textContent, or the shared markdown sanitiser).
import { $ } from "/static/common/dom.js";
import { startSignIn } from "/static/common/signin.js";
import { claimConversation, openConversation, rerender, showError } from "./conversation.js";
import * as lists from "./lists.js";
import * as live from "./live.js";
import { api, hooks as stateHooks, oversees, saveToken, state } from "./state.js";
import { render as renderSuggestions } from "./suggestions.js";
import "./canned.js";
import * as cannedAdmin from "./canned-admin.js";
import { i18n, t } from "./texts.js";
import * as team from "./team.js";
import * as tickets from "./tickets.js";
import { hooks as typingHooks } from "./typing.js";

const els = {
  loginView: $("login-view"), username: $("username"), app: $("app-view"), presence: $("presence"), presenceDot: $("presence-dot"), meName: $("me-name"), logout: $("logout"),
};

function signedOut() {
  saveToken(null);
  state.me = null;
  live.disconnect();
  lists.forgetQueue();
  cannedAdmin.signedIn();
  els.app.hidden = true;
  els.loginView.hidden = false;
  document.title = t("title");
  els.username.focus();
}

function setPresence(p) {
  els.presence.value = p;
  els.presenceDot.className = `dot ${p}`;
}

// A deep link to one conversation: /console#conv=<id> (the dashboard's drill-down links here). Supervisors may read
// any conversation; one they do not own (a resolved one, say) shows its transcript without the reply box.
function openFromLink() {
  const m = /^#conv=([0-9a-f]{32})$/.exec(location.hash);
  if (m && state.me && state.currentId !== m[1]) openConversation(m[1]);
}
window.addEventListener("hashchange", openFromLink);

function enter(agent) {
  state.me = agent;
  els.loginView.hidden = true;
  els.app.hidden = false;
  els.meName.textContent = agent.display_name || agent.username;
  setPresence(agent.presence || "online");
  live.connect();
  lists.refreshLists();
  tickets.setView(oversees() ? "all" : "mine");
  tickets.refreshTickets();
  lists.loadAgents();
  team.refreshTeam();
  cannedAdmin.signedIn();
  openFromLink();
}

function applyLanguage() {
  i18n.apply();
  for (const s of document.querySelectorAll(".ui-lang-select")) s.value = i18n.lang;
  if (!state.me) { document.title = t("title"); return; }
  lists.renderLists();
  rerender();
  tickets.rerenderTickets();
  renderSuggestions();
  cannedAdmin.render();
}

stateHooks.signedOut = signedOut;
live.hooks.signedOut = signedOut;
live.hooks.myPresence = setPresence;
typingHooks.send = live.send;
// Opening a chat from a list (or a notification) leaves the canned-reply management view, if it was open.
const open = (id) => { cannedAdmin.close(false); openConversation(id); };
lists.hooks.open = open;
tickets.hooks.open = open;
team.hooks.openTicket = async (ref) => {
  try { const found = await api(`/tickets/${encodeURIComponent(ref)}`); open(found.ticket.conversation_id); }
  catch (e) { showError(e.message); }
};
lists.hooks.claim = claimConversation;
i18n.onChange(applyLanguage);
for (const s of document.querySelectorAll(".ui-lang-select")) s.addEventListener("change", () => i18n.set(s.value));

els.logout.addEventListener("click", async () => {
  try { await api("/logout", { method: "POST" }); } catch { /* already gone */ }
  signedOut();
});

els.presence.addEventListener("change", async () => {
  try { const me = await api("/presence", { method: "POST", body: { presence: els.presence.value } }); setPresence(me.presence); }
  catch (e) { showError(e.message); }
});

applyLanguage();
startSignIn({ api, loginPath: "/login", mePath: "/me", hasToken: () => Boolean(state.token), saveToken, enter, wrongLogin: () => t("wrongLogin") });
