// Content gaps: questions the bot could not answer (or answered unhelpfully), grouped by meaning; each group
// becomes a draft entry in one step, and a "voted not helpful" group links to the answer that was voted down.
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fmtDateTime, labelled, listed } from "/static/common/i18n.js";
import { editEntryFromGap } from "./gap-draft.js";
import { hooks, kb, state } from "./state.js";
import { i18n, t } from "./texts.js";

const els = { gapsList: $("gaps-list"), gapsEmpty: $("gaps-empty"), gapsError: $("gaps-error"), gapsRefresh: $("gaps-refresh") };

els.gapsRefresh.addEventListener("click", loadGaps);

export async function loadGaps() {
  if (els.gapsRefresh.disabled) return; // one load at a time: a second render would wipe what the user typed
  showMsg(els.gapsError, "");
  els.gapsRefresh.disabled = true;
  els.gapsList.setAttribute("aria-busy", "true");
  try {
    const [gaps, votedDown] = await Promise.all([kb("/gaps"), kb("/voted-down").catch(() => [])]);
    state.gaps = gaps.sort((a, b) => b.count - a.count || b.newest_at - a.newest_at);
    state.votedDown = votedDown;
    renderGaps();
  } catch (e) { showMsg(els.gapsError, e.message); }
  finally { els.gapsRefresh.disabled = false; els.gapsList.removeAttribute("aria-busy"); }
}

// The answers customers voted down for the questions of this group, most votes first.
function votedDownFor(group) {
  const questions = new Set(group.questions);
  const byEntry = new Map();
  for (const v of state.votedDown) {
    if (!questions.has(v.question)) continue;
    const seen = byEntry.get(v.entry_id);
    byEntry.set(v.entry_id, { ...v, votes: (seen ? seen.votes : 0) + v.votes });
  }
  return [...byEntry.values()].sort((a, b) => b.votes - a.votes);
}

export function renderGaps() {
  const groups = state.gaps || [];
  els.gapsEmpty.hidden = groups.length > 0;
  els.gapsList.replaceChildren(...groups.map((g, idx) => {
    const li = el("li", "gap");
    li.dataset.id = g.id;
    const top = el("div", "gap-top");
    top.append(el("span", "gap-count", t("asked", g.count)), el("span", "tag", g.language === "zh" ? "中文" : "English"));
    top.append(el("span", "muted small-text", fmtDateTime(g.newest_at, i18n.locale)));
    li.append(top);
    const newest = el("p", "gap-newest");
    newest.append(el("span", "muted", labelled(t("newest"), i18n.lang)), el("q", null, g.newest));
    li.append(newest);
    const det = el("details");
    det.append(el("summary", null, t("allWordings", g.questions.length)));
    const ul = el("ul", "wordings");
    for (const q of g.questions) ul.append(el("li", null, q));
    det.append(ul);
    li.append(det);
    const reasons = Object.entries(g.reasons || {});
    if (reasons.length) li.append(el("p", "muted small-text", labelled(t("reasons"), i18n.lang) + listed(reasons.map(([k, v]) => `${t("reasonNames")[k] || k} ×${v}`), i18n.lang)));
    const voted = votedDownFor(g);
    if (voted.length) {
      const p = el("p", "gap-voted");
      p.append(el("span", null, `${t("votedDownAnswer")} `));
      voted.forEach((v, i) => {
        if (i) p.append(", ");
        const open = button("linklike voted-entry", v.entry_question || v.entry_id, () => hooks.openEntry(v.entry_id));
        open.dataset.entry = v.entry_id;
        p.append(open);
        p.append(el("span", "muted small-text", ` (${v.entry_id} · ${t("votes", v.votes)})`));
      });
      li.append(p);
    }
    li.append(editEntryFromGap(g, idx, renderGaps));
    return li;
  }));
}
