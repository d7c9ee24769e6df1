// Signing staff in (the console and the editor share one account and one token): the form, and resuming a saved session.
import { $, el, showMsg } from "./dom.js";

// The sign-in form is the same on every staff page; each page only names it:
// <section id="login-view" class="login-view" hidden data-title="Agent console" data-intro-key="signInIntro" data-intro="...">.
// Built when this module loads, before the page's own code translates the page and wires its language pickers.
function node(tag, attrs = {}, ...children) {
  const n = el(tag);
  for (const [name, value] of Object.entries(attrs)) n.setAttribute(name, value);
  n.append(...children);
  return n;
}

function buildForm(slot) {
  const select = node("select", { class: "ui-lang-select" }, node("option", { value: "en" }, "English"), node("option", { value: "zh" }, "中文"));
  const error = node("p", { id: "login-error", class: "error", role: "alert" });
  error.hidden = true;
  slot.append(node("form", { id: "login-form", class: "login-card", "aria-labelledby": "login-title" },
    node("div", { class: "login-top" },
      node("div", { class: "logo", "aria-hidden": "true" }, "CS"),
      node("label", { class: "ui-lang" }, node("span", { class: "sr-only", "data-i18n": "uiLanguage" }, "Interface language"), select)),
    node("h1", { id: "login-title", "data-i18n": "title" }, slot.dataset.title || ""),
    node("p", { class: "muted", "data-i18n": slot.dataset.introKey || "signInIntro" }, slot.dataset.intro || ""),
    node("label", { for: "username", "data-i18n": "username" }, "Username"),
    node("input", { id: "username", name: "username", autocomplete: "username", required: "", maxlength: "40" }),
    node("label", { for: "password", "data-i18n": "password" }, "Password"),
    node("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: "", maxlength: "200" }),
    error,
    node("button", { type: "submit", class: "primary", id: "login-submit", "data-i18n": "signIn" }, "Sign in")));
}

const slot = $("login-view");
if (slot && !slot.querySelector("form")) buildForm(slot);

// wrongLogin(): the message for a bad username or password, in the interface language.
// takeChats: false on pages that are not for chatting (dashboard, editor): signing in there does not make an agent available.
export function startSignIn({ api, loginPath, mePath, hasToken, saveToken, enter, wrongLogin, takeChats = true }) {
  const view = $("login-view"), form = $("login-form"), username = $("username"), password = $("password"), error = $("login-error");
  const showForm = () => { view.hidden = false; username.focus(); };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const res = await api(loginPath, { method: "POST", body: { username: username.value.trim(), password: password.value, take_chats: takeChats } });
      saveToken(res.token);
      password.value = "";
      enter(res.agent);
    } catch (e) {
      showMsg(error, e.status === 401 ? wrongLogin() : e.message);
    }
  });
  if (hasToken()) api(mePath).then(enter, showForm); else showForm();
}
