// Knowledge-base editor: signs in, then wires the tabs (entries and editor, try it, versions, content gaps,
// import/export) together. Entry, customer and agent text is rendered safely (textContent, or the shared markdown sanitiser).
import { $ } from "/static/common/dom.js";
import { startSignIn } from "/static/common/signin.js";
import { confirmDiscard, openEntry, renderEditorHead, renderPreview, save } from "./editor.js";
import { focusSearch, loadEntries, renderCategories, renderList } from "./entries.js";
import { loadGaps, renderGaps } from "./gaps.js";
import { renderHistory } from "./history.js";
import "./io.js";
import { loadPending, renderPending } from "./publish.js";
import { api, canEdit, hooks, saveToken, state } from "./state.js";
import { i18n, t } from "./texts.js";
import { renderTry } from "./try.js";
import { loadVersions, renderVersions } from "./versions.js";

const PHONE = matchMedia("(max-width: 800px)");
const els = {
  loginView: $("login-view"), username: $("username"), app: $("app-view"), meName: $("me-name"), meRole: $("me-role"), logout: $("logout"), publish: $("publish"),
};

async function refreshAll() { await Promise.all([loadEntries(), loadPending()]); }

// ---------- tabs ----------
const tabs = [...document.querySelectorAll(".tab")];
function showTab(name) {
  state.tab = name;
  els.app.dataset.tab = name;
  for (const tab of tabs) {
    if (tab.dataset.tab === name) {
      tab.setAttribute("aria-current", "page");
      if (tab.offsetParent) tab.scrollIntoView({ block: "nearest", inline: "nearest" });
    } else tab.removeAttribute("aria-current");
  }
  const panel = name === "list" ? "entry" : name;
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.dataset.panel !== panel;
  if (name === "versions") loadVersions();
  if (name === "gaps" && !state.gaps) loadGaps();
}
for (const tab of tabs) tab.addEventListener("click", () => showTab(tab.dataset.tab));

hooks.openEntry = openEntry;
hooks.refreshAll = refreshAll;
hooks.showTab = showTab;
hooks.signedOut = signedOut;

// ---------- language ----------
function applyLang() {
  i18n.apply();
  document.title = t("title");
  for (const s of document.querySelectorAll(".ui-lang-select")) s.value = i18n.lang;
  if (!state.me) return;
  renderMe(); renderCategories(); renderList(); renderPending(); renderEditorHead(); renderPreview(); renderHistory();
  if (state.lastTry) renderTry(state.lastTry);
  if (state.versions) renderVersions();
  if (state.gaps) renderGaps();
}
i18n.onChange(applyLang);
for (const s of document.querySelectorAll(".ui-lang-select")) s.addEventListener("change", () => i18n.set(s.value));

// ---------- sign in ----------
function renderMe() {
  const me = state.me;
  els.meName.textContent = me.display_name || me.username;
  els.meRole.textContent = me.role === "admin" ? t("roleAdmin") : me.role === "editor" ? t("roleEditor") : t("roleAgent");
  els.meRole.classList.toggle("ro", !canEdit());
}

function enter(agent) {
  state.me = agent;
  els.loginView.hidden = true;
  els.app.hidden = false;
  document.body.classList.toggle("readonly", !canEdit());
  els.publish.hidden = !canEdit();
  renderMe();
  showTab(PHONE.matches ? "list" : "entry");
  refreshAll();
}

function signedOut() {
  saveToken(null);
  state.me = null;
  els.app.hidden = true;
  els.loginView.hidden = false;
  els.username.focus();
}

els.logout.addEventListener("click", async () => {
  if (!(await confirmDiscard())) return;
  try { await api("/api/agent/logout", { method: "POST" }); } catch { /* already gone */ }
  signedOut();
});

// ---------- keyboard: Ctrl/Cmd+S saves, "/" searches ----------
document.addEventListener("keydown", (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s") {
    ev.preventDefault();
    save();
  } else if (ev.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "") && state.me && !document.querySelector("dialog[open]")) {
    ev.preventDefault();
    if (state.tab !== "entry" && state.tab !== "list") showTab(PHONE.matches ? "list" : "entry");
    focusSearch();
  }
});

applyLang();
startSignIn({ api, loginPath: "/api/agent/login", mePath: "/api/agent/me", hasToken: () => Boolean(state.token), saveToken, enter, wrongLogin: () => t("wrongLogin"), takeChats: false });
