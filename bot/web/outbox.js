// Sending the customer's messages so that none is ever lost or sent twice.
//
// Every message waits in local storage until the hub has it, under a client message id: a resend (after a
// brief outage, a lost connection or a reload) carries the same id, and the hub stores it once. While the
// service is briefly away the message stays pending and is retried by itself; when the browser is offline it
// waits for the connection to return. A message the hub refuses shows why, and can be edited or retried.
// A picture the customer attaches (pictures.js) waits the same way, the picture itself in IndexedDB (blobs.js):
// retried while the hub is away, kept across a reload, and if it fails for good, marked as not sent with "Retry"
// and "Don't send"; one the hub refuses as not a picture or too large says so and is dropped.
import { el } from "/static/common/dom.js";
import { isTransient } from "/static/common/api.js";
import { newClientId } from "/static/common/ids.js";
import { readJson, writeJson } from "/static/common/storage.js";
import * as blobs from "./blobs.js";
import { addMessage, addPendingRow, botThinking, confirmed, dataUrl, pendingRows, previews } from "./log.js";
import { api, session, status, updateView } from "./session.js";
import { i18n } from "./texts.js";
import { connection } from "./connection.js";

const STORE = "cs_chat_outbox_v1";
const MAX_ATTEMPTS = 30;
const inFlight = new Set();
const retryTimers = new Map(); // client message id -> the timer of its next attempt
const restoring = new Set(); // pictures being read back from IndexedDB after a reload
// Why the hub refuses a picture for good, by its code: what the customer is told under it (texts.js).
const REFUSED = { not_an_image: "picture_type", image_too_large: "picture_too_large", image_too_many_pixels: "picture_too_many_pixels" };
const PICTURE = { kind: "attachment", media: { type: "image", upload_id: null } }; // a pending picture's row (log.js)
export const hooks = { edit: null }; // put a refused message back into the composer

// Messages typed before the conversation exists (the page still starting it, the service away) are saved under no
// conversation, kept across a reload, and belong to the conversation that starts next: dropping them lost a fast
// typist's first message.
function load() {
  const saved = readJson(STORE, {});
  const ours = saved.conversation === session.id || saved.conversation === null;
  return ours && Array.isArray(saved.items) ? saved.items : [];
}
function save(items) { writeJson(STORE, { conversation: session.id, items }); }
function update(clientId, change) { save(load().map((x) => (x.clientId === clientId ? { ...x, ...change } : x)).filter((x) => !x.done)); }

export function send(text, payload = null) {
  text = text.trim();
  if (!text) return;
  const item = { clientId: newClientId(), text, payload, language: i18n.lang, failed: null }; // the page's language as it was typed
  save([...load(), item]);
  addPendingRow(item.clientId, text);
  deliver(item, 0);
}

// A picture (its row already shown by pictures.js): kept before it is listed, so a reload finds every listed one.
export async function sendPicture(file, clientId) {
  const item = { clientId, picture: { name: file.name, type: file.type }, language: i18n.lang, failed: null };
  await blobs.keep(clientId, file);
  save([...load(), item]);
  deliver(item, 0);
}

function finished(clientId) {
  update(clientId, { done: true });
  blobs.drop(clientId);
}

// After a reload: show what was never confirmed, and send it again.
export function restore() {
  for (const item of load()) {
    if (confirmed.has(item.clientId)) { finished(item.clientId); continue; } // stored before the reload
    if (pendingRows.has(item.clientId) || restoring.has(item.clientId)) continue;
    if (item.picture) { restorePicture(item); continue; }
    const row = addPendingRow(item.clientId, item.text);
    if (item.failed) showFailed(item, row, item.failed); else deliver(item, 0);
  }
}

async function restorePicture(item) {
  restoring.add(item.clientId);
  const blob = await blobs.find(item.clientId);
  if (blob) previews.set(item.clientId, await dataUrl(blob));
  restoring.delete(item.clientId);
  if (pendingRows.has(item.clientId)) return;
  if (confirmed.has(item.clientId)) { finished(item.clientId); return; }
  const row = addPendingRow(item.clientId, item.picture.name, PICTURE);
  if (!blob) showGone(item, row);
  else if (item.failed) showFailed(item, row, item.failed);
  else deliver(item, 0);
}

// The connection is back: send everything still waiting, now.
export function flush() {
  for (const item of load()) if (!item.failed && !inFlight.has(item.clientId)) deliver(item, 0);
}

async function deliver(item, attempt) {
  if (!session.id) return; // flush() sends it once the conversation exists
  const id = item.clientId;
  clearTimeout(retryTimers.get(id));
  retryTimers.delete(id);
  if (inFlight.has(id)) return;
  const row = pendingRows.get(id);
  if (!row) { // taken back (edited); a picture's row is shown only once it is read back after a reload (restore)
    if (!item.picture) update(id, { done: true });
    return;
  }
  inFlight.add(id);
  const botTurn = !item.picture && status() === "bot"; // a picture starts no bot turn (hub/routes/uploads.py)
  if (botTurn) botThinking(+1);
  let retryIn = null;
  try {
    if (item.picture) {
      const blob = await blobs.find(id);
      if (!blob) { showGone(item, row); return; }
      const message = await api(`/api/conversations/${session.id}/attachments?client_message_id=${encodeURIComponent(id)}`,
        { method: "POST", form: blob, onProgress: (part) => showProgress(row, part) });
      finished(id);
      connection.serviceBack();
      addMessage(message, { live: true });
      return;
    }
    const body = { text: item.text, client_message_id: id, language: item.language || i18n.lang };
    if (item.payload) body.payload = item.payload;
    const res = await api(`/api/conversations/${session.id}/messages`, { method: "POST", body });
    update(id, { done: true });
    connection.serviceBack();
    addMessage(res.message, { live: true });
    for (const reply of res.replies || []) addMessage(reply, { live: true });
    updateView(res);
  } catch (e) {
    if (!row.isConnected) return;
    if (isTransient(e) && attempt < MAX_ATTEMPTS) {
      if (e.status === 0 && !navigator.onLine) { connection.offline(); return; } // flush() sends it when the browser is back online
      retryIn = connection.backOff(e, attempt);
      return;
    }
    if (item.picture && (REFUSED[e.code] || e.status === 413)) {
      finished(id); // never taken, however often it is sent
      showRefused(row, REFUSED[e.code] || "picture_too_large");
      return;
    }
    const reason = typeof e.detail === "string" ? e.detail : "";
    update(id, { failed: reason || "-" });
    showFailed(item, row, reason);
  } finally {
    if (item.picture) row.querySelector("progress.upload")?.remove();
    inFlight.delete(id);
    if (botTurn) botThinking(-1);
    if (retryIn !== null) retryTimers.set(id, setTimeout(() => deliver(item, attempt + 1), retryIn));
  }
}

// How much of a picture has gone, under it while it is sent (a photo on a slow mobile connection takes a while).
function showProgress(row, part) {
  let bar = row.querySelector("progress.upload");
  if (!bar) {
    bar = el("progress", "upload");
    bar.max = 100;
    bar.dataset.i18nAria = "picture_sending"; // follows a switch of language (i18n.apply)
    bar.setAttribute("aria-label", i18n.t("picture_sending"));
    row.append(bar);
  }
  bar.value = Math.round(part * 100);
}

function markFailed(row, key, args = {}) {
  row.classList.remove("pending");
  row.classList.add("failed");
  for (const old of row.querySelectorAll(".failed-note, .failed-actions")) old.remove();
  // Labelled (i18n.label): the note and its buttons follow a later switch of language.
  const note = i18n.label(el("p", "failed-note"), key, args);
  note.setAttribute("role", "alert");
  return note;
}

// "Don't send": a picture that failed is taken out of the outbox, and its row out of the chat.
function discardButton(item, row) {
  const discard = i18n.label(el("button", "link"), "picture_discard");
  discard.type = "button";
  discard.addEventListener("click", () => {
    finished(item.clientId);
    pendingRows.delete(item.clientId);
    previews.delete(item.clientId);
    row.remove();
  });
  return discard;
}

// A picture the hub will never take (not a picture, too large): why, and nothing to retry.
function showRefused(row, key) {
  const mb = Math.floor((session.maxImageBytes || 0) / 1048576);
  row.append(markFailed(row, key, { mb }));
  pendingRows.delete(row.dataset.client);
}

// A picture listed in the outbox that this browser no longer has (its storage was cleared): it cannot be sent.
function showGone(item, row) {
  const note = markFailed(row, "picture_gone");
  const actions = el("div", "failed-actions");
  actions.append(discardButton(item, row));
  row.append(note, actions);
}

function showFailed(item, row, reason) {
  const note = item.picture ? markFailed(row, "picture_failed")
    : reason && reason !== "-" ? markFailed(row, "send_failed", { reason }) : markFailed(row, "send_failed_plain");
  const retry = i18n.label(el("button", "link"), "retry");
  retry.type = "button";
  retry.addEventListener("click", () => {
    note.remove(); actions.remove();
    row.classList.remove("failed"); row.classList.add("pending");
    update(item.clientId, { failed: null });
    deliver({ ...item, failed: null }, 0);
  });
  const edit = i18n.label(el("button", "link"), "edit");
  edit.type = "button";
  edit.addEventListener("click", () => {
    update(item.clientId, { done: true });
    pendingRows.delete(item.clientId);
    row.remove();
    hooks.edit(item.text);
  });
  const actions = el("div", "failed-actions");
  actions.append(retry, item.picture ? discardButton(item, row) : edit);
  row.append(note, actions);
}
