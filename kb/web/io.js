// Import (every row checked; one bad row and nothing is imported, each problem listed) and export.
import { $, el } from "/static/common/dom.js";
import { hooks, kb } from "./state.js";
import { t } from "./texts.js";

const els = { importForm: $("import-form"), importFile: $("import-file"), importStatus: $("import-status"), importErrors: $("import-errors"), exportStatus: $("export-status") };

els.importForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.importErrors.replaceChildren();
  const file = els.importFile.files[0];
  if (!file) { els.importStatus.textContent = t("chooseFile"); els.importFile.focus(); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  els.importStatus.textContent = t("importing");
  try {
    const res = await kb("/import", { method: "POST", form });
    els.importStatus.textContent = t("imported", res);
    els.importFile.value = "";
    await hooks.refreshAll();
  } catch (e) {
    els.importStatus.textContent = "";
    const box = el("div", "error");
    box.append(el("p", "import-msg", e.message));
    const rows = (e.detail && Array.isArray(e.detail.errors) && e.detail.errors) || [];
    if (rows.length) {
      const wrap = el("div", "table-wrap");
      const table = el("table", "table compact");
      const head = el("tr");
      for (const h of [t("row"), t("idColumn"), t("message")]) { const th = el("th", null, h); th.scope = "col"; head.append(th); }
      const thead = el("thead"); thead.append(head);
      const tbody = el("tbody");
      for (const r of rows) {
        const tr = el("tr");
        tr.append(el("td", "num", r.row ?? ""), el("td", null, r.id ?? ""), el("td", null, r.message ?? ""));
        tbody.append(tr);
      }
      table.append(thead, tbody); wrap.append(table); box.append(wrap);
    }
    els.importErrors.append(box);
  }
});

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

