// One entry's form: fill, preview the answer, check, save as a draft, delete. Unsaved edits are never dropped
// silently: opening another entry, a new one, or leaving the page asks first. Problems are said in plain words.
import { confirmDialog } from "/static/common/dialog.js";
import { $, el, showMsg } from "/static/common/dom.js";
import { fieldErrors } from "/static/common/fields.js";
import { fmtDateTime } from "/static/common/i18n.js";
import { renderMarkdown } from "/static/common/markdown.js";
import { hideConflict, showConflict } from "./conflict.js";
import { filters, renderList } from "./entries.js";
import { loadHistory, hideHistory } from "./history.js";
import { canEdit, hooks, kb, state } from "./state.js";
import { i18n, t } from "./texts.js";

const FIELDS = ["id", "question", "phrasings", "answer", "category", "language", "tags"];
const LIMITS = { id: 200, question: 1000, answer: 20000 };
const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const els = {
  placeholder: $("entry-placeholder"), placeholderNote: $("placeholder-note"), editor: $("editor"), editorTitle: $("editor-title"), editorSub: $("editor-sub"), editorStatus: $("editor-status"),
  readonlyNote: $("readonly-note"), fieldId: $("field-id"), id: $("e-id"), question: $("e-question"), phrasings: $("e-phrasings"), answer: $("e-answer"),
  preview: $("preview"), category: $("e-category"), language: $("e-language"), tags: $("e-tags"),
  formError: $("form-error"), save: $("save"), cancelNew: $("cancel-new"), saveStatus: $("save-status"), del: $("delete"),
};
const fields = fieldErrors(Object.fromEntries(FIELDS.map((f) => [f, els[f]])), (f) => $(`err-${f}`));
let savedSnapshot = null; // the form as it was filled or last saved

function snapshot() { return JSON.stringify([els.id.value, ...FIELDS.slice(1).map((f) => els[f].value)]); }
export function isDirty() { return !els.editor.hidden && canEdit() && savedSnapshot !== null && snapshot() !== savedSnapshot; }

// Resolves true if it is fine to replace what is in the form.
export async function confirmDiscard() {
  if (!isDirty()) return true;
  const ok = await confirmDialog({
    title: t("confirmDiscardTitle"), body: [t("confirmDiscard", state.isNew ? t("theNewEntry") : `“${state.current ? state.current.id : ""}”`)],
    confirm: t("discard"), cancel: t("keepEditing"), danger: true,
  });
  if (ok) savedSnapshot = snapshot();
  return ok;
}
window.addEventListener("beforeunload", (ev) => { if (isDirty()) { ev.preventDefault(); ev.returnValue = ""; } });

function clearErrors() {
  fields.clear();
  showMsg(els.formError, "");
}

// The API's validation messages, said plainly in the interface language.
export function plainProblem(message) {
  const m = String(message || "");
  if (/at least 1 (character|item)|field required|missing|blank/i.test(m)) return t("errRequired");
  const many = m.match(/at most (\d+) phrasings/i);
  if (many) return t("errTooManyPhrasings", Number(many[1]));
  if (/match pattern/i.test(m)) return t("errIdPattern");
  const long = m.match(/at most (\d+) character/i);
  if (long) return t("errTooLong", Number(long[1]));
  if (/already exists/i.test(m)) return t("errExists");
  if (/unknown language|literal_error|Input should be 'en' or 'zh'/i.test(m)) return t("errLanguage");
  return t("errInvalid");
}

function localProblems(body, id) {
  const problems = [];
  if (state.isNew) {
    if (!id) problems.push(["id", t("errRequired")]);
    else if (!ID_PATTERN.test(id)) problems.push(["id", t("errIdPattern")]);
    else if (id.length > LIMITS.id) problems.push(["id", t("errTooLong", LIMITS.id)]);
  }
  for (const f of ["question", "answer"]) {
    if (!body[f]) problems.push([f, t("errRequired")]);
    else if (body[f].length > LIMITS[f]) problems.push([f, t("errTooLong", LIMITS[f])]);
  }
  return problems;
}

function showProblems(problems) {
  const general = [];
  for (const [field, message] of problems) if (!fields.mark(field, message)) general.push(message);
  showMsg(els.formError, general.length ? general.join("\n") : t("errFix"));
  const firstBad = els.editor.querySelector("[aria-invalid='true']");
  if (firstBad) firstBad.focus();
}

function showApiErrors(e) {
  const problems = [];
  if (Array.isArray(e.errors) && e.errors.length) {
    for (const err of e.errors) problems.push([String((err.loc || []).filter((p) => p !== "body")[0] ?? ""), plainProblem(err.msg)]);
  } else if (typeof e.detail === "string" && e.status === 422) {
    for (const part of e.detail.split("; ")) {
      const m = part.match(/^([a-z_]+)(?:\.\d+)?: (.*)$/);
      problems.push(m ? [m[1], plainProblem(m[2])] : ["", plainProblem(part)]);
    }
  } else if (e.status === 409 && state.isNew) problems.push(["id", t("errExists")]);
  else { showMsg(els.formError, e.message); return; }
  showProblems(problems);
}

function fillForm(entry) {
  els.id.value = entry.id || "";
  els.question.value = entry.question || "";
  els.phrasings.value = (entry.phrasings || []).join("\n");
  els.answer.value = entry.answer || "";
  els.category.value = entry.category || "other";
  els.language.value = entry.language || "en";
  els.tags.value = (entry.tags || []).join(", ");
  renderPreview();
  savedSnapshot = snapshot();
}

function formBody() {
  return {
    question: els.question.value.trim(),
    phrasings: els.phrasings.value.split("\n").map((s) => s.trim()).filter(Boolean),
    answer: els.answer.value.trim(),
    category: els.category.value.trim() || "other",
    language: els.language.value,
    tags: els.tags.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean),
  };
}

export function renderEditorHead() {
  if (!state.me) return;
  const e = state.current;
  if (state.isNew) {
    els.editorTitle.textContent = t("newEntryTitle");
    els.editorSub.textContent = "";
    els.editorStatus.textContent = t("statusDraft");
    els.editorStatus.className = "tag status draft";
  } else if (e) {
    els.editorTitle.textContent = e.id;
    els.editorSub.textContent = t("revisionBy", e.revision, e.updated_by, fmtDateTime(e.updated_at, i18n.locale));
    els.editorStatus.textContent = e.status === "draft" ? t("statusDraft") : t("statusPublished");
    els.editorStatus.className = `tag status ${e.status}`;
  }
}

export function renderPreview() {
  const text = els.answer.value;
  if (!text.trim()) els.preview.replaceChildren(el("p", "muted", t("previewEmpty")));
  else els.preview.replaceChildren(renderMarkdown(text));
}
els.answer.addEventListener("input", renderPreview);

function showEditor() {
  els.placeholder.hidden = true;
  els.editor.hidden = false;
  els.fieldId.hidden = !state.isNew;
  els.cancelNew.hidden = !state.isNew;
  els.del.hidden = state.isNew;
  for (const f of FIELDS) els[f].disabled = !canEdit();
  els.readonlyNote.hidden = canEdit();
  renderEditorHead();
  clearErrors();
  hideConflict();
  els.saveStatus.textContent = "";
}

function closeEditor() {
  showMsg(els.placeholderNote, "");
  state.current = null;
  state.isNew = false;
  savedSnapshot = null;
  hideConflict();
  els.editor.hidden = true;
  els.placeholder.hidden = false;
  hideHistory();
}

// Focus on nothing (a rebuilt or hidden control had it): the keyboard would start again from the top of the page.
function focusLost() {
  const a = document.activeElement;
  return !a || a === document.body || !a.getClientRects().length;
}

export async function openEntry(id, { keepTab = false, force = false } = {}) {
  if (!force && !(await confirmDiscard())) return false;
  try {
    const entry = await kb(`/entries/${encodeURIComponent(id)}`);
    state.current = entry;
    state.isNew = false;
    fillForm(entry);
    showEditor();
    if (!keepTab) hooks.showTab("entry");
    renderList();
    if (focusLost()) els.editorTitle.focus();  // opened from a list or tab now hidden (a phone): to the entry it opened
    await loadHistory(id);
  } catch (e) {
    if (e.status === 404) {  // deleted by someone else since the list was drawn: say so, and draw it again
      closeEditor();
      hooks.showTab("entry");
      showMsg(els.placeholderNote, t("errGone", id));
      await hooks.refreshAll();
      return true;
    }
    hooks.showTab("entry");
    showMsg(els.formError, e.message);
  }
  return true;
}

export async function newEntry(prefill = {}) {
  if (!(await confirmDiscard())) return;
  state.current = null;
  state.isNew = true;
  fillForm({ category: filters.category() || "other", language: filters.language() || i18n.lang, ...prefill });
  showEditor();
  hideHistory();
  hooks.showTab("entry");
  renderList();
  els.id.focus();
}

export function save() { if (!els.editor.hidden && canEdit()) els.editor.requestSubmit(); }

$("new-entry").addEventListener("click", () => newEntry());
els.cancelNew.addEventListener("click", async () => { if (await confirmDiscard()) closeEditor(); });

els.editor.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!canEdit()) return;
  clearErrors();
  const body = formBody(), id = els.id.value.trim();
  const problems = localProblems(body, id);
  if (problems.length) { showProblems(problems); return; }
  els.save.disabled = true;
  try {
    const saved = state.isNew
      ? await kb("/entries", { method: "POST", body: { id, ...body } })
      : await kb(`/entries/${encodeURIComponent(state.current.id)}`, { method: "PUT", body: { ...body, base_revision: state.current.revision } });
    state.current = saved;
    state.isNew = false;
    showEditor();
    fillForm(saved);
    els.saveStatus.textContent = t("savedDraft", saved.revision);
    await Promise.all([hooks.refreshAll(), loadHistory(saved.id)]);
  } catch (e) {
    if (e.status === 409 && !state.isNew && e.detail && typeof e.detail === "object") conflict(e.detail, body);
    else showApiErrors(e);
  } finally {
    els.save.disabled = false;
  }
});

// Someone else saved this entry since it was opened: nothing was saved, and the form keeps what was typed.
function conflict(detail, mine) {
  const theirs = detail.current;
  showConflict(detail, mine, {
    overwrite: () => { state.current = theirs; renderEditorHead(); els.editor.requestSubmit(); },  // the same text, from their revision
    load: () => { state.current = theirs; fillForm(theirs); renderEditorHead(); clearErrors(); loadHistory(theirs.id); },
  });
}

els.del.addEventListener("click", async () => {
  if (!state.current || !canEdit()) return;
  const id = state.current.id;
  if (!(await confirmDialog({ title: t("confirmDeleteTitle"), body: [t("confirmDelete", id)], confirm: t("delete"), cancel: t("cancel"), danger: true }))) return;
  await remove(id, state.current.revision);
});

// Deletes only the revision this editor saw: if someone saved a newer one meanwhile, nothing is deleted and their
// version is shown first (delete anyway, or load it). Someone else's delete of the same entry is no error.
async function remove(id, revision) {
  try {
    await kb(`/entries/${encodeURIComponent(id)}?base_revision=${revision}`, { method: "DELETE" });
  } catch (e) {
    if (e.status === 409 && e.detail && typeof e.detail === "object" && e.detail.current) {
      const theirs = e.detail.current;
      showConflict(e.detail, formBody(), {
        overwrite: () => remove(id, theirs.revision),
        load: () => { state.current = theirs; fillForm(theirs); renderEditorHead(); clearErrors(); loadHistory(theirs.id); },
      }, { deleting: true });
      return;
    }
    if (e.status !== 404) { showApiErrors(e); return; }
  }
  closeEditor();
  state.notice = () => t("deleted", id);  // the pending bar's redraw shows it, and keeps it until the next result
  await hooks.refreshAll();
}

export function focusAnswer() { els.answer.focus(); els.answer.select(); }
