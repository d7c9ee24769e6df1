// The interface language of a page: follows the browser (Chinese or English), can be switched, is remembered.
// A text table maps keys to strings with {name} slots, or to functions of their arguments.
import { storage } from "./storage.js";

export function browserLanguage() {
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  return String(langs[0]).toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function createI18n(tables, storageKey) {
  const listeners = [];
  const saved = storage.getItem(storageKey);
  let lang = saved === "en" || saved === "zh" ? saved : browserLanguage();

  function t(key, ...args) {
    const v = (tables[lang] && tables[lang][key]) ?? tables.en[key];
    if (typeof v === "function") return v(...args);
    if (typeof v !== "string") return v ?? key;
    const vars = args[0] || {};
    return v.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
  }

  // data-i18n: text (with the slots in data-i18n-args, JSON); data-i18n-placeholder / -aria / -title: that attribute.
  function apply(root = document) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const n of root.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n, argsOf(n));
    for (const n of root.querySelectorAll("[data-i18n-placeholder]")) n.placeholder = t(n.dataset.i18nPlaceholder);
    for (const n of root.querySelectorAll("[data-i18n-aria]")) n.setAttribute("aria-label", t(n.dataset.i18nAria));
    for (const n of root.querySelectorAll("[data-i18n-title]")) n.title = t(n.dataset.i18nTitle);
  }

  function argsOf(node) {
    try { return node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : {}; } catch { return {}; }
  }

  // Put a text from the table into a node built at run time, marked so that a switch of language re-writes it
  // (apply): a label written once stayed in the language it was built in. No key: the node is emptied.
  function label(node, key, args) {
    if (!key) {
      delete node.dataset.i18n;
      delete node.dataset.i18nArgs;
      node.textContent = "";
      return node;
    }
    node.dataset.i18n = key;
    if (args) node.dataset.i18nArgs = JSON.stringify(args); else delete node.dataset.i18nArgs;
    node.textContent = t(key, args);
    return node;
  }

  return {
    get lang() { return lang; },
    get locale() { return lang === "zh" ? "zh-CN" : "en-GB"; },
    t,
    apply,
    label,
    set(next) {
      lang = next === "zh" ? "zh" : "en";
      storage.setItem(storageKey, lang);
      apply();
      for (const fn of listeners) fn(lang);
    },
    onChange(fn) { listeners.push(fn); },
  };
}

// A label before what it labels, with the colon of the interface language: "Newest: " in English, "最新：" in Chinese
// (the full-width colon carries its own space; "最新: " with the ASCII one reads as a typo in Chinese text).
export function labelled(label, lang) {
  return lang === "zh" ? `${label}：` : `${label}: `;
}

// A list inside a sentence: "a, b" in English, "a、b" in Chinese (the enumeration comma).
export function listed(items, lang) {
  return items.join(lang === "zh" ? "、" : ", ");
}

// A span of time as a countdown or a wait shows it, in the page's language: "4m 05s" / "4分05秒", "3h 20m" /
// "3小时20分", "2d" / "2天" (a Chinese agent read "SLA 剩余 4m 58s" and "2d", English units in a Chinese console).
const SPAN_UNITS = { en: { s: "s", m: "m", h: "h", d: "d", gap: " " }, zh: { s: "秒", m: "分", h: "小时", d: "天", gap: "" } };
export function fmtSpan(seconds, lang, { padSeconds = false } = {}) {
  const u = SPAN_UNITS[lang] || SPAN_UNITS.en;
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds}${u.s}`;
  const m = Math.floor(seconds / 60), s = seconds % 60;
  if (m < 60) return `${m}${u.m}${u.gap}${padSeconds ? String(s).padStart(2, "0") : s}${u.s}`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}${u.h}${u.gap}${m % 60}${u.m}` : `${Math.floor(h / 24)}${u.d}`;
}

export function fmtTime(ts, locale) {
  return ts ? new Date(ts * 1000).toLocaleTimeString(locale || [], { hour: "2-digit", minute: "2-digit" }) : "";
}

export function fmtDateTime(ts, locale) {
  return ts ? new Date(ts * 1000).toLocaleString(locale || [], { dateStyle: "medium", timeStyle: "short" }) : "";
}
