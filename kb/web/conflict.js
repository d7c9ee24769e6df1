// Someone else saved (or deleted) the entry after it was opened here: the hub refused the save (409) and sent the
// entry as it is now. Say so plainly, show their version beside the form, and never drop what was typed: the editor
// saves theirs over (from the new revision) or loads their version, and then their own text stays shown here to copy.
import { $, el } from "/static/common/dom.js";
import { fmtDateTime } from "/static/common/i18n.js";
import { i18n, t } from "./texts.js";

const els = {
  box: $("conflict"), text: $("conflict-text"), versions: $("conflict-versions"),
  overwrite: $("conflict-overwrite"), load: $("conflict-load"), close: $("conflict-close"),
};
let handlers = { overwrite: null, load: null };

// One version's fields as plain text (never HTML).
function version(title, entry) {
  const box = el("section", "conflict-version");
  box.append(el("h4", null, title));
  const list = el("dl");
  const rows = [[t("fieldQuestion"), entry.question], [t("fieldPhrasings"), (entry.phrasings || []).join("\n")], [t("fieldAnswer"), entry.answer],
    [t("fieldCategory"), entry.category], [t("fieldTags"), (entry.tags || []).join(", ")]];
  for (const [name, value] of rows) list.append(el("dt", null, name), el("dd", null, value || "–"));
  box.append(list);
  return box;
}

// detail: the 409's body ({message, current, changed_by, changed_at, base_revision}); mine: what the form holds;
// deleting: the refused change was a delete (the first button then deletes their revision).
export function showConflict(detail, mine, { overwrite, load }, { deleting = false } = {}) {
  handlers = { overwrite, load };
  const theirs = detail.current;
  const when = fmtDateTime(detail.changed_at, i18n.locale);
  els.text.textContent = theirs
    ? t(deleting ? "conflictNotDeleted" : "conflictChanged", detail.changed_by, theirs.revision, when, detail.base_revision)
    : t("conflictDeleted", detail.changed_by, when);
  els.overwrite.dataset.i18n = deleting ? "deleteAnyway" : "saveMineAnyway";
  els.overwrite.textContent = t(els.overwrite.dataset.i18n);
  els.versions.replaceChildren(...(theirs ? [version(t("theirVersion", theirs.revision, detail.changed_by), theirs)] : []));
  els.overwrite.hidden = !theirs;
  els.load.hidden = !theirs;
  els.close.hidden = true;
  els.box.hidden = false;
  els.box.dataset.mine = JSON.stringify(mine);
  els.box.scrollIntoView({ block: "nearest" });
  els.box.focus();
}

// Their version is now in the form: keep the editor's own text in view so that nothing typed is lost.
function showMine() {
  const mine = JSON.parse(els.box.dataset.mine || "{}");
  els.text.textContent = t("conflictLoaded");
  els.versions.replaceChildren(version(t("yourVersion"), mine));
  els.overwrite.hidden = true;
  els.load.hidden = true;
  els.close.hidden = false;
}

export function hideConflict() { els.box.hidden = true; els.versions.replaceChildren(); delete els.box.dataset.mine; }

els.overwrite.addEventListener("click", () => { hideConflict(); handlers.overwrite(); });
els.load.addEventListener("click", () => { handlers.load(); showMine(); });
els.close.addEventListener("click", hideConflict);
