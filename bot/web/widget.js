// Embed: <script src="https://your-host/widget.js" async></script>
// Adds a launcher button (bottom-right) that opens the chat in an iframe panel. While the panel is closed, the
// launcher shows how many replies are unread and a preview of the latest; Esc closes the panel (also from inside
// the chat). On phones the panel fills the screen and the chat's own header (with its close button) is the only one.
(function () {
  if (window.__csWidgetLoaded) return;
  window.__csWidgetLoaded = true;
  var script = document.currentScript || (function () { var s = document.getElementsByTagName("script"); return s[s.length - 1]; })();
  var origin = new URL(script.src, location.href).origin;
  var zh = (navigator.language || "").toLowerCase().indexOf("zh") === 0;
  var labels = zh
    ? { open: "打开在线客服", close: "关闭在线客服", title: "在线客服", unread: function (n) { return "，" + n + " 条未读消息"; }, dismiss: "关闭预览", agent: "客服", bot: "智能助手" }
    : { open: "Open support chat", close: "Close support chat", title: "Support chat", unread: function (n) { return ", " + n + " unread message" + (n === 1 ? "" : "s"); }, dismiss: "Dismiss preview", agent: "Agent", bot: "Assistant" };

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = origin + "/static/chat/widget.css";
  document.head.appendChild(css);

  var SVG = "http://www.w3.org/2000/svg";
  function icon(d, size) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }
  var CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var CLOSE = "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  var launcher = el("button", "cs-widget-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "cs-widget-panel");
  var badge = el("span", "cs-widget-badge");
  badge.setAttribute("aria-hidden", "true");
  badge.hidden = true;

  var preview = el("div", "cs-widget-preview");
  preview.hidden = true;
  var previewOpen = el("button", "cs-widget-preview-open");
  previewOpen.type = "button";
  var previewWho = el("strong", "cs-widget-preview-who");
  var previewText = el("span", "cs-widget-preview-text");
  previewOpen.appendChild(previewWho);
  previewOpen.appendChild(previewText);
  var previewClose = el("button", "cs-widget-preview-close");
  previewClose.type = "button";
  previewClose.setAttribute("aria-label", labels.dismiss);
  previewClose.appendChild(icon(CLOSE, 14));
  preview.appendChild(previewOpen);
  preview.appendChild(previewClose);

  var panel = el("div", "cs-widget-panel");
  panel.id = "cs-widget-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", labels.title);

  // The chat loads at once (hidden), so replies that arrive while the panel is closed can be counted;
  // it starts a conversation only when the panel is first opened.
  var frame = el("iframe");
  // A known customer: the shop's server signed who they are (README, "Known customers"). It travels in the
  // fragment, which browsers never send to a server, so it is in no access log.
  var who = script.dataset || {};
  var identity = who.customerSignature ? "#identity=" + encodeURIComponent(JSON.stringify({
    ref: who.customerRef || "", tier: who.customerTier || "standard", name: who.customerName || "", signature: who.customerSignature,
  })) : "";
  frame.src = origin + "/chat?embed=1&host=" + encodeURIComponent(location.origin) + identity;
  frame.title = labels.title;
  frame.setAttribute("allow", "clipboard-write; autoplay");
  panel.appendChild(frame);

  var unread = 0;
  function isOpen() { return panel.classList.contains("open"); }

  function renderLauncher() {
    var open = isOpen();
    launcher.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? labels.close : labels.open + (unread ? labels.unread(unread) : ""));
    while (launcher.firstChild) launcher.removeChild(launcher.firstChild);
    launcher.appendChild(icon(open ? CLOSE : CHAT, open ? 24 : 28));
    badge.textContent = unread > 9 ? "9+" : String(unread);
    badge.hidden = open || !unread;
    launcher.appendChild(badge);
    if (open || !unread) preview.hidden = true;
  }

  function tellChat(message) {
    message.source = "cs-widget";
    if (frame.contentWindow) frame.contentWindow.postMessage(message, origin);
  }

  function toggle(open) {
    panel.classList.toggle("open", open);
    if (open) { unread = 0; preview.hidden = true; }
    renderLauncher();
    tellChat({ type: "panel", open: open });
    if (open) frame.focus();
  }

  function close() { toggle(false); launcher.focus(); }

  window.addEventListener("message", function (ev) {
    if (ev.origin !== origin || ev.source !== frame.contentWindow || !ev.data || ev.data.source !== "cs-chat") return;
    var data = ev.data;
    if (data.type === "ready") tellChat({ type: "panel", open: isOpen() });
    else if (data.type === "close") { if (isOpen()) close(); }
    else if (data.type === "unread" && !isOpen()) {
      unread = Number(data.count) || 0;
      if (unread && data.preview && data.preview.text) {
        var p = data.preview;
        previewWho.textContent = p.author || (p.sender === "agent" ? labels.agent : labels.bot);
        previewText.textContent = p.text;
        preview.hidden = false;
      }
      renderLauncher();
    }
  });

  launcher.addEventListener("click", function () { toggle(!isOpen()); });
  previewOpen.addEventListener("click", function () { toggle(true); });
  previewClose.addEventListener("click", function () { preview.hidden = true; launcher.focus(); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && isOpen()) close(); });

  renderLauncher();
  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(preview);
    document.body.appendChild(launcher);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
