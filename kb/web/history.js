// An entry's revision history, and what changed between two revisions (word and line diffs).
import { $, button, el } from "/static/common/dom.js";
import { fmtDateTime, labelled } from "/static/common/i18n.js";
import { kb, state } from "./state.js";
import { i18n, t } from "./texts.js";

const els = { history: $("history"), historyList: $("history-list"), diff: $("diff") };
const hist = { revs: [], index: -1 };

export async function loadHistory(id) {
  try {
    hist.revs = await kb(`/entries/${encodeURIComponent(id)}/history`);
    hist.index = hist.revs.length - 1;
  } catch { hist.revs = []; hist.index = -1; }
  renderHistory();
}

export function hideHistory() { els.history.hidden = true; }

export function renderHistory() {
  const revs = hist.revs;
  els.history.hidden = state.isNew || !state.current || revs.length === 0;
  if (els.history.hidden) return;
  const items = [];
  revs.forEach((r, i) => {
    const li = el("li");
    const isDeleted = r.answer === "(deleted)" && i > 0 && r.revision === revs[i - 1].revision;
    const b = button(`rev${i === hist.index ? " active" : ""}`, null, () => { hist.index = i; renderHistory(); });
    if (i === hist.index) b.setAttribute("aria-current", "true");
    b.append(el("strong", null, isDeleted ? t("deletedRev") : t("rev", r.revision)), el("span", "muted", ` ${r.updated_by} · ${fmtDateTime(r.updated_at, i18n.locale)}`));
    li.append(b);
    items.push(li);
  });
  els.historyList.replaceChildren(...items.reverse());
  renderDiff();
}

function tokens(s) { return String(s || "").split(/(\s+)/).filter((x) => x !== ""); }

function diffSeq(a, b) {
  const n = a.length, m = b.length;
  if (n * m > 4_000_000) return [...a.map((x) => ["-", x]), ...b.map((x) => ["+", x])];
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push(["=", a[i]]); i++; j++; }
    else if (dp[i + 1][j] >= dp[i][j + 1]) out.push(["-", a[i++]]);
    else out.push(["+", b[j++]]);
  }
  while (i < n) out.push(["-", a[i++]]);
  while (j < m) out.push(["+", b[j++]]);
  return out;
}

function diffNode(ops, lines) {
  const box = el("div", lines ? "diff-text lines" : "diff-text");
  for (const [op, text] of ops) {
    if (lines) {
      const row = el("div", op === "+" ? "line ins" : op === "-" ? "line del" : "line", text);
      row.prepend(el("span", "mark", op === "=" ? "  " : `${op} `));
      if (op !== "=") row.setAttribute("aria-label", labelled(t(op === "+" ? "lineAdded" : "lineRemoved"), i18n.lang) + text);
      box.append(row);
    } else if (op === "=") box.append(document.createTextNode(text));
    else box.append(el(op === "+" ? "ins" : "del", null, text));
  }
  return box;
}

function renderDiff() {
  const revs = hist.revs, i = hist.index;
  if (i < 0 || !revs[i]) { els.diff.replaceChildren(); return; }
  const cur = revs[i], prev = i > 0 ? revs[i - 1] : null;
  const parts = [el("h3", null, prev ? t("diffAgainst", prev.revision, cur.revision) : t("firstRevision"))];
  const before = prev || { question: "", phrasings: [], answer: "", category: "", language: "", tags: [] };
  let changed = 0;
  const section = (label, node) => { const s = el("div", "diff-field"); s.append(el("div", "diff-label", label), node); parts.push(s); };
  if (before.question !== cur.question) { changed++; section(t("fieldQuestion"), diffNode(diffSeq(tokens(before.question), tokens(cur.question)))); }
  if (JSON.stringify(before.phrasings) !== JSON.stringify(cur.phrasings)) { changed++; section(t("fieldPhrasings"), diffNode(diffSeq(before.phrasings, cur.phrasings), true)); }
  if (before.answer !== cur.answer) { changed++; section(t("fieldAnswer"), diffNode(diffSeq(tokens(before.answer), tokens(cur.answer)))); }
  for (const [key, label] of [["category", "fieldCategory"], ["language", "fieldLanguage"]]) {
    if (before[key] !== cur[key]) { changed++; section(t(label), diffNode(diffSeq(before[key] ? [before[key]] : [], [cur[key]]).map(([o, x]) => [o, `${x} `]))); }
  }
  if (JSON.stringify(before.tags) !== JSON.stringify(cur.tags)) { changed++; section(t("fieldTags"), diffNode(diffSeq(before.tags, cur.tags).map(([o, x]) => [o, `${x} `]))); }
  if (!changed) parts.push(el("p", "muted", t("noChanges")));
  els.diff.replaceChildren(...parts);
}

