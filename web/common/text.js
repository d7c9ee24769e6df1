// Text people typed, made safe to show beside other text: the rule of core/text.py, applied again on the way in to
// every page. The hub drops Unicode's direction controls (U+202A-E, U+2066-9) and control characters where such
// text is stored, but what was stored before it did still has them, and a right-to-left override in one customer's
// name or message mirrored the console's own words beside it ("Rated 1/5" as "5/1 detaR") and the lines after it.
// Every answer of the hub (api.js) and every live frame (the chat's and the console's sockets) is parsed with
// parseShown, so no page shows such characters, whatever is stored and whichever element shows it.

const UNSHOWABLE = /[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

// ``text`` without direction controls and control characters (tab and line breaks stay); anything else as it is.
function shownAsTyped(text) {
  return typeof text === "string" ? text.replace(UNSHOWABLE, "") : text;
}

// JSON.parse, with every string in it (keys too) made shownAsTyped.
export function parseShown(json) {
  return JSON.parse(json, function (key, value) {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const name of Object.keys(value)) {
        const clean = shownAsTyped(name);
        if (clean !== name) { value[clean] = value[name]; delete value[name]; }
      }
    }
    return shownAsTyped(value);
  });
}
