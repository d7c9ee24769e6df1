// Canned replies in the reply box: type "/" and a shortcut (or words), pick with the arrows and Enter or Tab (or a
// click), and the reply box gets the text, ready to edit and send. Admins manage the replies (/api/admin/canned).
import { $, el } from "/static/common/dom.js";
import { api, state } from "./state.js";
import { t } from "./texts.js";

const reply = $("reply");
const box = $("canned");
let items = [];
let active = 0;
let asked = "";
let none = ""; // what the list says when nothing matched what was typed: not silence, which reads as "/ does nothing"
// Enter while the list says nothing matches: the agent meant to pick a reply, so "/xyz" is not sent to the customer.
// The list says so (and a screen reader hears it); a second Enter, or Send, sends the text as typed.
let held = "";
const heard = el("p", "sr-only");
heard.setAttribute("role", "status");
heard.setAttribute("aria-live", "polite");
reply.closest("form").append(heard);

function close() {
  box.hidden = true;
  items = [];
  none = "";
  held = "";
  heard.textContent = "";
  reply.removeAttribute("aria-activedescendant");
}

function render() {
  if (!items.length && none) {
    const li = el("li", "canned-none", none);
    li.setAttribute("role", "option");
    li.setAttribute("aria-disabled", "true");
    box.replaceChildren(li);
    box.hidden = false;
    reply.removeAttribute("aria-activedescendant");
    return;
  }
  box.replaceChildren(...items.map((c, i) => {
    const li = el("li", `canned-item${i === active ? " active" : ""}`);
    li.id = `canned-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === active));
    li.append(el("strong", "canned-shortcut", `/${c.shortcut}`), el("span", "canned-title", c.title), el("span", "canned-text", c.text));
    li.addEventListener("mousedown", (ev) => { ev.preventDefault(); insert(i); });
    return li;
  }));
  box.hidden = items.length === 0;
  if (items.length) reply.setAttribute("aria-activedescendant", `canned-${active}`);
}

function insert(i) {
  const chosen = items[i];
  if (!chosen) return;
  reply.value = chosen.text;
  close();
  reply.focus();
  reply.dispatchEvent(new Event("input"));
}

reply.addEventListener("input", async () => {
  const m = /^\/(\S{0,30})$/.exec(reply.value);
  if (!m) { close(); return; }
  const q = m[1];
  asked = q;
  const language = state.current ? state.current.language : "";
  try {
    const found = await api(`/canned?q=${encodeURIComponent(q)}${language ? `&language=${language}` : ""}`);
    if (asked !== q) return; // typed on meanwhile
    items = found.slice(0, 8);
    none = items.length ? "" : q ? t("cannedNone", q) : t("cannedNoneYet");
    active = 0;
    render();
  } catch { close(); }
});

// Capture phase: while the list is open, Enter and Tab pick a reply instead of sending the text.
reply.addEventListener("keydown", (ev) => {
  if (!box.hidden && !items.length && ev.key === "Escape") close();
  if (!box.hidden && !items.length && none && ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    if (held === reply.value) { close(); return; } // the second Enter: sent as typed
    ev.preventDefault();
    ev.stopImmediatePropagation();
    held = reply.value;
    none = t("cannedNoneHeld", reply.value.slice(1));
    render();
    heard.textContent = none;
    return;
  }
  if (box.hidden || !items.length) return;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    active = (active + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    render();
  } else if (ev.key === "Enter" || ev.key === "Tab") {
    ev.preventDefault();
    ev.stopImmediatePropagation();
    insert(active);
  } else if (ev.key === "Escape") {
    close();
  }
}, true);
reply.addEventListener("blur", () => setTimeout(close, 150));
