// A picture full size over the page (a page shows it as a thumbnail): the chat widget's pictures (bot/web/pictures.js)
// and the agent console's (handoff/web/attachment.js). A modal dialog: Escape, the close button or a click beside the
// picture closes it, the keyboard stays inside while it is open and goes back to the thumbnail that opened it; a
// phone can pinch to zoom into it. Styled in base.css (.viewer).
import { el } from "./dom.js";

let viewer = null;
let opener = null;

function build() {
  viewer = el("dialog", "viewer");
  const close = el("button", "viewer-close");
  close.type = "button";
  close.append("×");
  close.addEventListener("click", () => viewer.close());
  viewer.addEventListener("click", (ev) => { if (ev.target === viewer) viewer.close(); });
  // Back to the thumbnail, however it was closed (Escape is the dialog's own cancel).
  viewer.addEventListener("close", () => {
    const back = opener;
    opener = null;
    if (back && back.isConnected) back.focus();
  });
  viewer.append(close, el("img", "viewer-picture"));
  document.body.append(viewer);
}

// img: the thumbnail (its src and alt are shown); from: what gets the keyboard back on close (the button around it);
// closeLabel: the close button's name, in the page's language at the time it opens.
export function viewPicture(img, { from = null, closeLabel }) {
  if (!viewer) build();
  const close = viewer.querySelector(".viewer-close");
  close.setAttribute("aria-label", closeLabel);
  close.title = closeLabel;
  const full = viewer.querySelector("img");
  full.src = img.currentSrc || img.src;
  full.alt = img.alt;
  viewer.setAttribute("aria-label", img.alt);
  opener = from || img;
  if (!viewer.open) viewer.showModal();
  close.focus();
}
