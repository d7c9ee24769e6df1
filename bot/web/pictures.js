// A picture the customer attaches (the broken item, the wrong parcel, "商品和图片不一样"): checked here (type and size,
// the hub checks again), shown at once from the file itself, and sent as it is (hub/routes/uploads.py) under a client
// message id, so sending it again stores it once. The agent opens it in their console. A picture the hub refuses, or
// that cannot be sent, says why under it and can be sent again.
import { el } from "/static/common/dom.js";
import { newClientId } from "/static/common/ids.js";
import { addMessage, addPendingRow, dataUrl, pendingRows, previews } from "./log.js";
import { api, session } from "./session.js";
import { i18n } from "./texts.js";

const TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
const button = document.getElementById("attach");
const picker = document.getElementById("attach-file");

button.addEventListener("click", () => picker.click());
picker.addEventListener("change", () => {
  const file = picker.files && picker.files[0];
  picker.value = ""; // the same file can be picked again
  if (file) attach(file);
});

async function attach(file) {
  const clientId = newClientId();
  if (TYPES.includes(file.type)) previews.set(clientId, await dataUrl(file));
  const row = addPendingRow(clientId, file.name, { kind: "attachment", media: { type: "image", upload_id: null } });
  if (!TYPES.includes(file.type)) return refused(row, "picture_type");
  if (session.maxImageBytes && file.size > session.maxImageBytes) return refused(row, "picture_too_large", { mb: Math.floor(session.maxImageBytes / 1048576) });
  send(file, clientId, row);
}

async function send(file, clientId, row) {
  if (!session.id) return refused(row, "picture_failed", {}, () => send(file, clientId, row));
  try {
    const message = await api(`/api/conversations/${session.id}/attachments?client_message_id=${encodeURIComponent(clientId)}`, { method: "POST", form: file });
    addMessage(message, { live: true });
  } catch (e) {
    if (e.code === "not_an_image") refused(row, "picture_type");
    else if (e.status === 413 || e.code === "image_too_large") refused(row, "picture_too_large", { mb: Math.floor((session.maxImageBytes || 0) / 1048576) });
    else refused(row, "picture_failed", {}, () => send(file, clientId, row));
  }
}

// Said under the picture (labelled: it follows a switch of language); ``again``: it may be sent again.
function refused(row, key, args = {}, again = null) {
  row.classList.remove("pending");
  row.classList.add("failed");
  for (const old of row.querySelectorAll(".failed-note, .failed-actions")) old.remove();
  const note = i18n.label(el("p", "failed-note"), key, args);
  note.setAttribute("role", "alert");
  row.append(note);
  if (!again) {
    pendingRows.delete(row.dataset.client);
    return;
  }
  const retry = i18n.label(el("button", "link"), "retry");
  retry.type = "button";
  retry.addEventListener("click", () => {
    note.remove(); actions.remove();
    row.classList.remove("failed"); row.classList.add("pending");
    again();
  });
  const actions = el("div", "failed-actions");
  actions.append(retry);
  row.append(actions);
}
