// The satisfaction survey after an agent resolves the chat: 1-5 stars and an optional comment, sent together.
// The thank-you is the hub's own line in the conversation; the survey simply goes away.
import { el } from "/static/common/dom.js";
import { handOffFocus } from "./focus.js";
import { api, session, status, updateView } from "./session.js";
import { i18n, t } from "./texts.js";

const section = document.getElementById("rating");
const stars = document.getElementById("stars");
const form = document.getElementById("rating-form");
const comment = document.getElementById("rating-comment");
const error = document.getElementById("rating-error");
let chosen = 0;

// The survey's error line, by key, so a switch of language re-writes it (i18n.label); none: hidden.
function showError(key) {
  i18n.label(error, key);
  error.hidden = !key;
}

const SVG = "http://www.w3.org/2000/svg";
function starIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M12 2.8l2.8 6 6.5.7-4.9 4.4 1.4 6.4L12 17l-5.8 3.3 1.4-6.4-4.9-4.4 6.5-.7z");
  svg.append(path);
  return svg;
}

export function renderStars() {
  stars.replaceChildren();
  stars.setAttribute("aria-label", t("rate_title"));
  for (let n = 1; n <= 5; n++) {
    const b = el("button", `star${n <= chosen ? " on" : ""}`);
    b.type = "button";
    b.append(starIcon());
    b.dataset.score = String(n);
    b.setAttribute("aria-label", t("rate_star", { n }));
    b.setAttribute("aria-pressed", String(n === chosen));
    b.addEventListener("click", () => { chosen = n; renderStars(); showError(null); stars.querySelector(`[data-score="${n}"]`).focus(); });
    stars.appendChild(b);
  }
}

export function renderRating() {
  const conv = session.conversation;
  section.hidden = !(status() === "resolved" && conv && conv.rating == null);
  if (section.hidden) chosen = 0;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!chosen) { showError("rate_pick"); return; }
  const refocus = handOffFocus(section);
  try {
    updateView(await api(`/api/conversations/${session.id}/rating`, { method: "POST", body: { score: chosen, comment: comment.value.trim() } }));
    comment.value = "";
    refocus(); // the survey is gone: on to the message box
  } catch { showError("rate_failed"); }
});
