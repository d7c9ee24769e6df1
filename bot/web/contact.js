// The offline form: when no agent is available, the hub's notice asks for a phone number or e-mail; the customer
// leaves it here and the ticket waits with it. The hub validates it (422 says why) and confirms in the chat.
// Every text of the form is labelled (i18n.label), so a switch of language re-writes it where it stands.
import { el } from "/static/common/dom.js";
import { api, session } from "./session.js";
import { i18n } from "./texts.js";

export function renderContactForm() {
  const form = el("form", "contact-form");
  const label = i18n.label(el("label", "contact-label"), "contact_label");
  const input = el("input", "contact-input");
  input.type = "text";
  input.autocomplete = "tel";
  input.inputMode = "email";
  input.maxLength = 100;
  input.id = `contact-${Math.random().toString(36).slice(2, 8)}`;
  label.htmlFor = input.id;
  const send = i18n.label(el("button", "contact-send"), "contact_send");
  send.type = "submit";
  const error = el("p", "contact-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  form.append(label, input, send, error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) return;
    send.disabled = true;
    try {
      await api(`/api/conversations/${session.id}/contact`, { method: "POST", body: { contact: input.value.trim() } });
      form.replaceChildren(i18n.label(el("p", "contact-done"), "contact_done"));
    } catch (e) {
      error.hidden = false;
      i18n.label(error, e.status === 422 ? "contact_invalid" : "contact_failed");
      send.disabled = false;
    }
  });
  return form;
}
