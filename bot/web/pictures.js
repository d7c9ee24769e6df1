// A picture the customer attaches (the broken item, the wrong parcel, "商品和图片不一样"): checked here (type and size,
// the hub checks again), shown at once from the file itself, and sent through the outbox (outbox.js) like a typed
// message (hub/routes/uploads.py), under a client message id, so sending it again stores it once: while the hub is
// away it waits and is sent again by itself, across a reload too; one that fails for good says so under it, with
// "Retry". The agent opens it in their console.
import { el } from "/static/common/dom.js";
import { newClientId } from "/static/common/ids.js";
import { addPendingRow, dataUrl, pendingRows, previews } from "./log.js";
import { sendPicture } from "./outbox.js";
import { session } from "./session.js";
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
