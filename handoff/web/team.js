// Supervisors' view of the team: who is online, how busy against their capacity, which tickets they hold; and
// reassigning the open chat's ticket to someone else. Hidden for agents (the hub refuses them these calls anyway).
import { $, button, el, showMsg } from "/static/common/dom.js";
import { adminApi, api, CATEGORIES, isAdmin, oversees, state } from "./state.js";
import { LANGS, named, t } from "./texts.js";

const els = {
  section: $("team-section"), list: $("team"), empty: $("team-empty"),
  reassign: $("ticket-reassign"), reassignTo: $("reassign-to"), reassignGo: $("reassign"),
};
let rows = [];
let pending = null;
export const hooks = { reassigned: null, openTicket: null }; // set by console.js

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
    if (isAdmin()) { // the hub lets admins change accounts
      const name = row.agent.display_name || row.agent.username;
      li.append(button("ghost routing-edit", t("routingEdit"), () => editRouting(row.agent), t("routingEditFor", name)));
    }
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

// An agent's routing, as an admin sets it: the languages they speak, what they specialise in, how many chats at once.
// Languages and specialities are both skills on the account (tickets/routing.py): none ticked means every language,
// or a generalist.
const SPECIALITIES = [...CATEGORIES, "vip"];
const MAX_CAPACITY = 100;

function editRouting(agent) {
  const name = agent.display_name || agent.username;
  const dialog = el("dialog", "cs-dialog routing-dialog");
  dialog.setAttribute("aria-labelledby", "routing-title");
  const title = el("h2", null, t("routingTitle", name));
  title.id = "routing-title";
  const form = el("form", "routing-form");
  form.noValidate = true; // checked here, in the interface language
  const boxes = (legend, hint, values, label) => {
    const set = el("fieldset", "routing-set");
    set.append(el("legend", null, legend), el("p", "muted routing-hint", hint));
    for (const value of values) {
      const wrap = el("label", "routing-choice");
      const box = el("input");
      box.type = "checkbox";
      box.name = "skill";
      box.value = value;
      box.checked = agent.skills.includes(value);
      wrap.append(box, ` ${label(value)}`);
      set.append(wrap);
    }
    return set;
  };
  const languages = boxes(t("routingLanguages"), t("routingLanguagesHint"), Object.keys(LANGS), (v) => LANGS[v]);
  const skills = boxes(t("routingSkills"), t("routingSkillsHint"), SPECIALITIES, (v) => (v === "vip" ? t("routingVip") : named("categories", v)));
  const capLabel = el("label", "routing-capacity", t("routingCapacity"));
  const capacity = el("input");
  capacity.type = "number";
  capacity.id = capLabel.htmlFor = "routing-capacity";
  capacity.min = "1";
  capacity.max = String(MAX_CAPACITY);
  capacity.value = String(agent.capacity);
  const error = el("p", "error inline", "");
  error.id = "routing-error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  capacity.setAttribute("aria-describedby", error.id);
  capacity.addEventListener("input", () => { showMsg(error, ""); capacity.removeAttribute("aria-invalid"); });
  const cancel = button("ghost", t("routingCancel"), () => dialog.close());
  const save = el("button", "primary", t("routingSave"));
  save.type = "submit";
  const actions = el("div", "cs-dialog-actions");
  actions.append(cancel, save);
  form.append(languages, skills, capLabel, capacity, error, actions);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const cap = Number(capacity.value);
    if (!capacity.value.trim() || !Number.isInteger(cap) || cap < 1 || cap > MAX_CAPACITY) {
      showMsg(error, t("routingCapacityInvalid", MAX_CAPACITY));
      capacity.setAttribute("aria-invalid", "true");
      capacity.focus();
      return;
    }
    capacity.removeAttribute("aria-invalid");
    // Skills this form does not show (set with ./cs agents --skill) are kept.
    const shown = new Set([...Object.keys(LANGS), ...SPECIALITIES]);
    const chosen = [...form.querySelectorAll("input[name=skill]:checked")].map((b) => b.value);
    const body = { skills: [...agent.skills.filter((s) => !shown.has(s)), ...chosen], capacity: cap };
    save.disabled = true;
    try {
      await adminApi(`/agents/${encodeURIComponent(agent.username)}`, { method: "PATCH", body });
      dialog.close();
      refreshTeam();
    } catch (e) {
      showMsg(error, e.message);
    } finally { save.disabled = false; }
  });
  dialog.append(title, form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  const first = form.querySelector("input");
  if (first) first.focus();
}
