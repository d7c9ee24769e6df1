// What the customer sent beside their words (the photo of the broken item, a receipt, a voice message), under its line:
// a photo as a thumbnail that opens full size over the console, anything else as a download. The hub fetches it from the channel
// (hub/routes/attachments.py); the session cookie lets the <img> load it. A refusal says why, in the agent's language.
import { isTransient } from "/static/common/api.js";
import { el } from "/static/common/dom.js";
import { viewPicture } from "/static/common/viewer.js";
import { ct } from "./channel-texts.js";
import { api } from "./state.js";

const PICTURES = new Set(["photo", "image"]);

// As bot/channels/media.py openable(): the line names something the platform can hand over.
// A picture the web-chat customer attached is kept by the hub itself (upload_id).
export function openable(media) {
  return Boolean(media && (media.upload_id || media.file_id || media.media_id || (media.type === "image" && media.url)));
}

export function attachmentOf(m) {
  const meta = m.meta || {};
  // what the customer sent, or what an agent sent them (kept by the hub: upload_id)
  if (meta.kind !== "attachment" || !openable(meta.media) || !(m.sender === "customer" || (m.sender === "agent" && meta.media.upload_id))) return null;
  const media = meta.media;
  const path = `/conversations/${encodeURIComponent(m.conversation_id)}/messages/${encodeURIComponent(m.id)}/attachment`;
  const box = el("div", "attachment");
  const problem = el("p", "attachment-error");
  problem.hidden = true;
  if (PICTURES.has(media.type)) {
    // A thumbnail that opens full size inside the console (web/common/viewer.js), as the customer's chat does.
    const link = el("button", "attachment-thumb");
    link.type = "button";
    const img = el("img");
    img.alt = ct(m.sender === "agent" ? "sentPhotoAlt" : "photoAlt");
    img.loading = "lazy";
    img.src = `/api/agent${path}`;
    link.title = ct("openFull");
    link.setAttribute("aria-label", ct("viewFull", img.alt));
    link.addEventListener("click", () => viewPicture(img, { from: link, closeLabel: ct("closePicture") }));
    // Not an image after all, or the channel refused: a download, or why not.
    img.addEventListener("error", () => explain(path, box, link, problem, media), { once: true });
    link.append(img);
    box.append(link);
  } else {
    box.append(fileLink(path, media, problem));
  }
  box.append(problem);
  return box;
}

function fileLink(path, media, problem) {
  const name = media.file_name || media.name || (ct("kinds") || {})[media.type] || ct("kinds").attachment;
  const link = el("a", "attachment-file", `⬇ ${ct("download", name)}`);
  link.href = `/api/agent${path}`;
  link.setAttribute("download", media.file_name || media.name || "");
  // Fetched here rather than followed: a refusal is said beside the link, not on a page of JSON.
  link.addEventListener("click", async (ev) => {
    ev.preventDefault();
    problem.hidden = true;
    link.setAttribute("aria-busy", "true");
    try {
      const resp = await api(path, { raw: true });
      const url = URL.createObjectURL(await resp.blob());
      const save = el("a");
      save.href = url;
      save.download = savedName(resp.headers.get("Content-Disposition")) || media.file_name || media.name || "attachment";
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      say(problem, e);
    } finally {
      link.removeAttribute("aria-busy");
    }
  });
  return link;
}

async function explain(path, box, link, problem, media) {
  try {
    await api(path, { raw: true });
    link.replaceWith(fileLink(path, media, problem)); // there, but no picture a browser draws
  } catch (e) {
    link.hidden = true;
    say(problem, e);
  }
}

// Why, by the hub's code for it (hub/routes/attachments.py); the connection or the service failing: as every page says it.
function say(problem, e) {
  problem.textContent = (ct("refused") || {})[e && e.code] || (e && isTransient(e) ? e.message : ct("attachmentFailed"));
  problem.hidden = false;
}

// filename*=UTF-8''<name> (RFC 6266), as the hub names every download.
function savedName(header) {
  const m = /filename\*=UTF-8''([^;]+)/i.exec(header || "");
  try { return m ? decodeURIComponent(m[1]) : ""; } catch { return ""; }
}
