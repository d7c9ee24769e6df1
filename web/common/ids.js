// Transcript positions are Redis stream ids ("<ms>-<seq>"); client message ids make a resend safe (the hub stores it once).

function idParts(id) {
  const [a, b] = String(id).split("-");
  return [Number(a) || 0, Number(b) || 0];
}

// True if message id a is later than b (anything is later than no id).
export function idAfter(a, b) {
  if (!b) return true;
  const [a1, a2] = idParts(a), [b1, b2] = idParts(b);
  return a1 > b1 || (a1 === b1 && a2 > b2);
}

export function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `c${Date.now()}${Math.random().toString(16).slice(2)}`;
}
