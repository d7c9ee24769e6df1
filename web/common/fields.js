// A form's problems, each said under the field it is about: the field's message line (a hidden-while-empty
// <p class="field-error">, named in the field's aria-describedby) and aria-invalid on the field. A problem about no
// field is the page's to say once for the form. The knowledge-base editor's entry form and the console's canned
// replies use it.
import { showMsg } from "./dom.js";

// inputs: each field's name -> its input; lineOf(field): that field's message line, or null if it has none.
export function fieldErrors(inputs, lineOf) {
  return {
    clear() {
      for (const [field, input] of Object.entries(inputs)) {
        const line = lineOf(field);
        if (line) showMsg(line, "");
        input.removeAttribute("aria-invalid");
      }
    },
    // Said under the field, after what is said there already (once): true; not one of the form's fields with a
    // line of its own: false, and the caller says it for the whole form.
    mark(field, message) {
      const line = Object.hasOwn(inputs, field) ? lineOf(field) : null;
      if (!line) return false;
      if (line.hidden) showMsg(line, message);
      else if (!line.textContent.includes(message)) showMsg(line, `${line.textContent} ${message}`);
      inputs[field].setAttribute("aria-invalid", "true");
      return true;
    },
    // The fields marked, in the order of inputs.
    marked() {
      return Object.keys(inputs).filter((field) => inputs[field].getAttribute("aria-invalid") === "true");
    },
  };
}
