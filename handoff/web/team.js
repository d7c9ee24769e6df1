// Supervisors' view of the team: who is online, how busy against their capacity, which tickets they hold; and
// reassigning the open chat's ticket to someone else. Hidden for agents (the hub refuses them these calls anyway).
import { $, el } from "/static/common/dom.js";
import { api, state } from "./state.js";
import { named, t } from "./texts.js";

const els = {
  section: $("team-section"), list: $("team"), empty: $("team-empty"),
  reassign: $("ticket-reassign"), reassignTo: $("reassign-to"), reassignGo: $("reassign"),
};
let rows = [];
let pending = null;
export const hooks = { reassigned: null, openTicket: null }; // set by console.js

export function oversees() {
  return Boolean(state.me && ["supervisor", "admin"].includes(state.me.role));
}

export async function refreshTeam() {
  els.section.hidden = !oversees();
  if (!oversees()) return;
  let fresh;
  try { fresh = await api("/load"); } catch { return; }
  const order = { online: 0, no_console: 1, away: 2, offline: 3 };
  fresh.sort((a, b) => (order[shown(a)] - order[shown(b)]) || (b.load - a.load) || a.agent.username.localeCompare(b.agent.username));
  const changed = JSON.stringify(fresh) !== JSON.stringify(rows);
  rows = fresh;
  if (changed) render(); // unchanged: keep the elements (a supervisor may be clicking one)
  else renderReassign();
}

// Online but offered no chats (signed in through the API, no console open): shown as routing sees them.
function shown(row) { return row.agent.presence === "online" && row.available === false ? "no_console" : row.agent.presence; }

// Presence and ticket events arrive in bursts: one reload for a burst.
export function teamChanged() {
  if (!oversees() || pending) return;
  pending = setTimeout(() => { pending = null; refreshTeam(); }, 300);
}

function render() {
  els.empty.hidden = rows.length > 0;
  els.list.replaceChildren(...rows.map((row) => {
    const li = el("li", "team-row");
    li.dataset.agent = row.agent.username;
    const top = el("div", "item-top");
    const name = el("span", "item-name");
    name.append(el("span", `dot ${shown(row) === "no_console" ? "away" : row.agent.presence}`), ` ${row.agent.display_name || row.agent.username}`);
    const full = row.load >= row.agent.capacity;
    top.append(name, el("span", `team-load${full ? " full" : ""}`, t("teamLoad", row.load, row.agent.capacity)));
    const sub = el("div", "team-sub");
    sub.append(`${named("presences", shown(row))}${row.agent.skills.length ? " · " + row.agent.skills.map((s) => named("categories", s)).join(", ") : ""}`);
    for (const ref of row.tickets) {
      const chip = el("button", "ticket-chip", ref);
      chip.type = "button";
      chip.addEventListener("click", () => hooks.openTicket && hooks.openTicket(ref));
      sub.append(" ", chip);
    }
    li.append(top, sub);
    return li;
  }));
  renderReassign();
}

// The open chat's ticket: supervisors can hand it to anyone who takes chats and is not its current owner.
export function renderReassign(ticket = state.ticket) {
  const can = oversees() && ticket && ["new", "open", "pending_customer"].includes(ticket.status);
  els.reassign.hidden = !can;
  if (!can) return;
  const keep = els.reassignTo.value;
  const options = rows.filter((r) => r.agent.username !== ticket.assignee).map((r) => {
    const o = new Option(`${r.agent.display_name || r.agent.username} (${named("presences", shown(r))}, ${t("teamLoad", r.load, r.agent.capacity)})`, r.agent.username);
    o.disabled = shown(r) !== "online";
    return o;
  });
  els.reassignTo.replaceChildren(...options);
  if (options.some((o) => o.value === keep && !o.disabled)) els.reassignTo.value = keep;
  else { const first = options.find((o) => !o.disabled); if (first) els.reassignTo.value = first.value; }
  els.reassignGo.disabled = !options.some((o) => !o.disabled);
}

els.reassignGo.addEventListener("click", async () => {
  const ticket = state.ticket;
  if (!ticket || !els.reassignTo.value) return;
  try {
    await api(`/tickets/${encodeURIComponent(ticket.ref)}/reassign`, { method: "POST", body: { to: els.reassignTo.value } });
    if (hooks.reassigned) hooks.reassigned(null);
  } catch (e) { if (hooks.reassigned) hooks.reassigned(e.message); }
  refreshTeam();
});
