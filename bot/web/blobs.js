// Pictures waiting in the outbox (outbox.js), kept across a reload like a message's text. Local storage holds
// strings of a few megabytes at most, so the picture itself is kept in IndexedDB under its client message id, or
// in memory where the browser refuses IndexedDB (blocked storage in an embedded iframe): then it is retried only
// while the page stays open.
const DB = "cs_chat_pictures_v1";
const STORE = "pictures";
const memory = new Map();
let opened = null;

function db() {
  if (!opened) {
    opened = new Promise((resolve) => {
      try {
        const request = indexedDB.open(DB, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => resolve(null);
        request.onblocked = () => resolve(null);
      } catch {
        resolve(null);
      }
    });
  }
  return opened;
}

function run(mode, work) {
  return db().then((d) => new Promise((resolve) => {
    if (!d) return resolve(undefined);
    try {
      const tx = d.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => resolve(undefined);
      tx.onabort = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  }));
}

export async function keep(clientId, blob) {
  memory.set(clientId, blob);
  await run("readwrite", (s) => s.put(blob, clientId));
}

export async function find(clientId) {
  if (memory.has(clientId)) return memory.get(clientId);
  const blob = await run("readonly", (s) => s.get(clientId));
  return blob instanceof Blob ? blob : null;
}

export async function drop(clientId) {
  memory.delete(clientId);
  await run("readwrite", (s) => s.delete(clientId));
}
