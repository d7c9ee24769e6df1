// The pending bar: what the next publish would change, and publishing it after saying exactly that.
import { confirmDialog } from "/static/common/dialog.js";
import { $, button, el } from "/static/common/dom.js";
import { hooks, kb, state } from "./state.js";
import { t } from "./texts.js";

const els = {
  app: $("app-view"), pendingSummary: $("pending-summary"), liveVersion: $("live-version"), publishResult: $("publish-result"),
  pendingDetails: $("pending-details"), pendingList: $("pending-list"), publish: $("publish"),
};

export async function loadPending() {
  try {
    const [pending, versions] = await Promise.all([kb("/pending"), kb("/versions")]);
    state.pending = pending;
    state.live = versions.live;
    renderPending();
  } catch { /* the list shows the error */ }
}

// Each pending change: kind (new / edited / deleted), id, and the entry's question if it still exists.
function changes() {
  const byId = new Map(state.all.map((e) => [e.id, e]));
  return [
    ...state.pending.changed.map((id) => { const e = byId.get(id); return { id, kind: e && e.revision === 1 ? "new" : "edited", question: e ? e.question : "" }; }),
    ...state.pending.deleted.map((id) => ({ id, kind: "deleted", question: "" })),
  ];
}

const KIND_TEXT = { new: "pendNew", edited: "pendEdited", deleted: "pendDeleted" };

function changeItem(change, openable) {
  const li = el("li", `pend ${change.kind}`);
  li.append(el("span", "pend-kind", t(KIND_TEXT[change.kind])));
  if (openable && change.kind !== "deleted") li.append(button("linklike", change.id, () => hooks.openEntry(change.id), t("openEntry", change.id)));
  else li.append(el("span", "pend-id", change.id));
  if (change.question && !openable) li.append(el("span", "muted pend-q", change.question));
  return li;
}

export function renderPending() {
  const list = changes();
  const n = list.length;
  els.pendingSummary.textContent = n ? t("pendingSome", n) : t("pendingNone");
  els.liveVersion.textContent = t("live", state.live);
  els.publishResult.textContent = state.notice ? state.notice() : "";  // re-said in the language now chosen
  els.pendingDetails.hidden = n === 0;
  els.publish.disabled = n === 0;
  els.app.classList.toggle("has-pending", n > 0);
  els.pendingList.replaceChildren(...list.map((c) => changeItem(c, true)));
}

els.publish.addEventListener("click", async () => {
  const list = changes();
  if (!list.length) return;
  const summary = el("ul", "pending-list confirm-list");
  summary.append(...list.map((c) => changeItem(c, false)));
  const ok = await confirmDialog({ title: t("confirmPublishTitle"), body: [t("confirmPublishIntro", list.length), summary], confirm: t("publishN", list.length), cancel: t("cancel") });
  if (!ok) return;
  els.publish.disabled = true;
  els.publishResult.textContent = t("publishing");
  try {
    const done = await kb("/publish", { method: "POST" });
    state.notice = () => t("published_", done);
    state.versions = null;
    await hooks.refreshAll();
    if (state.current && !state.isNew) await hooks.openEntry(state.current.id, { keepTab: true, force: true });
    if (state.tab === "versions") hooks.showTab("versions");
  } catch (e) {
    els.publishResult.textContent = e.message;
    els.publish.disabled = false;
  }
});
