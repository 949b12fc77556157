// Building the page from data without ever parsing it as HTML: every value from the API goes in
// as text (`textContent`), so a name like `<img src=x onerror=…>` is shown, never run.

/** An element: `h("td", {class: "num"}, "12.00")`. Props starting with "on" are listeners. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "for") element.htmlFor = value;
    else if (name === "text") element.textContent = value;
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const svgNamespace = "http://www.w3.org/2000/svg";

/** An SVG element; attributes are set as attributes (no styles: the CSP allows none inline). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

/** Replaces what `parent` holds. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** A status shown as a word and a shape as well as a colour (never colour alone). */
export function badge(status, tone = toneOf(status)) {
  const marks = { good: "✓", bad: "✕", warn: "!", wait: "…", info: "•" };
  return h("span", { class: `badge ${tone}` }, h("span", { "aria-hidden": "true" }, marks[tone] ?? "•"), " ",
    String(status ?? "").replaceAll("_", " "));
}

function toneOf(status) {
  const code = String(status ?? "");
  if (/^(settled|accepted|booked|active|confirmed|passed|approved|adopted|applied|executed|live)/.test(code)) return "good";
  if (/(rejected|refused|failed|missed|suspended|cancelled|revoked|expired|overdue|error)/.test(code)) return "bad";
  if (/(held|queued|pending|open|closed|awaiting|reserved|reconnecting)/.test(code)) return "wait";
  return "info";
}

/** A table: columns `{label, value(row) → text|Node, numeric?}`; an empty list says so. */
export function table(columns, rows, { caption, empty = "Nothing here yet." } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-scroll" },
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)))),
      h("tbody", {}, rows.map((row) =>
        h("tr", {}, columns.map((c) => h("td", { class: c.numeric ? "num" : null, "data-label": c.label }, c.value(row))))))));
}

/** Definition list of label → value pairs (values may be nodes). */
export function facts(pairs) {
  return h("dl", { class: "facts" },
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== "")
      .map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

export function loading(what = "Loading…") {
  return h("p", { class: "loading", role: "status" }, what);
}

/** An API refusal as the API worded it: its message and stable code. */
export function errorBox(error) {
  return h("div", { class: "error", role: "alert" },
    h("strong", {}, "Refused: "), error?.message ?? String(error),
    error?.code ? h("span", { class: "code" }, ` (${error.code})`) : null);
}

/** A button that shows it is working and reports its outcome next to itself. */
export function actionButton(label, action, { kind = "", confirmText } = {}) {
  const outcome = h("span", { class: "outcome", role: "status" });
  const button = h("button", { type: "button", class: kind }, label);
  button.addEventListener("click", async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    button.disabled = true;
    replace(outcome, "…");
    try {
      const message = await action();
      replace(outcome, message ?? "Done.");
    } catch (error) {
      replace(outcome, errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "action" }, button, outcome);
}

/** A labelled form field. */
export function field(label, input, hint) {
  input.id ||= `f-${Math.random().toString(36).slice(2, 9)}`;
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input,
    hint ? h("small", {}, hint) : null);
}

/** Previous/next paging; `page` is the list's state with `hasPrevious`, `hasNext`. */
export function pager({ hasPrevious, hasNext, onPrevious, onNext, label }) {
  return h("nav", { class: "pager", "aria-label": label ?? "Pages" },
    h("button", { type: "button", disabled: !hasPrevious, onclick: onPrevious }, "← Previous"),
    h("button", { type: "button", disabled: !hasNext, onclick: onNext }, "Next →"));
}

/** A table shown `pageSize` rows at a time (every list is paged), focus kept on the pager. */
export function pagedTable(columns, rows, options = {}) {
  const pageSize = options.pageSize ?? 25;
  if (rows.length <= pageSize) return table(columns, rows, options);
  let start = 0;
  const holder = h("div", {});
  const draw = (focus) => {
    replace(holder, table(columns, rows.slice(start, start + pageSize), options),
      h("p", { class: "hint" }, `${start + 1}–${Math.min(start + pageSize, rows.length)} of ${rows.length}`),
      pager({
        label: options.pagerLabel, hasPrevious: start > 0, hasNext: start + pageSize < rows.length,
        onPrevious: () => { start -= pageSize; draw("previous"); },
        onNext: () => { start += pageSize; draw("next"); },
      }));
    if (focus) {
      const buttons = holder.querySelectorAll(".pager button");
      const wanted = focus === "next" ? buttons[1] : buttons[0];
      (wanted && !wanted.disabled ? wanted : [...buttons].find((b) => !b.disabled))?.focus();
    }
  };
  draw();
  return holder;
}
