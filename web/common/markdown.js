// The one markdown renderer and sanitiser of every page (chat, widget, console, editor preview).
//
// It builds DOM nodes from an allow-list and never parses HTML: paragraphs and line breaks, "- " / "* " / "1. "
// lists, "# " headings (shown as a bold line), **bold**, *italic*, `code`, [links](https://…) and bare URLs.
// Links are only http, https and mailto; they open in a new tab with rel="noopener noreferrer". Anything else
// (HTML tags, script URLs, images) stays literal text.

const URL_CHARS = String.raw`https?:\/\/[\w\-.~:/?#@!$&'*+,;=%\[\]]*[\w\-~/#@$&*+=%]`;
const INLINE = new RegExp(String.raw`(\*\*[^*\n]+?\*\*|\*[^*\s][^*\n]*?\*|` + "`[^`\\n]+`" + String.raw`|\[[^\]\n]+\]\([^)\s]+\)|${URL_CHARS})`);
const BARE_URL = new RegExp(`(${URL_CHARS})`);
const ITEM = /^\s*([-*+•]|\d+[.)])\s+(.*)$/;
const HEADING = /^\s*#{1,6}\s+(.*)$/;

export function safeHref(url) {
  try {
    const u = new URL(url);
    return ["http:", "https:", "mailto:"].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

function link(href, label) {
  const a = document.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  if (typeof label === "string") a.textContent = label;
  return a;
}

function inline(text, parent) {
  for (const part of text.split(INLINE)) {
    if (!part) continue;
    let m;
    if ((m = part.match(/^\*\*(.+)\*\*$/))) { const s = document.createElement("strong"); inline(m[1], s); parent.append(s); }
    else if ((m = part.match(/^\*([^*].*)\*$/))) { const s = document.createElement("em"); inline(m[1], s); parent.append(s); }
    else if ((m = part.match(/^`(.+)`$/))) { const c = document.createElement("code"); c.textContent = m[1]; parent.append(c); }
    else if ((m = part.match(/^\[(.+)\]\((.+)\)$/))) {
      const href = safeHref(m[2]);
      if (href) { const a = link(href); inline(m[1], a); parent.append(a); }
      else parent.append(document.createTextNode(m[1]));
    } else if (BARE_URL.test(part) && part.match(BARE_URL)[0] === part && safeHref(part)) parent.append(link(safeHref(part), part));
    else parent.append(document.createTextNode(part));
  }
}

// Markdown source -> a DocumentFragment of safe nodes.
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src || "").replace(/\r\n?/g, "\n").split("\n");
  let para = null, list = null;
  for (const line of lines) {
    if (!line.trim()) { para = null; list = null; continue; }
    const item = line.match(ITEM);
    const heading = line.match(HEADING);
    if (item) {
      const ordered = /\d/.test(item[1]);
      if (!list || (list.tagName === "OL") !== ordered) { list = document.createElement(ordered ? "ol" : "ul"); frag.append(list); para = null; }
      const li = document.createElement("li");
      inline(item[2], li);
      list.append(li);
    } else if (heading) {
      para = null; list = null;
      const h = document.createElement("p");
      h.className = "md-heading";
      inline(heading[1], h);
      frag.append(h);
    } else if (list && /^\s{2,}/.test(line)) {
      const last = list.lastElementChild;
      last.append(" ");
      inline(line.trim(), last);
    } else {
      list = null;
      if (para) para.append(document.createElement("br"));
      else { para = document.createElement("p"); frag.append(para); }
      inline(line.trim(), para);
    }
  }
  return frag;
}

// Plain text with its URLs made into links (what a customer typed: no markdown).
export function linkify(text) {
  const frag = document.createDocumentFragment();
  for (const part of String(text || "").split(BARE_URL)) {
    if (!part) continue;
    const href = BARE_URL.test(part) && part.match(BARE_URL)[0] === part ? safeHref(part) : null;
    frag.append(href ? link(href, part) : document.createTextNode(part));
  }
  return frag;
}

// Markdown source -> readable plain text (for the agent's reply box): no ** markers, links as "label (url)".
export function markdownToPlain(src) {
  return String(src || "").replace(/\r\n?/g, "\n").split("\n").map((line) => line
    .replace(HEADING, "$1")
    .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (_, label, url) => (label === url ? url : `${label} (${url})`))
    .replace(/\*\*([^*\n]+?)\*\*/g, "$1")
    .replace(/(^|[^*\w])\*([^*\s][^*\n]*?)\*/g, "$1$2")
    .replace(/`([^`\n]+)`/g, "$1")).join("\n");
}

// Markdown source -> the words a reader sees, on one line (the widget launcher's preview): no marks, a link as its label.
export function markdownToText(src) {
  const frag = renderMarkdown(src);
  for (const br of frag.querySelectorAll("br")) br.replaceWith(" ");
  return [...frag.children].flatMap((block) => (block.matches("ul, ol") ? [...block.children] : [block]))
    .map((n) => n.textContent.trim()).filter(Boolean).join(" ");
}
