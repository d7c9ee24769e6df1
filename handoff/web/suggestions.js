// Knowledge-base answers for the customer's latest question, beside the transcript (a strip on phones).
// "Insert" puts the answer into the reply box as plain text: the markdown's markers never reach the customer raw.
import { $, el } from "/static/common/dom.js";
import { markdownToPlain, renderMarkdown } from "/static/common/markdown.js";
import { api, ownsCurrent, state } from "./state.js";
import { t } from "./texts.js";
import { agentTyping } from "./typing.js";

const PHONE = window.matchMedia("(max-width: 800px)");
const els = {
  suggest: $("suggest"), toggle: $("suggest-toggle"), body: $("suggest-body"), count: $("suggest-count"),
  status: $("suggest-status"), list: $("suggest-list"), reply: $("reply"), replyForm: $("reply-form"),
};
const sg = { forId: null, seq: 0, timer: null, open: null, items: null }; // open: null = default (expanded on desktop, collapsed on phone)

export function resetSuggestions() {
  clearTimeout(sg.timer);
  sg.forId = null;
  sg.items = null;
  sg.seq++;
  els.suggest.hidden = true;
  els.list.replaceChildren();
  els.count.textContent = "0";
  els.status.textContent = "";
}

// Shown only for a chat this agent owns.
export function showSuggestions(mine) {
  const wasHidden = els.suggest.hidden;
  els.suggest.hidden = !mine;
  if (mine && wasHidden) applyOpen();
  if (mine) scheduleSuggestions();
}

export function scheduleSuggestions() {
  clearTimeout(sg.timer);
  sg.timer = setTimeout(refresh, 150); // coalesce the initial transcript load
}

async function refresh() {
  const cid = state.currentId;
  if (!cid || !ownsCurrent()) return;
  const forId = state.lastCustomerId;
  if (!forId) { render([]); return; }
  if (forId === sg.forId) return;
  const seq = ++sg.seq;
  els.suggest.setAttribute("aria-busy", "true");
  if (!els.list.children.length) els.status.textContent = t("suggestLoading");
  try {
    const items = await api(`/conversations/${encodeURIComponent(cid)}/suggestions`);
    if (seq !== sg.seq || cid !== state.currentId) return;
    sg.forId = forId;
    render(items || []);
  } catch {
    if (seq !== sg.seq) return;
    els.list.replaceChildren();
    els.count.textContent = "0";
    els.status.textContent = t("suggestFailed");
  } finally {
    if (seq === sg.seq) els.suggest.removeAttribute("aria-busy");
  }
}

export function render(items = sg.items || []) {
  sg.items = items;
  els.count.textContent = String(items.length);
  els.status.textContent = items.length ? "" : t("suggestNone");
  els.list.replaceChildren(...items.map((s) => {
    const li = el("li", "suggestion");
    li.dataset.kb = s.id;
    const top = el("div", "sg-top");
    top.append(el("span", "sg-q", s.question));
    const score = Number(s.score);
    const badge = el("span", `score${score < 0.5 ? " low" : ""}`, Number.isFinite(score) ? score.toFixed(2) : "");
    badge.title = t("matchScore");
    top.append(badge);
    const answer = el("div", "sg-answer");
    answer.append(renderMarkdown(s.answer));
    const insert = el("button", "ghost insert", t("insert"));
    insert.type = "button";
    insert.setAttribute("aria-label", t("insertLabel", s.question));
    insert.addEventListener("click", () => insertAnswer(markdownToPlain(s.answer)));
    li.append(top, answer, insert);
    return li;
  }));
}

function insertAnswer(text) {
  if (els.replyForm.hidden) return;
  const current = els.reply.value.trimEnd();
  els.reply.value = current ? `${current}\n\n${text}` : text;
  els.reply.focus();
  els.reply.setSelectionRange(els.reply.value.length, els.reply.value.length);
  els.reply.scrollTop = els.reply.scrollHeight;
  agentTyping();
}

function applyOpen() {
  const open = sg.open ?? !PHONE.matches;
  els.toggle.setAttribute("aria-expanded", String(open));
  els.body.hidden = !open;
  els.suggest.classList.toggle("collapsed", !open);
}
els.toggle.addEventListener("click", () => { sg.open = els.toggle.getAttribute("aria-expanded") !== "true"; applyOpen(); });
PHONE.addEventListener("change", () => { if (sg.open === null) applyOpen(); });
