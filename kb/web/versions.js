// Published versions: which one is live, who published it, and rolling back to an earlier one (asked first).
import { confirmDialog } from "/static/common/dialog.js";
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fmtDateTime } from "/static/common/i18n.js";
import { renderPending } from "./publish.js";
import { canEdit, hooks, kb, state } from "./state.js";
import { i18n, t } from "./texts.js";

const els = { versionsBody: $("versions-body"), versionsError: $("versions-error") };

export async function loadVersions() {
  showMsg(els.versionsError, "");
  try {
    const res = await kb("/versions");
    state.versions = res;
    state.live = res.live;
    renderVersions();
    renderPending();
  } catch (e) { showMsg(els.versionsError, e.message); }
}

export function renderVersions() {
  const { live, versions } = state.versions;
  if (!versions.length) {
    const tr = el("tr"); const td = el("td", "muted", t("noVersions")); td.colSpan = 5; tr.append(td);
    els.versionsBody.replaceChildren(tr); return;
  }
  const focused = els.versionsBody.contains(document.activeElement) ? document.activeElement.closest("tr")?.dataset.version : null;
  els.versionsBody.replaceChildren(...[...versions].reverse().map((v) => {
    const tr = el("tr");
    tr.dataset.version = String(v.version);
    if (v.version === live) tr.className = "live";
    const vcell = el("td");
    vcell.append(el("strong", null, `v${v.version}`));
    if (v.version === live) vcell.append(" ", el("span", "tag status published", t("liveBadge")));
    // Only the live version is ever relearned: a pending one that is not live (stored before rollbacks settled it) is not learning.
    if (v.learning === "pending" && v.version === live) vcell.append(" ", el("span", "tag status draft", t("learningPending")));
    if (v.learning === "stopped") vcell.append(" ", el("span", "tag", t("notLearned", v.stopped_by, v.replaced_by)));
    // One publish from the editor makes two versions: the overlay, live at once, and its background full relearn
    // (docs/retrieval.md "Re-publishing a few entries"). Without these the list showed two versions for one publish.
    if (v.learning === "relearned" && v.relearned_as) vcell.append(" ", el("span", "tag relearn", t("relearnedAs", v.relearned_as)));
    if (v.relearn_of) vcell.append(" ", el("span", "tag relearn", t("relearnOf", v.relearn_of)));
    const who = el("td", null, v.author || "");
    if (v.rolled_back_by) who.append(el("div", "muted small-text", t("rolledBackBy", v.rolled_back_by)));
    const act = el("td", "right");
    // An overlay relearned in full has the same entries as its complete version: that one is the publish's rollback
    // target (it needs no learning again); offering both read as two publishes, one of them "the same as live".
    const paired = v.learning === "relearned" && v.relearned_as && versions.some((o) => o.version === v.relearned_as);
    if (canEdit() && v.version !== live && !paired) act.append(button("ghost small", t("rollback"), () => doRollback(v.version), `${t("rollback")} v${v.version}`));
    tr.append(vcell, el("td", "num", v.entries ?? ""), who, el("td", null, fmtDateTime(v.published_at, i18n.locale)), act);
    return tr;
  }));
  if (focused) keepFocus(focused);
}

// The table is rebuilt under the keyboard (a rollback, a publish): stay on the same version's row, on its button if it
// still has one (the version rolled back to has none: it is live now, so the row itself takes the focus).
function keepFocus(version) {
  const row = els.versionsBody.querySelector(`tr[data-version="${version}"]`);
  if (!row) return;
  const target = row.querySelector("button") || row;
  if (target === row) row.tabIndex = -1;
  target.focus();
}

// The dialog's paragraphs: what the rollback changes, entry by entry kind, and why it would be learning again if so.
function rollbackBody(version, changes) {
  const MAX_IDS = 5;
  const ids = (list) => t("rollbackIds", list.slice(0, MAX_IDS), Math.max(0, list.length - MAX_IDS));
  const body = [t("confirmRollback", version)];
  for (const [key, list] of [["rollbackReverted", changes.reverted], ["rollbackRemoved", changes.removed], ["rollbackRestored", changes.restored]]) {
    if (list.length) body.push(t(key, list.length, version) + ids(list));
  }
  if (!changes.reverted.length && !changes.removed.length && !changes.restored.length) body.push(t("rollbackSame", version));
  if (changes.learning === "pending" && changes.base != null) body.push(t("rollbackLearns", version, changes.base));
  return body;
}

async function doRollback(version) {
  showMsg(els.versionsError, "");
  let changes;
  try { changes = await kb(`/versions/${version}/rollback-changes`); } catch (e) { showMsg(els.versionsError, e.message); return; }
  if (!(await confirmDialog({ title: t("confirmRollbackTitle"), body: rollbackBody(version, changes), confirm: t("rollback"), cancel: t("cancel") }))) return;
  try {
    await kb("/rollback", { method: "POST", body: { version } });
    state.notice = () => t("rolledBack", version);
    await Promise.all([loadVersions(), hooks.refreshAll()]);
    // The dialog hands the focus back to the row's button, which the redraw removes: if the table was redrawn before
    // that (a fast rollback, or a second redraw from the refresh), the focus fell to the page. Stay on the version.
    const at = document.activeElement;
    if (!at || at === document.body || els.versionsBody.contains(at)) keepFocus(version);
  } catch (e) { showMsg(els.versionsError, e.message); }
}
