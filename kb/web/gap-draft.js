// The small form under each content gap: pick a category, accept or change the suggested id, create the draft.
import { el, showMsg } from "/static/common/dom.js";
import { focusAnswer, plainProblem } from "./editor.js";
import { canEdit, categories, hooks, kb, state } from "./state.js";
import { zhIdWords } from "./id-words.js";
import { categoryName, t } from "./texts.js";

const STOPWORDS = new Set("a an the is are am was be do does did i me my we our you your it its to of for in on at by with can could how what when where which who why will would should and or not no if from about this that there please".split(" "));

function slugify(text, fallback) {
  const words = String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, " ").trim().split(" ").filter((w) => w && !STOPWORDS.has(w));
  return words.slice(0, 5).join("-") || fallback;
}

// A Chinese question has no ASCII words to keep: its customer-service terms in English make the id (id-words.js),
// else "gap-" and the group's short hash: "payment-invoice-company-title-zh", "other-gap-3fa2b1-zh".
function gapId(group, category) {
  const fallback = `gap-${group.id.slice(0, 6)}`;
  const words = group.language === "zh" ? zhIdWords(group.newest).slice(0, 3).join("-") || fallback : slugify(group.newest, fallback);
  return `${category}-${words}-${group.language}`;
}

// onCreated(): the group became an entry (drop it from the list).
export function editEntryFromGap(g, idx, onCreated) {
  if (!canEdit()) return document.createDocumentFragment();
  const form = el("form", "gap-form");
  const catId = `gap-cat-${idx}`, idId = `gap-id-${idx}`, errId = `gap-err-${idx}`;
  const catLabel = el("label", null, t("category")); catLabel.htmlFor = catId;
  const cat = el("select"); cat.id = catId;
  for (const c of categories()) { const o = el("option", null, categoryName(c)); o.value = c; cat.append(o); }
  cat.value = "other";
  const idLabel = el("label", null, t("newId")); idLabel.htmlFor = idId;
  const input = el("input"); input.id = idId; input.value = gapId(g, cat.value); input.spellcheck = false; input.autocomplete = "off";
  input.setAttribute("aria-describedby", errId);
  let edited = false;
  input.addEventListener("input", () => { edited = true; });
  cat.addEventListener("change", () => { if (!edited) input.value = gapId(g, cat.value); });
  const err = el("p", "field-error"); err.id = errId; err.hidden = true; err.setAttribute("role", "alert");
  const submit = el("button", "primary small", t("createFromGap")); submit.type = "submit";
  const c1 = el("div", "field"); c1.append(catLabel, cat);
  const c2 = el("div", "field grow"); c2.append(idLabel, input);
  const row = el("div", "field-row"); row.append(c1, c2);
  form.append(row, err, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showMsg(err, "");
    try {
      const entry = await kb("/gaps/draft", { method: "POST", body: { id: input.value.trim(), questions: g.questions, language: g.language, category: cat.value } });
      state.gaps = state.gaps.filter((x) => x.id !== g.id);
      onCreated();
      await hooks.refreshAll();
      if (await hooks.openEntry(entry.id)) focusAnswer();
    } catch (e) {
      const messages = Array.isArray(e.errors) && e.errors.length ? e.errors.map((x) => plainProblem(x.msg))
        : e.status === 409 ? [t("errExists")] : e.status === 422 ? [plainProblem(e.message)] : [e.message];
      showMsg(err, [...new Set(messages)].join(" "));
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  });
  return form;
}
