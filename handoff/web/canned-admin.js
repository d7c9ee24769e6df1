// Admins' view of the team's canned replies (/console#canned): each shortcut with its Chinese and English texts,
// searched by shortcut or words; add, edit, delete (asked first). The hub checks every field: what it refuses is
// said beside the field, in the interface language. Agents use the replies in the reply box (canned.js).
import { confirmDialog } from "/static/common/dialog.js";
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fieldErrors } from "/static/common/fields.js";
import { adminApi, isAdmin } from "./state.js";
import { i18n, t } from "./texts.js";

const FIELDS = ["shortcut", "language", "title", "text"];
const TEXT_MAX = 2000; // as tickets/canned.py: the counter says how much room is left; the hub refuses past it
const HASH = "#canned";
const els = {
  manage: $("canned-manage"), view: $("canned-admin"), layout: document.querySelector("#app-view .layout"), close: $("canned-close"),
  heading: $("canned-admin-title"), q: $("canned-q"), lang: $("canned-lang"), search: $("canned-search"), add: $("canned-new"),
  form: $("canned-form"), formTitle: $("canned-form-title"), formError: $("ca-form-error"), cancel: $("ca-cancel"), save: $("ca-save"),
  count: $("ca-text-count"), status: $("canned-status"), list: $("canned-list"), empty: $("canned-empty"),
  shortcut: $("ca-shortcut"), language: $("ca-language"), title: $("ca-title"), text: $("ca-text"),
};
const fields = fieldErrors(Object.fromEntries(FIELDS.map((f) => [f, els[f]])), (f) => $(`ca-${f}-err`));
let replies = [];
let loaded = false;
let editing = null; // the reply in the form (null: a new one)
let opener = null; // what had the keyboard before the form opened, to go back to

// Signed in (or out): the button for admins only; a deep link to #canned opens the view.
export function signedIn() {
  els.manage.hidden = !isAdmin();
  if (location.hash === HASH && isAdmin()) open(); else close(false);
}

export function isOpen() { return !els.view.hidden; }

function open() {
  if (!isAdmin()) return;
  const was = !isOpen();
  els.view.hidden = false;
  els.layout.hidden = true;
  els.manage.setAttribute("aria-expanded", "true");
  if (was) { load(); els.heading.focus(); }
}

// back: the keyboard goes back to the button that opened the view.
export function close(back = true) {
  if (location.hash === HASH) history.replaceState(null, "", location.pathname + location.search);
  const was = isOpen();
  els.view.hidden = true;
  els.layout.hidden = false;
  els.manage.setAttribute("aria-expanded", "false");
  hideForm(false);
  if (was && back && !els.manage.hidden) els.manage.focus();
}

els.manage.addEventListener("click", () => { if (isOpen()) close(); else { location.hash = HASH; open(); } });
els.close.addEventListener("click", () => close());
window.addEventListener("hashchange", () => { if (location.hash === HASH) open(); else if (isOpen()) close(false); });

async function load() {
  try {
    replies = await adminApi("/canned");
    loaded = true;
    render();
  } catch (e) { say(e.message); }
}

function say(message) { els.status.textContent = message || ""; }

// A reply's language by its name in the interface language (the same texts as the language menus' options).
const LANG_KEYS = { en: "langEn", zh: "langZh" };
function langName(code) { return LANG_KEYS[code] ? t(LANG_KEYS[code]) : code; }

function matches(reply, needle) {
  return !needle || reply.shortcut.startsWith(needle) || reply.title.toLowerCase().includes(needle) || reply.text.toLowerCase().includes(needle);
}

// One entry per shortcut: its Chinese and English texts side by side, the interface language's first.
export function render() {
  if (!loaded) return;
  const needle = els.q.value.trim().toLowerCase().replace(/^\//, "");
  const only = els.lang.value;
  const langs = (i18n.lang === "zh" ? ["zh", "en"] : ["en", "zh"]).filter((l) => !only || l === only);
  const groups = new Map();
  for (const r of replies) {
    if (!groups.has(r.shortcut)) groups.set(r.shortcut, {});
    groups.get(r.shortcut)[r.language] = r;
  }
  const shown = [...groups.entries()].filter(([, by]) => langs.some((l) => by[l] && matches(by[l], needle)));
  els.list.replaceChildren(...shown.map(([shortcut, by]) => {
    const li = el("li", "ca-group");
    li.dataset.shortcut = shortcut;
    li.append(el("h3", "ca-shortcut", `/${shortcut}`));
    for (const l of langs) li.append(by[l] ? version(by[l]) : missing(shortcut, l));
    return li;
  }));
  const none = !replies.length ? t("cannedAdminEmpty") : !shown.length ? t("cannedAdminNone") : "";
  showMsg(els.empty, none);
}

function version(reply) {
  const box = el("div", "ca-version");
  box.dataset.lang = reply.language;
  box.dataset.id = reply.id;
  const head = el("div", "ca-version-head");
  head.append(el("span", "ca-lang", langName(reply.language)), el("strong", "ca-title", reply.title));
  const text = el("p", "ca-text", reply.text);
  text.lang = reply.language === "zh" ? "zh-CN" : "en";
  const actions = el("div", "ca-version-actions");
  actions.append(
    button("ghost ca-edit", t("cannedEdit"), () => showForm(reply), t("cannedEditLabel", reply.shortcut, langName(reply.language))),
    button("danger ca-delete", t("cannedDelete"), () => remove(reply), t("cannedDeleteLabel", reply.shortcut, langName(reply.language))),
  );
  box.append(head, text, actions);
  return box;
}

function missing(shortcut, language) {
  const box = el("div", "ca-version ca-missing");
  box.dataset.lang = language;
  box.append(el("span", "ca-lang", langName(language)), el("span", "muted", t("cannedMissing")),
    button("ghost ca-add-lang", t("cannedAddLang"), () => showForm({ shortcut, language, title: "", text: "" }, true),
      t("cannedAddLangLabel", shortcut, langName(language))));
  return box;
}

els.search.addEventListener("submit", (ev) => ev.preventDefault());
els.q.addEventListener("input", render);
els.lang.addEventListener("change", render);

// ---------- the form

function clearErrors() {
  fields.clear();
  showMsg(els.formError, "");
}

function countText() {
  const n = els.text.value.trim().length;
  els.count.textContent = t("cannedCount", n, TEXT_MAX);
  els.count.classList.toggle("over", n > TEXT_MAX);
}
els.text.addEventListener("input", countText);

// reply: the one to edit, or (isNew) what a new one starts with: a shortcut's other language, say.
function showForm(reply = null, isNew = !reply) {
  opener = document.activeElement;
  editing = isNew ? null : reply;
  clearErrors();
  els.shortcut.value = reply ? reply.shortcut : "";
  els.language.value = reply ? reply.language : (els.lang.value || i18n.lang);
  els.title.value = reply ? reply.title : "";
  els.text.value = reply ? reply.text : "";
  i18n.label(els.formTitle, editing ? "cannedEditTitle" : "cannedNewTitle", editing ? { shortcut: editing.shortcut } : undefined);
  countText();
  els.form.hidden = false;
  say("");
  els.form.scrollIntoView({ block: "nearest" });
  (reply && isNew ? els.title : els.shortcut).focus();
}

function hideForm(back = true) {
  els.form.hidden = true;
  editing = null;
  clearErrors();
  if (back && opener && opener.isConnected) opener.focus(); else if (back) els.add.focus();
  opener = null;
}

els.add.addEventListener("click", () => showForm());
els.cancel.addEventListener("click", () => hideForm());
els.form.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { ev.preventDefault(); hideForm(); } });

// What the hub said about one field, in plain words of the interface language (hub/errors.py: loc and msg).
function problem(field, msg, sent) {
  const m = String(msg || "");
  if (/at least 1 character|required|missing/i.test(m)) return t(field === "text" ? "cannedErrNoText" : field === "title" ? "cannedErrNoTitle" : "cannedErrNoShortcut");
  const long = m.match(/at most (\d+) character/i);
  if (long) return t("cannedErrTooLong", Number(long[1]), String(sent[field] || "").length);
  if (field === "shortcut") return t("cannedErrShortcut");
  return t("cannedErrInvalid");
}

function showApiErrors(e, sent) {
  const general = [];
  if (e.status === 409 && e.code === "shortcut_taken") {
    fields.mark("shortcut", t("cannedErrTaken", sent.shortcut.trim().replace(/^\//, "").toLowerCase(), langName(sent.language)));
  } else if (e.status === 422 && Array.isArray(e.errors) && e.errors.length) {
    for (const err of e.errors) {
      const field = String((err.loc || []).filter((p) => p !== "body")[0] ?? "");
      const message = problem(field, err.msg, sent);
      if (!fields.mark(field, message)) general.push(message);
    }
  } else if (e.status === 404 && editing) {
    general.push(t("cannedErrGone"));
    load();
  } else general.push(e.message);
  const bad = fields.marked();
  showMsg(els.formError, general.length ? general.join(" ") : t("cannedErrFix", bad.length));
  if (bad.length) els[bad[0]].focus();
}

els.form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearErrors();
  const sent = { shortcut: els.shortcut.value, language: els.language.value, title: els.title.value, text: els.text.value };
  els.save.disabled = true;
  try {
    const saved = editing
      ? await adminApi(`/canned/${editing.id}`, { method: "PUT", body: sent })
      : await adminApi("/canned", { method: "POST", body: sent });
    hideForm(false);
    await load();
    say(t("cannedSaved", saved.shortcut, langName(saved.language)));
    const again = els.list.querySelector(`.ca-version[data-id="${saved.id}"] .ca-edit`);
    (again || els.add).focus();
  } catch (e) {
    showApiErrors(e, sent);
  } finally {
    els.save.disabled = false;
  }
});

async function remove(reply) {
  const ok = await confirmDialog({
    title: t("cannedDeleteTitle", reply.shortcut, langName(reply.language)),
    body: [t("cannedDeleteBody"), el("blockquote", "ca-quote", reply.text)],
    confirm: t("cannedDelete"), cancel: t("cannedKeep"), danger: true,
  });
  if (!ok) return;
  const group = els.list.querySelector(`.ca-group[data-shortcut="${reply.shortcut}"]`);
  const next = group && (group.nextElementSibling || group.previousElementSibling);
  try {
    await adminApi(`/canned/${reply.id}`, { method: "DELETE" });
    if (editing && editing.id === reply.id) hideForm(false);
    await load();
    say(t("cannedDeleted", reply.shortcut, langName(reply.language)));
    const stays = els.list.querySelector(`.ca-group[data-shortcut="${reply.shortcut}"] button`) || (next && next.isConnected && next.querySelector("button"));
    (stays || els.add).focus();
  } catch (e) {
    if (e.status === 404) { await load(); say(t("cannedDeleted", reply.shortcut, langName(reply.language))); } else say(e.message);
  }
}
