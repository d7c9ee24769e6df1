// Building the page safely: text from customers, agents, editors and the bot always goes in as textContent, never as HTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function button(className, text, onClick, label) {
  const b = el("button", className, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

// A message line that is hidden while empty (errors, notices).
export function showMsg(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}
