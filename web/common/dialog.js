// A question asked inside the page (a modal <dialog>): focus stays in it, Esc cancels, the answer is a promise.
import { el } from "./dom.js";

let seq = 0;

// body: strings (paragraphs) and nodes. Resolves true if the person confirmed.
export function confirmDialog({ title, body = [], confirm, cancel, danger = false }) {
  const id = `cs-dialog-title-${++seq}`;
  const dialog = el("dialog", "cs-dialog");
  dialog.setAttribute("aria-labelledby", id);
  const heading = el("h2", null, title);
  heading.id = id;
  const content = el("div", "cs-dialog-body");
  for (const part of body) content.append(typeof part === "string" ? el("p", null, part) : part);
  const no = el("button", "ghost", cancel);
  no.type = "button";
  no.value = "cancel";
  const yes = el("button", danger ? "danger" : "primary", confirm);
  yes.type = "button";
  yes.value = "confirm";
  const actions = el("div", "cs-dialog-actions");
  actions.append(no, yes);
  dialog.append(heading, content, actions);
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    no.addEventListener("click", () => done(false));
    yes.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (ev) => { ev.preventDefault(); done(false); });
    dialog.showModal();
    (danger ? no : yes).focus();
  });
}
