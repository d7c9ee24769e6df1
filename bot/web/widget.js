// Embed: <script src="https://your-host/widget.js" async></script>
// Adds a launcher button (bottom-right) that opens the chat in an iframe panel.
(function () {
  if (window.__csWidgetLoaded) return;
  window.__csWidgetLoaded = true;
  var script = document.currentScript || (function () { var s = document.getElementsByTagName("script"); return s[s.length - 1]; })();
  var origin = new URL(script.src, location.href).origin;
  var zh = (navigator.language || "").toLowerCase().indexOf("zh") === 0;
  var labels = zh ? { open: "打开在线客服", close: "关闭在线客服", title: "在线客服" } : { open: "Open support chat", close: "Close support chat", title: "Support chat" };

  var css = "" +
    ".cs-widget-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;cursor:pointer;" +
    "background:#2563eb;color:#fff;box-shadow:0 8px 24px rgba(37,99,235,.35);display:flex;align-items:center;justify-content:center;transition:transform .15s ease}" +
    ".cs-widget-launcher:hover{transform:scale(1.05)}.cs-widget-launcher:focus-visible{outline:3px solid #93c5fd;outline-offset:3px}" +
    ".cs-widget-panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;height:min(640px,calc(100vh - 120px));border-radius:16px;overflow:hidden;" +
    "box-shadow:0 16px 48px rgba(15,23,42,.22);background:#fff;display:none}" +
    ".cs-widget-panel.open{display:block}.cs-widget-panel iframe{border:0;width:100%;height:100%;display:block}" +
    ".cs-widget-bar{display:none}" +
    "@media (max-width:520px){.cs-widget-panel{right:0;bottom:0;width:100vw;height:100vh;height:100dvh;border-radius:0}" +
    ".cs-widget-panel.open{display:flex;flex-direction:column}.cs-widget-panel iframe{flex:1;height:auto}" +
    ".cs-widget-bar{display:flex;justify-content:flex-end;padding:6px 8px;background:#f5f7fa;border-bottom:1px solid #e4e7eb}" +
    ".cs-widget-bar button{border:0;background:none;font:14px system-ui,sans-serif;color:#1f2933;padding:6px 10px;cursor:pointer}" +
    ".cs-widget-launcher.open{display:none}}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  var chatIcon = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var closeIcon = '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><path fill="currentColor" d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"/></svg>';

  var button = document.createElement("button");
  button.type = "button";
  button.className = "cs-widget-launcher";
  button.setAttribute("aria-label", labels.open);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "cs-widget-panel");
  button.innerHTML = chatIcon; // static markup, no user text

  var panel = document.createElement("div");
  panel.className = "cs-widget-panel";
  panel.id = "cs-widget-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", labels.title);
  var frame = null;
  var bar = document.createElement("div");
  bar.className = "cs-widget-bar";
  var barClose = document.createElement("button");
  barClose.type = "button";
  barClose.textContent = "\u2715 " + (zh ? "关闭" : "Close");
  barClose.setAttribute("aria-label", labels.close);
  barClose.addEventListener("click", function () { toggle(false); button.focus(); });
  bar.appendChild(barClose);
  panel.appendChild(bar);

  function toggle(open) {
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/chat?embed=1";
      frame.title = labels.title;
      frame.setAttribute("allow", "clipboard-write");
      panel.appendChild(frame);
    }
    panel.classList.toggle("open", open);
    button.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", open ? labels.close : labels.open);
    button.innerHTML = open ? closeIcon : chatIcon;
    if (open && frame) frame.focus();
  }
  button.addEventListener("click", function () { toggle(!panel.classList.contains("open")); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && panel.classList.contains("open")) { toggle(false); button.focus(); } });

  function mount() { document.body.appendChild(panel); document.body.appendChild(button); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
