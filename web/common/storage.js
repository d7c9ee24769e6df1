// A browser store, or memory where the browser refuses it (blocked third-party storage in an embedded iframe).
function orMemory(open) {
  try {
    const s = open();
    s.setItem("cs_probe", "1");
    s.removeItem("cs_probe");
    return s;
  } catch {
    const m = new Map();
    return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
  }
}

// localStorage (kept across visits).
export const storage = orMemory(() => window.localStorage);
// sessionStorage (this browser tab, until it closes).
export const session = orMemory(() => window.sessionStorage);

// A value kept as JSON in store (localStorage unless said), or fallback when there is none or it does not parse.
export function readJson(key, fallback = null, store = storage) {
  try { return JSON.parse(store.getItem(key) || "null") ?? fallback; } catch { return fallback; }
}

export function writeJson(key, value, store = storage) {
  store.setItem(key, JSON.stringify(value));
}
