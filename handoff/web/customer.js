// The customer panel: who the customer is across channels (their record and identities), their history on every
// channel in one timeline, and linking another identity or record of the same person (one customer, one history).
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fmtDateTime, labelled } from "/static/common/i18n.js";
import { renderMarkdown } from "/static/common/markdown.js";
import { channelName, ct } from "./channel-texts.js";
import { api, oversees, ownsCurrent, state } from "./state.js";
import { i18n } from "./texts.js";

const els = { panel: $("customer") };
const view = { cid: null, seq: 0, open: false, note: "", noteError: false, data: null, draft: "", plan: null };

export function resetCustomer() {
  view.cid = null;
  view.seq++;
  view.open = false;
  view.note = "";
  view.data = null;
  view.draft = "";
  view.plan = null;
  els.panel.hidden = true;
  els.panel.replaceChildren();
}

// Called whenever the open conversation is (re)drawn.
export async function showCustomer(conv) {
  if (!conv) return;
  if (view.cid !== conv.id) { resetCustomer(); view.cid = conv.id; }
  const seq = ++view.seq;
  let data;
  try { data = await api(`/conversations/${encodeURIComponent(conv.id)}/customer`); } catch { return; }
  if (seq !== view.seq || state.currentId !== conv.id) return;
  view.data = data;
  render(conv);
}

// Which control of the panel has the keyboard, so a redraw (every new message redraws the chat) gives it back.
function focusedControl() {
  const active = document.activeElement;
  if (!els.panel.contains(active)) return null;
  return { id: active.id, className: active.className, start: active.selectionStart, end: active.selectionEnd };
}

function refocus(had) {
  if (!had) return;
  const again = [...els.panel.querySelectorAll("button, input, select")].find((e) => (had.id ? e.id === had.id : e.className === had.className));
  if (!again) return;
  again.focus();
  if (had.start != null && again.setSelectionRange) again.setSelectionRange(had.start, had.end);
}

// One line (who, how many conversations, on which channels) that opens to the identities, the history and linking.
// Redrawn whenever the chat is: what the agent was typing to link, and where the keyboard was, stay.
function render(conv) {
  const had = focusedControl();
  const data = view.data;
  const record = data.customer;
  const channels = [...new Set(data.conversations.map((c) => channelName(c.conversation.channel)))].join(", ");
  const head = el("h3", "customer-head");
  const toggle = button("customer-toggle", "", () => { view.open = !view.open; render(conv); });
  toggle.append(el("span", "customer-title", ct("customerTitle")), el("span", "customer-summary", ct("conversationsOn", data.conversations.length, channels)),
    el("span", "chev"));
  toggle.setAttribute("aria-expanded", String(view.open));
  toggle.setAttribute("aria-controls", "customer-body");
  head.append(toggle);
  const body = el("div", "customer-body");
  body.id = "customer-body";
  body.hidden = !view.open;
  if (record) {
    const id = el("div", "customer-line", labelled(ct("customerId"), i18n.lang));
    id.append(el("span", "customer-id", record.id));
    body.append(id);
  }
  const ids = el("div", "customer-line");
  ids.append(el("span", null, labelled(ct("identities"), i18n.lang).trimEnd()));
  const identities = record ? record.identities : [];
  if (!identities.length) ids.append(el("span", "muted", ct("noIdentities")));
  for (const identity of identities) {
    const [kind] = identity.split(":", 1);
    const chip = el("span", "identity", identity.replace(/^[a-z]+:/, `${channelName(kind)} `));
    chip.dataset.identity = identity;
    ids.append(chip);
  }
  body.append(ids);
  if (ownsCurrent() || oversees()) {
    body.append(button("ghost history-open", ct("showHistory"), () => openHistory(conv)), linkForm(conv));
  }
  if (record && oversees()) body.append(planForm(conv, record));
  if (view.note) {
    const note = el("p", `customer-note${view.noteError ? " error" : ""}`, view.note);
    note.setAttribute("role", view.noteError ? "alert" : "status");
    body.append(note);
  }
  els.panel.classList.toggle("collapsed", !view.open);
  els.panel.replaceChildren(head, body);
  els.panel.hidden = false;
  refocus(had);
}

// Every line of every conversation of the customer, oldest first, in a dialog (the transcript keeps its room).
async function openHistory(conv) {
  let history;
  try { history = await api(`/conversations/${encodeURIComponent(conv.id)}/customer/history`); } catch (e) {
    view.note = e.message; view.noteError = true; render(conv); return;
  }
  const dialog = el("dialog", "cs-dialog history-dialog");
  dialog.setAttribute("aria-labelledby", "history-title");
  const title = el("h2", null, ct("historyTitle"));
  title.id = "history-title";
  const list = el("ol", "history");
  list.tabIndex = 0;
  list.setAttribute("aria-labelledby", "history-title");
  if (!history.lines.length) list.append(el("li", "muted", ct("historyEmpty")));
  for (const { message: m, current } of history.lines) {
    const li = el("li", current ? "current" : "other");
    li.dataset.channel = m.channel;
    li.append(el("span", "h-meta", fmtDateTime(m.ts, i18n.locale)));
    const who = el("span", "h-meta");
    who.append(el("span", `channel-badge ch-${m.channel}`, channelName(m.channel)), document.createTextNode(` ${(ct("senders") || {})[m.sender] || m.sender}`));
    const text = el("div", "h-text");
    // as the transcript shows it: markdown (sanitised) from the bot and agents, plain text from customers and the system
    text.append(m.sender === "bot" || m.sender === "agent" ? renderMarkdown(m.text) : document.createTextNode(m.text));
    li.append(who, text);
    list.append(li);
  }
  const close = button("primary", ct("close"), () => { dialog.close(); dialog.remove(); });
  const actions = el("div", "cs-dialog-actions");
  actions.append(close);
  dialog.append(title, list, actions);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  list.scrollTop = list.scrollHeight;
  close.focus();
}

// What the agent typed, as the link endpoint wants it.
export function linkBody(input) {
  const v = input.trim();
  if (/^[0-9a-f]{32}$/.test(v)) return { customer_id: v };
  if (/^(web|shop|telegram|wechat|phone|email):.+$/.test(v)) return { identity: v };
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return { identity: `email:${v.toLowerCase()}` };
  if (/^\+?[0-9][0-9 -]{5,}$/.test(v)) return { identity: `phone:${v.replace(/[ -]/g, "")}` };
  return null;
}

function linkForm(conv) {
  const form = el("form", "customer-link");
  const label = el("label", "sr-only", ct("linkLabel"));
  const input = el("input");
  input.id = label.htmlFor = "customer-link-input";
  input.maxLength = 210;
  input.placeholder = ct("linkPlaceholder");
  input.setAttribute("aria-label", ct("linkLabel"));
  input.value = view.draft;
  input.addEventListener("input", () => { view.draft = input.value; });
  const submit = el("button", "ghost", ct("link"));
  submit.type = "submit";
  form.append(label, input, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = linkBody(input.value);
    if (!body) { view.note = ct("linkInvalid"); view.noteError = true; render(conv); return; }
    try {
      await api(`/conversations/${encodeURIComponent(conv.id)}/customer/link`, { method: "POST", body });
      view.note = ct("linked"); view.noteError = false; view.draft = "";
    } catch (e) { view.note = e.message; view.noteError = true; }
    showCustomer(conv);
  });
  return form;
}

// The customer's service plan, as supervisors and admins set it: VIP or not, and a VIP's own agent (专属客服), who
// gets their chats first when online with room (tickets/routing.py). What is chosen and not yet saved survives redraws.
function planForm(conv, record) {
  const plan = view.plan || { vip: record.tier === "vip", agent: record.dedicated_agent || "" };
  const form = el("form", "customer-plan");
  form.setAttribute("aria-labelledby", "customer-plan-title");
  const title = el("strong", null, ct("planTitle"));
  title.id = "customer-plan-title";
  const vipLabel = el("label", "routing-choice");
  const vip = el("input");
  vip.type = "checkbox";
  vip.id = "customer-vip";
  vip.checked = plan.vip;
  vipLabel.append(vip, ` ${ct("planVip")}`);
  const agentLabel = el("label", null, ct("planDedicated"));
  const agent = el("select");
  agent.id = agentLabel.htmlFor = "customer-dedicated";
  const none = new Option(ct("planNone"), "");
  const options = state.agents.map((a) => new Option(a.display_name || a.username, a.username));
  if (plan.agent && !options.some((o) => o.value === plan.agent)) options.push(new Option(plan.agent, plan.agent));
  agent.replaceChildren(none, ...options);
  agent.value = plan.agent;
  const keep = () => { view.plan = { vip: vip.checked, agent: agent.value }; };
  vip.addEventListener("change", keep);
  agent.addEventListener("change", keep);
  const save = el("button", "ghost", ct("planSave"));
  save.type = "submit";
  save.id = "customer-plan-save";
  form.append(title, vipLabel, agentLabel, agent, save);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    keep();
    if (agent.value && !vip.checked) { view.note = ct("planNeedsVip"); view.noteError = true; render(conv); return; }
    try {
      await api(`/conversations/${encodeURIComponent(conv.id)}/customer/dedicated`, { method: "PUT", body: { vip: vip.checked, agent: agent.value || null } });
      view.note = ct("planSaved"); view.noteError = false; view.plan = null;
    } catch (e) { view.note = e.message; view.noteError = true; }
    showCustomer(conv);
  });
  return form;
}
