// The entry list: search, filters by language, category and status, and one row per entry.
import { $, button, el, showMsg } from "/static/common/dom.js";
import { categories, hooks, kb, state } from "./state.js";
import { categoryName, t } from "./texts.js";

const els = {
  q: $("q"), fLanguage: $("f-language"), fCategory: $("f-category"), fStatus: $("f-status"), filters: $("filters"),
  listCount: $("list-count"), listSummary: $("list-summary"), list: $("entry-list"), listEmpty: $("list-empty"),
  categoryOptions: $("category-options"), formError: $("form-error"),
};

let searchTimer = null;
els.q.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadEntries, 200); });
for (const s of [els.fLanguage, els.fCategory, els.fStatus]) s.addEventListener("change", loadEntries);
els.filters.addEventListener("submit", (ev) => { ev.preventDefault(); loadEntries(); });

export const filters = { language: () => els.fLanguage.value, category: () => els.fCategory.value };
export function focusSearch() { els.q.focus(); }

export async function loadEntries() {
  const params = new URLSearchParams();
  if (els.q.value.trim()) params.set("q", els.q.value.trim());
  for (const [k, s] of [["language", els.fLanguage], ["category", els.fCategory], ["status", els.fStatus]]) if (s.value) params.set(k, s.value);
  try {
    const [filtered, all] = await Promise.all([kb(`/entries?${params}`), kb("/entries")]);
    state.entries = filtered;
    state.all = all;
    renderCategories();
    renderList();
  } catch (e) { showMsg(els.formError, e.message); }
}

export function renderCategories() {
  const cats = categories();
  const chosen = els.fCategory.value;
  const first = els.fCategory.options[0];
  els.fCategory.replaceChildren(first, ...cats.map((c) => { const o = el("option", null, categoryName(c)); o.value = c; return o; }));
  els.fCategory.value = cats.includes(chosen) ? chosen : "";
  els.categoryOptions.replaceChildren(...cats.map((c) => { const o = el("option", null, categoryName(c)); o.value = c; return o; }));
}

export function renderList() {
  const entries = state.entries;
  const drafts = entries.filter((e) => e.status === "draft").length;
  els.listCount.textContent = String(entries.length);
  els.listSummary.textContent = t("listSummary", entries.length, drafts, state.all.length);
  els.listEmpty.hidden = entries.length > 0;
  const currentId = state.current && !state.isNew ? state.current.id : null;
  const focusedId = els.list.contains(document.activeElement) ? document.activeElement.closest("li")?.dataset.id : null;
  els.list.replaceChildren(...entries.map((e) => {
    const li = el("li");
    li.dataset.id = e.id;
    const b = button(`item${currentId === e.id ? " active" : ""}`, null, () => hooks.openEntry(e.id));
    if (currentId === e.id) b.setAttribute("aria-current", "true");
    const top = el("div", "item-top");
    top.append(el("span", "item-name", e.question));
    b.append(top, el("div", "item-text", e.id));
    const tags = el("div", "tags");
    tags.append(el("span", `tag status ${e.status}`, e.status === "draft" ? t("statusDraft") : t("statusPublished")));
    tags.append(el("span", "tag", e.language === "zh" ? "中文" : "English"));
    tags.append(el("span", "tag", categoryName(e.category)));
    b.append(tags);
    li.append(b);
    return li;
  }));
  // The list is rebuilt under the keyboard (opening an entry, saving): keep focus on the same entry's row.
  if (focusedId) els.list.querySelector(`li[data-id="${CSS.escape(focusedId)}"] button`)?.focus();
}
