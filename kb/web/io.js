// Import (every row checked; one bad row and nothing is imported, each problem listed) and export.
import { $, el } from "/static/common/dom.js";
import { plainProblem } from "./editor.js";
import { hooks, kb } from "./state.js";
import { t } from "./texts.js";

const els = { importForm: $("import-form"), importFile: $("import-file"), importReplace: $("import-replace"), importStatus: $("import-status"), importErrors: $("import-errors"), exportStatus: $("export-status") };

els.importForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.importErrors.replaceChildren();
  const file = els.importFile.files[0];
  if (!file) { els.importStatus.textContent = t("chooseFile"); els.importFile.focus(); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  els.importStatus.textContent = t("importing");
  try {
    const res = await kb(els.importReplace.checked ? "/import?replace=true" : "/import", { method: "POST", form });
    els.importStatus.textContent = t("imported", res);
    els.importFile.value = "";
    els.importReplace.checked = false;
    await hooks.refreshAll();
  } catch (e) {
    els.importStatus.textContent = "";
    const box = el("div", "error");
    const rows = (e.detail && Array.isArray(e.detail.errors) && e.detail.errors) || [];
    box.append(el("p", "import-msg", importProblem(e, rows)));
    if (rows.length && !wholeFile(rows)) {
      const wrap = el("div", "table-wrap");
      const table = el("table", "table compact");
      const head = el("tr");
      for (const h of [t("row"), t("idColumn"), t("message")]) { const th = el("th", null, h); th.scope = "col"; head.append(th); }
      const thead = el("thead"); thead.append(head);
      const tbody = el("tbody");
      for (const r of rows) {
        const tr = el("tr");
        tr.append(el("td", "num", r.row ?? ""), el("td", null, r.id ?? ""), el("td", null, rowProblem(r.message)));
        tbody.append(tr);
      }
      table.append(thead, tbody); wrap.append(table); box.append(wrap);
    }
    els.importErrors.append(box);
  }
});

// The hub reports what is wrong with an import in English words ("3 bad row(s); nothing was imported", "id: String
// should match pattern '^[A-Za-z0-9_.:\-]+$'"): said here in the interface language, like the editor's field errors.
const FIELD_NAMES = { id: "entryId", question: "fieldQuestion", phrasings: "fieldPhrasings", answer: "fieldAnswer", category: "fieldCategory", language: "fieldLanguage", tags: "fieldTags", status: "status" };

function fileProblem(message) {
  const m = String(message || "");
  const columns = m.match(/header lacks column\(s\): (.*)$/);
  if (columns) return t("importNoColumns", columns[1]);
  if (/neither UTF-8 nor GBK/i.test(m)) return t("importNotText");
  if (/not valid JSON/i.test(m)) return t("importNotJson");
  if (/expected a JSON array/i.test(m)) return t("importWrongShape");
  if (/empty sheet/i.test(m)) return t("importEmptySheet");
  if (/has no entries: replacing/i.test(m)) return t("importNothingToReplace");
  if (/not a readable Excel workbook|not an \.xlsx file/i.test(m)) return t("importNotWorkbook");
  return null;
}

// One row's problems: "field: problem; field: problem" (a problem may hold "; " itself), or a duplicate id.
function rowProblem(message) {
  const m = String(message || "");
  const dup = m.match(/^duplicate id \(first seen in row (\d+)\)$/);
  if (dup) return t("importDuplicate", Number(dup[1]));
  const said = fileProblem(m);
  if (said) return said;
  return m.split(/; (?=[a-z_]+(?:\.\d+)?: )/).map((part) => {
    const field = part.match(/^([a-z_]+)(?:\.\d+)?: (.*)$/);
    return field && FIELD_NAMES[field[1]] ? t("importField", t(FIELD_NAMES[field[1]]), plainProblem(field[2])) : plainProblem(part);
  }).join(" ");
}

// A problem with the file as a whole (row 0, or the header), said in the interface language, or null: row problems.
function wholeFile(rows) {
  if (rows.length !== 1 || rows[0].id) return null;
  const said = fileProblem(rows[0].message);
  return said || (rows[0].row === 0 ? rows[0].message : null);
}

function importProblem(e, rows) {
  if (e.status !== 422 && e.status !== 413 && e.status !== 415) return e.message;  // no connection, 5xx: said by state.js
  const file = wholeFile(rows);
  if (file) return `${file} ${t("importNothing")}`;
  if (rows.length) return t("importBadRows", rows.length);
  const said = fileProblem(e.message);
  if (said) return `${said} ${t("importNothing")}`;
  return e.status === 415 ? t("importWrongType") : e.status === 413 ? t("importTooLarge") : e.message;
}

for (const b of document.querySelectorAll(".export")) {
  b.addEventListener("click", async () => {
    const format = b.dataset.format;
    els.exportStatus.textContent = t("downloading");
    try {
      const resp = await kb(`/export?format=${encodeURIComponent(format)}`, { raw: true });
      const blob = await resp.blob();
      const url = URL.createObjectURL(blob);
      const a = el("a");
      a.href = url; a.download = `kb.${format}`;
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      els.exportStatus.textContent = t("downloaded", format);
    } catch (e) { els.exportStatus.textContent = e.message; }
  });
}

