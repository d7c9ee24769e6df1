// The service desk in the console: the open chat's ticket (number, status, SLA countdown, category, tags, notes,
// follow-up), and the ticket list (mine, waiting, breaching soon, all, follow-up calls due: solved complaints to call
// back, which no other view lists), filtered by status (solved and closed ones too, when asked for) and category.
// Notes are internal: never shown to customers.
import { $, el } from "/static/common/dom.js";
import { fmtDateTime, fmtSpan } from "/static/common/i18n.js";
import { api, CATEGORIES, oversees, state } from "./state.js";
import { hooks as teamHooks, renderReassign } from "./team.js";
import { i18n, named, t } from "./texts.js";

const els = {
  bar: $("ticket"), ref: $("ticket-ref"), status: $("ticket-status"), sla: $("ticket-sla"), category: $("ticket-category"),
  tags: $("ticket-tags"), pending: $("ticket-pending"), notesToggle: $("notes-toggle"), notes: $("notes"), noteList: $("note-list"),
  noteForm: $("note-form"), noteText: $("note-text"), followup: $("followup"), followupDone: $("followup-done"), error: $("ticket-error"),
  list: $("tickets"), view: $("tickets-view"), count: $("tickets-count"), empty: $("tickets-empty"),
  filters: $("tickets-filters"), statusFilter: $("tickets-status"), categoryFilter: $("tickets-category"),
};
// The status filter: "" is the active tickets (the default), "any" adds the solved and closed ones.
const STATUSES = ["new", "open", "pending_customer", "solved", "closed"];
const FINISHED = ["solved", "closed"];
let current = null; // the open chat's ticket row
let rows = [];
export const hooks = { open: null }; // set by console.js: open a conversation

function countdown(dueAt, state_) {
  const left = dueAt ? Math.round(dueAt - Date.now() / 1000) : null;
  // A breached ticket says so, even while another of its clocks still runs (not a red "2d left").
  if (state_ === "breached" && (left === null || left >= 0)) return t("slaBreached");
  if (left === null) return "";
  if (left < 0) return t("slaOverdue", span(-left));
  return t("slaLeft", span(left));
}

const span = (seconds) => fmtSpan(seconds, i18n.lang);

function slaClass(row) {
  const left = row.due_at ? row.due_at - Date.now() / 1000 : null;
  if (row.sla_state === "breached" || (left !== null && left < 0)) return "sla red";
  if (row.sla_state === "warning") return "sla amber";
  return "sla";
}

// ---------- the open chat's ticket
// Who holds the open chat's ticket, as the hub last said: the chat's detail, then each ticket_changed frame. The
// ticket is asked for only while this agent may read it (its agent; supervisors and admins; anyone while it is new):
// once a chat went to a colleague (transferred, reassigned), every change of it asked again and got a 403.
let holder = null; // { cid, status, assignee }

export function ticketHolder(cid, ticket) {
  holder = ticket ? { cid, status: ticket.status, assignee: ticket.assignee } : null;
}

function mayRead(conv) {
  if (!state.me) return false;
  if (oversees()) return true;
  const me = state.me.username;
  if (conv.status === "assigned" && conv.agent !== me) return false;  // a colleague's chat: theirs, its ticket too
  if (holder && holder.cid === conv.id) return holder.status === "new" || holder.assignee === me;
  return conv.status === "queued" || conv.agent === me;
}

function hideTicket() { current = null; state.ticket = null; els.bar.hidden = true; }

export async function showTicket(conv) {
  if (!conv || !conv.ticket_ref || !mayRead(conv)) { hideTicket(); return; }
  let found;
  try {
    found = await api(`/tickets/${encodeURIComponent(conv.ticket_ref)}`);
  } catch { hideTicket(); return; }
  if (!state.current || state.current.id !== conv.id || !mayRead(state.current)) { hideTicket(); return; }  // moved on meanwhile
  current = found;
  state.ticket = current.ticket;
  renderTicket();
  renderReassign();
}

function renderTicket() {
  const tk = current.ticket;
  const mine = (state.me && tk.assignee === state.me.username) || oversees();
  els.bar.hidden = false;
  els.ref.textContent = tk.ref;
  els.status.textContent = named("ticketStatuses", tk.status);
  els.status.dataset.status = tk.status;
  tickSla();
  if (!els.category.options.length) {
    for (const c of CATEGORIES) els.category.append(new Option(named("categories", c), c));
  }
  for (const o of els.category.options) o.textContent = named("categories", o.value);
  els.category.value = tk.category;
  els.category.disabled = !mine;
  els.tags.value = (tk.tags || []).join(", ");
  els.tags.disabled = !mine;
  els.pending.hidden = !mine || !["open", "pending_customer"].includes(tk.status);
  els.pending.textContent = tk.status === "pending_customer" ? t("resumeTicket") : t("pendingCustomer");
  els.followup.hidden = !(tk.followup_due && !tk.followup_done_at);
  if (!els.followup.hidden) els.followup.querySelector(".followup-text").textContent = t("followupDue", fmtDateTime(tk.followup_due, i18n.locale));
  els.noteList.replaceChildren(...current.notes.map((n) => {
    const li = el("li", "note");
    li.append(el("span", "note-who", `${n.author} · ${fmtDateTime(n.ts, i18n.locale)}`), el("p", "note-text", n.text));
    return li;
  }));
  els.notesToggle.textContent = t("notes", current.notes.length);
}

function tickSla() {
  if (!current) return;
  els.sla.textContent = countdown(current.due_at, current.sla_state);
  els.sla.className = slaClass(current);
}

async function change(fn) {
  els.error.hidden = true;
  try { await fn(); } catch (e) { els.error.hidden = false; els.error.textContent = e.message; }
  if (current) await showTicket(state.current);
}

els.category.addEventListener("change", () => change(() => api(`/tickets/${current.ticket.ref}`, { method: "PATCH", body: { category: els.category.value } })));
els.tags.addEventListener("change", () => change(() => api(`/tickets/${current.ticket.ref}`, {
  method: "PATCH", body: { tags: els.tags.value.split(",").map((s) => s.trim()).filter(Boolean) } })));
els.pending.addEventListener("click", () => change(() => api(`/tickets/${current.ticket.ref}/status`, {
  method: "POST", body: { status: current.ticket.status === "pending_customer" ? "open" : "pending_customer" } })));
els.notesToggle.addEventListener("click", () => {
  const open = els.notes.hidden;
  els.notes.hidden = !open;
  els.notesToggle.setAttribute("aria-expanded", String(open));
  if (open) els.noteText.focus();
});
els.noteForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = els.noteText.value.trim();
  if (!text) return;
  change(async () => { await api(`/tickets/${current.ticket.ref}/notes`, { method: "POST", body: { text } }); els.noteText.value = ""; });
});
els.followupDone.addEventListener("click", async () => {
  await change(() => api(`/tickets/${current.ticket.ref}/followup`, { method: "POST", body: { note: "" } }));
  refreshTickets();  // called back: off the list of calls due
});

// ---------- the ticket list
// Supervisors start on every ticket they may see, agents on their own.
export function setView(view) { els.view.value = view; }

// The filters' options in the console's language, keeping what is chosen.
function labelFilters() {
  const options = (select, pairs) => {
    const chosen = select.value;
    select.replaceChildren(...pairs.map(([value, text]) => new Option(text, value)));
    select.value = chosen;
  };
  options(els.statusFilter, [["", t("statusActive")], ...STATUSES.map((s) => [s, named("ticketStatuses", s)]), ["any", t("statusAny")]]);
  options(els.categoryFilter, [["", t("categoryAny")], ...CATEGORIES.map((c) => [c, named("categories", c)])]);
}
labelFilters();

function ticketsQuery() {
  const q = new URLSearchParams({ view: els.view.value });
  const status = els.statusFilter.value;
  if (status === "any") q.set("include_closed", "true");
  else if (status) q.set("status", status);
  if (els.categoryFilter.value) q.set("category", els.categoryFilter.value);
  return q.toString();
}

// Answers can come back out of order (a filter changed twice, live events): only the newest request's draws the list.
let asked = 0;
export async function refreshTickets() {
  const view = els.view.value;
  const followups = view === "followups";
  els.filters.hidden = followups;  // the calls due are their own list: solved complaints, whatever the filters say
  const request = ++asked;
  let got;
  try { got = await api(followups ? "/followups" : `/tickets?${ticketsQuery()}`); } catch { return; }
  if (request !== asked) return;
  rows = got;
  rows.followups = followups;
  rows.filtered = !followups && Boolean(els.statusFilter.value || els.categoryFilter.value);
  renderTickets();
}

function renderTickets() {
  els.count.textContent = String(rows.length);
  els.empty.hidden = rows.length > 0;
  els.empty.textContent = rows.filtered ? t("ticketsNone") : t("ticketsEmpty");
  els.list.replaceChildren(...rows.map((row) => {
    const li = el("li", "ticket-row");
    li.dataset.ticket = row.ticket.ref;
    const b = el("button", `item${row.ticket.conversation_id === state.currentId ? " active" : ""}`);
    b.type = "button";
    const top = el("div", "item-top");
    // The number whole, then the customer (cut short with "…" if need be): "T-000001 ·" above "#42b89a" read as two rows.
    const name = el("span", "item-name ticket-name");
    name.append(el("span", "ticket-row-ref", row.ticket.ref), el("span", "item-customer", `· ${row.customer}`));
    top.append(name, rows.followups ? followupDue(row) : FINISHED.includes(row.ticket.status) ? finished(row)
      : el("span", slaClass(row), countdown(row.due_at, row.sla_state)));
    b.append(top, el("div", "item-text", `${named("ticketStatuses", row.ticket.status)} · ${named("categories", row.ticket.category)}${row.ticket.summary ? " · " + row.ticket.summary : ""}`));
    b.addEventListener("click", () => hooks.open && hooks.open(row.ticket.conversation_id));
    li.append(b);
    return li;
  }));
}

// A solved or closed ticket's row says when it was finished (its clocks have stopped): yesterday's is found by its day.
function finished(row) {
  const tk = row.ticket;
  return el("span", "ticket-done", t("finishedAt", named("ticketStatuses", tk.status), fmtDateTime(tk.closed_at || tk.solved_at || tk.updated_at, i18n.locale)));
}

// A follow-up call's row says when it is due (red once late), not an SLA: the ticket's clocks have stopped.
function followupDue(row) {
  const late = row.ticket.followup_due && row.ticket.followup_due * 1000 < Date.now();
  return el("span", `followup-due${late ? " sla red" : ""}`, t("followupDue", fmtDateTime(row.ticket.followup_due, i18n.locale)));
}

function tick() {
  tickSla();
  for (const li of els.list.querySelectorAll(".ticket-row")) {
    const row = rows.find((r) => r.ticket.ref === li.dataset.ticket);
    const sla = rows.followups ? null : li.querySelector(".sla");
    if (row && sla) { sla.textContent = countdown(row.due_at, row.sla_state); sla.className = slaClass(row); }
  }
}

// The list and the open ticket in the console's current language (after a switch).
export function rerenderTickets() {
  labelFilters();
  renderTickets();
  if (current) renderTicket();
}

export function ticketEvent(data) {
  refreshTickets();
  const open = state.current && data.conversation_id === state.current.id;
  if (open && data.type === "ticket_changed" && "assignee" in data && data.status) ticketHolder(state.current.id, data);
  if ((current && data.ticket_id === current.ticket.id) || (open && !current)) showTicket(state.current);
}

teamHooks.reassigned = (error) => change(async () => { if (error) throw new Error(error); });
els.view.addEventListener("change", refreshTickets);
els.statusFilter.addEventListener("change", refreshTickets);
els.categoryFilter.addEventListener("change", refreshTickets);
setInterval(tick, 1000);
