// A picture the customer attaches (the broken item, the wrong parcel, "商品和图片不一样"): checked here (type and size,
// the hub checks again), shown at once from the file itself, and sent through the outbox (outbox.js) like a typed
// message (hub/routes/uploads.py), under a client message id, so sending it again stores it once: while the hub is
// away it waits and is sent again by itself, across a reload too; one that fails for good says so under it, with
// "Retry". The agent opens it in their console. Pasted into the message box (a screenshot) or dropped onto the chat
// (a file from the desktop), it is attached the same way.
import { el } from "/static/common/dom.js";
import { newClientId } from "/static/common/ids.js";
import { viewPicture } from "/static/common/viewer.js";
import { addPendingRow, dataUrl, pendingRows, previews } from "./log.js";
import { sendPicture } from "./outbox.js";
import { session } from "./session.js";
import { i18n, t } from "./texts.js";

const TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
const button = document.getElementById("attach");
const picker = document.getElementById("attach-file");

button.addEventListener("click", () => picker.click());
picker.addEventListener("change", () => {
  const file = picker.files && picker.files[0];
  picker.value = ""; // the same file can be picked again
  if (file) attach(file);
});

// The first file a paste or a drop carries, if any (pasted text is left to the message box).
function fileIn(data) {
  for (const item of (data && data.items) || []) {
    if (item.kind === "file") return item.getAsFile();
  }
  return null;
}

document.getElementById("input").addEventListener("paste", (ev) => {
  const file = fileIn(ev.clipboardData);
  if (!file) return;
  ev.preventDefault();
  attach(file);
});

// Dropped anywhere on the chat (the browser would otherwise open the file in place of the chat).
const carriesFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files");
document.addEventListener("dragover", (ev) => {
  if (!carriesFiles(ev)) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = "copy";
  document.body.classList.add("dropping");
});
document.addEventListener("dragleave", (ev) => { if (!ev.relatedTarget) document.body.classList.remove("dropping"); });
document.addEventListener("drop", (ev) => {
  document.body.classList.remove("dropping");
  if (!carriesFiles(ev)) return;
  ev.preventDefault();
  const file = fileIn(ev.dataTransfer);
  if (file) attach(file);
});

// Full size over the chat (the log shows a thumbnail): web/common/viewer.js, as the agent's console shows its pictures.
document.getElementById("log").addEventListener("click", (ev) => {
  const open = ev.target.closest("button.picture-open");
  if (open) viewPicture(open.querySelector("img"), { from: open, closeLabel: t("picture_close") });
});

async function attach(file) {
  const clientId = newClientId();
  if (TYPES.includes(file.type)) previews.set(clientId, await dataUrl(file));
  const row = addPendingRow(clientId, file.name, { kind: "attachment", media: { type: "image", upload_id: null } });
  if (!TYPES.includes(file.type)) return refused(row, "picture_type");
  if (session.maxImageBytes && file.size > session.maxImageBytes) return refused(row, "picture_too_large", { mb: Math.floor(session.maxImageBytes / 1048576) });
  sendPicture(file, clientId);
}

// Said under a picture that is never sent (labelled: it follows a switch of language).
function refused(row, key, args = {}) {
  row.classList.remove("pending");
  row.classList.add("failed");
  const note = i18n.label(el("p", "failed-note"), key, args);
  note.setAttribute("role", "alert");
  row.append(note);
  pendingRows.delete(row.dataset.client);
}
