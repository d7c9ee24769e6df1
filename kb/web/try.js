// "Try it": what the bot would do with a question, against the published knowledge base or the drafts.
import { $, button, el, showMsg } from "/static/common/dom.js";
import { renderMarkdown } from "/static/common/markdown.js";
import { hooks, kb, state } from "./state.js";
import { fmt, t } from "./texts.js";

const els = { tryForm: $("try-form"), tryQ: $("try-q"), tryLang: $("try-lang"), tryError: $("try-error"), tryResult: $("try-result") };

els.tryForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showMsg(els.tryError, "");
  const question = els.tryQ.value.trim();
  if (!question) { els.tryQ.focus(); return; }
  const target = els.tryForm.querySelector("input[name='try-target']:checked").value;
  const body = { question, target };
  if (els.tryLang.value) body.language = els.tryLang.value;
  const run = $("try-run");
  run.disabled = true;
  els.tryResult.setAttribute("aria-busy", "true");
  els.tryResult.replaceChildren(el("p", "muted", t("searching")));
  els.tryResult.hidden = false;
  try {
    state.lastTry = await kb("/try", { method: "POST", body });
    renderTry(state.lastTry);
  } catch (e) { showMsg(els.tryError, e.message); els.tryResult.hidden = true; }
  finally { run.disabled = false; els.tryResult.removeAttribute("aria-busy"); }
});

export function renderTry(res) {
  const parts = [];
  const head = el("div", "try-head");
  head.append(el("span", `decision ${res.decision}`, t("decision")[res.decision] || res.decision));
  head.append(el("span", "muted", t("decisionHelp")[res.decision] || ""));
  parts.push(head);
  parts.push(el("p", "muted small-text", t("searchedIn", res.target, res.language)));
  if (res.gate) parts.push(el("p", "gate", t("gate", res.gate)));
  if (!res.hits || !res.hits.length) parts.push(el("p", "muted", t("noHits")));
  else {
    const ol = el("ol", "hits");
    res.hits.forEach((h, i) => {
      const li = el("li", `hit${i === 0 ? " top" : ""}`);
      li.dataset.id = h.id;
      const top = el("div", "hit-top");
      top.append(el("span", "hit-rank", `#${i + 1}`), el("span", "hit-q", h.question));
      top.append(button("linklike hit-id", h.id, () => hooks.openEntry(h.id), t("openEntry", h.id)));
      li.append(top);
      const bar = el("div", "bar");
      const fill = el("div", "bar-fill");
      fill.style.width = `${Math.max(0, Math.min(1, Number(h.score) || 0)) * 100}%`;
      if (res.gate) fill.classList.add(h.score >= res.gate.answer ? "ok" : h.score >= res.gate.suggest ? "warn" : "bad");
      bar.append(fill);
      if (res.gate) {
        for (const [k, v] of [["answer", res.gate.answer], ["suggest", res.gate.suggest]]) {
          const tick = el("span", `tick ${k}`); tick.style.left = `${Math.max(0, Math.min(1, v)) * 100}%`; bar.append(tick);
        }
      }
      bar.setAttribute("aria-hidden", "true");
      li.append(bar);
      const scores = el("div", "scores");
      for (const [k, v] of [["fused", h.score], ["dense", h.dense], ["lexical", h.lexical]]) {
        const s = el("span", `score ${k}`); s.append(el("span", "muted", `${t(k)} `), el("strong", null, fmt(v))); scores.append(s);
      }
      li.append(scores);
      const ans = el("div", "hit-answer md");
      ans.append(renderMarkdown(h.answer));
      li.append(ans);
      ol.append(li);
    });
    parts.push(ol);
  }
  els.tryResult.replaceChildren(...parts);
  els.tryResult.hidden = false;
}

