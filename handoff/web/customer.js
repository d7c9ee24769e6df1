// The customer panel: who the customer is across channels (their record and identities), their history on every
// channel in one timeline, and linking another identity or record of the same person (one customer, one history).
import { $, button, el, showMsg } from "/static/common/dom.js";
import { fmtDateTime } from "/static/common/i18n.js";
import { channelName, ct } from "./channel-texts.js";
import { api, ownsCurrent, state } from "./state.js";
import { i18n } from "./texts.js";

const els = { panel: $("customer") };
const view = { cid: null, seq: 0, historyOpen: false, note: "", noteError: false };

export function resetCustomer() {
  view.cid = null;
  view.seq++;
  view.historyOpen = false;
  view.note = "";
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
  let history = null;
  if (view.historyOpen) {
    try { history = await api(`/conversations/${encodeURIComponent(conv.id)}/customer/history`); } catch (e) { view.note = e.message; view.noteError = true; }
    if (seq !== view.seq || state.currentId !== conv.id) return;
  }
  render(conv, data, history);
}

function render(conv, data, history) {
  const parts = [el("h3", null, ct("customerTitle"))];
  const record = data.customer;
  const channels = [...new Set(data.conversations.map((c) => channelName(c.conversation.channel)))].join(", ");
  const line = el("div", "customer-line");
  line.append(el("span", null, ct("conversationsOn", data.conversations.length, channels)));
  if (record) {
    const id = el("span", null, `${ct("customerId")}: `);
    id.append(el("span", "customer-id", record.id));
    line.append(id);
  }
  parts.push(line);
  const ids = el("div", "customer-line");
  ids.append(el("span", null, `${ct("identities")}:`));
  const identities = record ? record.identities : [];
  if (!identities.length) ids.append(el("span", "muted", ct("noIdentities")));
  for (const identity of identities) {
    const [kind] = identity.split(":", 1);
    const chip = el("span", "identity", identity.replace(/^[a-z]+:/, `${channelName(kind)} `));
    chip.dataset.identity = identity;
    ids.append(chip);
  }
  parts.push(ids);
  const mine = ownsCurrent() || (state.me && ["supervisor", "admin"].includes(state.me.role));
  if (mine) {
    const toggle = button("ghost history-toggle", view.historyOpen ? ct("hideHistory") : ct("showHistory"), () => {
      view.historyOpen = !view.historyOpen;
      showCustomer(conv);
    });
    toggle.setAttribute("aria-expanded", String(view.historyOpen));
    parts.push(toggle);
    if (history) parts.push(renderHistory(history));
    parts.push(linkForm(conv));
  }
  if (view.note) {
    const note = el("p", `customer-note${view.noteError ? " error" : ""}`, view.note);
    note.setAttribute("role", view.noteError ? "alert" : "status");
    parts.push(note);
  }
  els.panel.replaceChildren(...parts);
  els.panel.hidden = false;
}

function renderHistory(history) {
  const list = el("ol", "history");
  list.setAttribute("aria-label", ct("historyTitle"));
  if (!history.lines.length) list.append(el("li", "muted", ct("historyEmpty")));
  for (const { message: m, current } of history.lines) {
    const li = el("li", current ? "current" : "other");
    li.dataset.channel = m.channel;
    li.append(el("span", "h-meta", fmtDateTime(m.ts, i18n.locale)));
    const who = el("span", "h-meta");
    who.append(el("span", `channel-badge ch-${m.channel}`, channelName(m.channel)), document.createTextNode(` ${(ct("senders") || {})[m.sender] || m.sender}`));
    li.append(who, el("span", "h-text", m.text));
    list.append(li);
  }
  return list;
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
  const submit = el("button", "ghost", ct("link"));
  submit.type = "submit";
  form.append(label, input, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = linkBody(input.value);
    if (!body) { view.note = ct("linkInvalid"); view.noteError = true; render(conv, await api(`/conversations/${encodeURIComponent(conv.id)}/customer`), null); return; }
    try {
      await api(`/conversations/${encodeURIComponent(conv.id)}/customer/link`, { method: "POST", body });
      view.note = ct("linked"); view.noteError = false;
    } catch (e) { view.note = e.message; view.noteError = true; }
    showCustomer(conv);
  });
  return form;
}
