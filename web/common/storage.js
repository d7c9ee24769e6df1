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

export function readJson(key, fallback = null) {
  try { return JSON.parse(storage.getItem(key) || "null") ?? fallback; } catch { return fallback; }
}

export function writeJson(key, value) {
  storage.setItem(key, JSON.stringify(value));
}
