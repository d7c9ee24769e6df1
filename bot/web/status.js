// The header and banner: who the customer is talking to, their place in the queue, and the way to a person.
import { isTransient } from "/static/common/api.js";
import { connection } from "./connection.js";
import { api, session, started, status, updateView } from "./session.js";
import { i18n, t } from "./texts.js";

const subtitle = document.getElementById("subtitle");
const human = document.getElementById("human");
const humanText = document.getElementById("human-text");
const banner = document.getElementById("banner");
const bannerText = document.getElementById("banner-text");
const leave = document.getElementById("leave");

let asked = false; // the customer asked for a person and the request is on its way

// The header's title keeps its room whatever the width (a phone, the widget's panel with its close button) and
// the language ("Talk to a person" is longer than "转人工"): when it would be cut, the buttons get shorter ("compact":
// no language name, the short label for a person), then the avatar goes ("tight"). Fixed breakpoints cut "Support"
// at 375-390 px, and in the widget's panel up to 430 px.
const top = document.querySelector(".top");
const title = document.getElementById("title");
export function fitHeader() {
  top.classList.remove("compact", "tight");
  for (const step of ["compact", "tight"]) {
    if (title.scrollWidth <= title.clientWidth) return;
    top.classList.add(step);
  }
}
window.addEventListener("resize", fitHeader);
if (document.fonts) document.fonts.ready.then(fitHeader);

export function renderStatus() {
  const now = status();
  const agent = session.agentName || (session.conversation && session.conversation.agent) || t("agent");
  subtitle.textContent = now === "queued" ? t("subtitle_queued")
    : now === "assigned" ? t("subtitle_assigned", { agent })
    : now === "resolved" ? t("subtitle_resolved") : t("subtitle_bot");
  human.disabled = now === "queued" || asked;
  human.hidden = now === "assigned"; // already with a person
  const label = now === "queued" ? t("in_queue") : t("talk_to_person");
  human.setAttribute("aria-label", label);
  humanText.textContent = label;
  human.dataset.short = now === "queued" ? label : t("talk_short");
  const ticket = session.conversation && session.conversation.ticket_ref;
  const withTicket = (text) => (ticket ? `${t("ticket_label", { ticket })} · ${text}` : text);
  if (now === "queued") {
    const q = session.queue;
    banner.className = "banner";
    bannerText.textContent = withTicket(q && q.agents_online && q.open_now !== false ? t("queue_banner", { position: q.position, ahead: Math.max(0, q.position - 1), minutes: Math.max(1, Math.ceil(q.estimated_wait_seconds / 60)) })
      // the hub's words for when the team is back: the shop's clock and zone, as in the chat's notice (not this browser's clock)
      : q && q.back_at_text ? t("queue_banner_closed", { when: q.back_at_text[i18n.lang] })
      : t("queue_banner_unknown"));
    leave.hidden = false;
    banner.hidden = false;
  } else if (now === "assigned") {
    banner.className = "banner assigned";
    bannerText.textContent = withTicket(t("assigned_banner", { agent }));
    leave.hidden = true;
    banner.hidden = false;
  } else banner.hidden = true;
  fitHeader(); // the person button's label and whether it shows changed with the status or the language
}

// Asked before the conversation exists (the page still starting it, the service away), the request waits for it
// rather than being dropped. So does one asked while the network or the service is away: like a message, it is sent
// once they are back (the connection line says so), not lost with the button offered again as if nothing was asked.
human.addEventListener("click", async () => {
  if (asked) return;
  asked = true;
  human.disabled = true;
  try {
    await started;
    for (let attempt = 0; ; attempt += 1) {
      try {
        updateView(await api(`/api/conversations/${session.id}/handoff`, { method: "POST", body: { language: i18n.lang } })); // written in the page's language
        connection.serviceBack();
        break;
      } catch (err) {
        if (!isTransient(err)) throw err;
        await backAgain(err, attempt);
      }
    }
  } catch { /* refused: the button is offered again */ }
  asked = false;
  renderStatus();
});

// Until the request is worth sending again: the browser back online, or the wait a message would wait (connection.js).
function backAgain(err, attempt) {
  if (err.status === 0 && !navigator.onLine) {
    connection.offline();
    return new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
  }
  const wait = connection.backOff(err, attempt);
  return new Promise((resolve) => setTimeout(resolve, wait));
}
leave.addEventListener("click", async () => {
  try { updateView(await api(`/api/conversations/${session.id}/cancel`, { method: "POST" })); } catch { /* not queued any more */ }
});
