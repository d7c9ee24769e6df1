// Telling someone who is looking elsewhere that something new arrived: "(2) …" in the page title,
// a favicon with a red dot, and (if they turned it on) a short chime. Cleared when they look again.

const ICON = "/static/common/favicon.svg";
const ICON_UNREAD = "/static/common/favicon-unread.svg";

function faviconLink() {
  let link = document.querySelector("link[rel='icon']");
  if (!link) { link = document.createElement("link"); link.rel = "icon"; document.head.append(link); }
  return link;
}

export function createAttention({ title }) {
  let base = title, count = 0;
  const icon = faviconLink();
  function render() {
    document.title = count ? `(${count}) ${base}` : base;
    icon.href = count ? ICON_UNREAD : ICON;
  }
  render();
  return {
    get count() { return count; },
    setTitle(next) { base = next; render(); },
    bump(n = 1) { count += n; render(); },
    clear() { if (count) { count = 0; render(); } },
  };
}

// Someone is looking at this page right now.
export function pageSeen() {
  return document.visibilityState === "visible" && document.hasFocus();
}

let audio = null;
// A short two-note chime made with WebAudio (no sound file to serve); silent where the browser allows no sound yet.
export function chime() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const now = audio.currentTime;
    for (const [i, freq] of [[0, 880], [1, 1175]]) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    }
  } catch { /* no audio here */ }
}
