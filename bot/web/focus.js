// Keyboard focus when the control it is on goes away (disabled or hidden): the browser drops it to the top of the
// page, and a keyboard or screen-reader user would start again from there. It goes to the next thing to use instead.
const input = document.getElementById("input");

// A tap focuses nothing a touch user needs, and focusing the message box would bring up the on-screen keyboard.
let tapped = false;
addEventListener("pointerdown", (ev) => { tapped = ev.pointerType === "touch"; }, true);
addEventListener("keydown", () => { tapped = false; }, true);

// Call just before `control` is disabled or hidden. The returned function, called once it is, moves focus to
// `target` (by default the message box) if focus was on the control and has not gone anywhere else since.
export function handOffFocus(control) {
  const had = control.contains(document.activeElement);
  return (target = input) => {
    const lost = !document.activeElement || document.activeElement === document.body || control.contains(document.activeElement);
    if (had && lost && !tapped && target) target.focus();
  };
}
