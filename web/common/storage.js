// localStorage, or memory where the browser refuses it (blocked third-party storage in an embedded iframe).
export const storage = (() => {
  try {
    const s = window.localStorage;
    s.setItem("cs_probe", "1");
    s.removeItem("cs_probe");
    return s;
  } catch {
    const m = new Map();
    return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
  }
})();

// sessionStorage (this browser tab, until it closes), or memory where the browser refuses it.
export const session = (() => {
  try {
    const s = window.sessionStorage;
    s.setItem("cs_probe", "1");
    s.removeItem("cs_probe");
    return s;
  } catch {
    const m = new Map();
    return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
  }
})();

export function readJson(key, fallback = null) {
  try { return JSON.parse(storage.getItem(key) || "null") ?? fallback; } catch { return fallback; }
}

export function writeJson(key, value) {
  storage.setItem(key, JSON.stringify(value));
}
