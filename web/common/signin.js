// Signing staff in (the console and the editor share one account and one token): the form, and resuming a saved session.
import { $, showMsg } from "./dom.js";

// wrongLogin(): the message for a bad username or password, in the interface language.
export function startSignIn({ api, loginPath, mePath, hasToken, saveToken, enter, wrongLogin }) {
  const view = $("login-view"), form = $("login-form"), username = $("username"), password = $("password"), error = $("login-error");
  const showForm = () => { view.hidden = false; username.focus(); };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const res = await api(loginPath, { method: "POST", body: { username: username.value.trim(), password: password.value } });
      saveToken(res.token);
      password.value = "";
      enter(res.agent);
    } catch (e) {
      showMsg(error, e.status === 401 ? wrongLogin() : e.message);
    }
  });
  if (hasToken()) api(mePath).then(enter, showForm); else showForm();
}
