// The console's shell: sign-in and sign-out, the views a role may open, the live event stream.
// Views come from the modules below; each declares what it needs (`needs`: an operation from
// `GET /v1/session`'s `may`, or `roles`), so the console offers only what the API allows.
import { APIError, get, session, subscribe } from "./api.js";
import { badge, errorBox, h, loading, replace } from "./dom.js";
import { adminViews } from "./admin-views.js";
import { cycleViews } from "./cycle-views.js";
import { paymentViews } from "./payment-views.js";
import { unionViews } from "./union-views.js";

const views = [...unionViews, ...paymentViews, ...cycleViews, ...adminViews];

const state = { me: null, stopEvents: null, listeners: new Set(), renderCount: 0, signingIn: false, live: null };

const element = (id) => document.getElementById(id);

/** What a view gets: who is signed in, what they may do, and live events while it is shown. */
function viewContext(renderNumber) {
  return {
    me: state.me,
    may: (operation) => state.me.may.includes(operation),
    onEvent(listener) {
      if (renderNumber === state.renderCount) state.listeners.add(listener);
    },
    isCurrent: () => renderNumber === state.renderCount,
    navigate: (path) => { location.hash = `#/${path}`; },
    /** Shows the view again from fresh data, keeping the last notice. */
    rerender: () => render({ keepNotice: true }),
    /** A message that outlives the view's next rendering (what an action did). */
    announce: (message) => replace(element("notice"), h("div", {}, message)),
    /** After an action that changed the hub: says what it did, then shows fresh data. */
    done(message) {
      replace(element("notice"), h("div", {}, message));
      render({ keepNotice: true });
      return message;
    },
  };
}

function allowed(view) {
  if (!state.me) return false;
  if (view.roles && !view.roles.includes(state.me.role)) return false;
  return !view.needs || state.me.may.includes(view.needs);
}

/** A view's name for this role (`title` may depend on it). */
function titleOf(view) {
  return typeof view.title === "function" ? view.title(state.me) : view.title;
}

function route() {
  const [path = "", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  let parameter;
  try {
    parameter = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  } catch {
    parameter = rest.join("/"); // a malformed escape: the view refuses it as the API would
  }
  return { path, parameter };
}

async function render({ keepNotice = false, keepFocus = keepNotice } = {}) {
  const renderNumber = ++state.renderCount;
  state.listeners.clear();
  if (!keepNotice) replace(element("notice"));
  const target = element("view");
  const { path, parameter } = route();
  const visible = views.filter(allowed);
  const view = visible.find((candidate) => candidate.path === path) ?? visible.find((v) => v.inNav !== false);
  if (!view) return replace(target, errorBox(new Error("this key may not open any view")));
  for (const link of element("nav").querySelectorAll("a")) {
    if (link.dataset.path === view.path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  replace(target, loading());
  let content;
  try {
    content = await view.render(viewContext(renderNumber), parameter);
  } catch (error) {
    if (error instanceof APIError && error.status === 401) return signOut("The hub no longer accepts this key.");
    content = h("section", {}, h("h1", { tabindex: "-1" }, titleOf(view)), errorBox(error));
  }
  if (renderNumber !== state.renderCount) return;
  // A refresh keeps the reader's place; only a new view moves focus to its heading.
  const hadFocus = keepFocus && target.contains(document.activeElement);
  replace(target, content);
  document.title = `${titleOf(view)} · Polyclear console`;
  if (!keepFocus || hadFocus) target.querySelector("h1")?.focus();
}

function buildNavigation() {
  const links = views.filter((view) => allowed(view) && view.inNav !== false)
    .map((view) => h("a", { href: `#/${view.path}`, "data-path": view.path }, titleOf(view)));
  replace(element("nav"), h("ul", {}, links.map((link) => h("li", {}, link))));
}

function showLive(status) {
  replace(element("live"), badge(status === "live" ? "live" : "reconnecting"));
  // Back after a gap: events may have been missed, so the view reads the API again.
  if (status === "live" && state.live === "reconnecting") render({ keepNotice: true });
  state.live = status;
}

function onEvent(kind, data) {
  for (const listener of state.listeners) {
    try { listener(kind, data); } catch (error) { console.error(error); }
  }
}

async function signIn(key) {
  if (state.signingIn || state.me) return;
  state.signingIn = true;
  session.remember(key);
  let me;
  try {
    me = await get("/v1/session");
  } finally {
    state.signingIn = false;
  }
  state.me = me;
  replace(element("who"), h("span", { class: "role" }, me.role), " ", h("strong", {}, me.name ?? me.subject),
    me.name ? ` (${me.subject})` : "");
  element("sign-in").hidden = true;
  element("signed-in").hidden = false;
  buildNavigation();
  state.stopEvents = subscribe(onEvent, showLive, () => signOut("The hub no longer accepts this key."));
  if (!route().path) history.replaceState(null, "", "#/");
  await render();
}

function signOut(message) {
  state.stopEvents?.();
  state.stopEvents = null;
  session.forget();
  state.me = null;
  state.live = null;
  state.renderCount++;
  state.listeners.clear();
  replace(element("view"));
  replace(element("notice"));
  replace(element("nav"));
  replace(element("who"));
  replace(element("live"));
  element("signed-in").hidden = true;
  element("sign-in").hidden = false;
  replace(element("sign-in-error"), message ?? "");
  history.replaceState(null, "", location.pathname);
  document.title = "Sign in · Polyclear console";
  element("api-key").value = "";
  element("api-key").focus();
}

function start() {
  element("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = element("api-key").value.trim();
    if (!key) return;
    replace(element("sign-in-error"), loading("Signing in…"));
    try {
      await signIn(key);
      element("api-key").value = "";
    } catch (error) {
      session.forget();
      replace(element("sign-in-error"), errorBox(error));
    }
  });
  element("sign-out").addEventListener("click", () => signOut("Signed out: the key was removed from this tab."));
  // The skip link moves focus to the content without touching the hash (the views' router).
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    const heading = element("view").querySelector("h1");
    (heading ?? element("view")).focus();
  });
  window.addEventListener("hashchange", () => { if (state.me) render(); });
  if (session.key) {
    // Back in a tab that was signed in: a refused key signs out; the hub being unreachable
    // or starting keeps the key and says so (sign in again to retry).
    signIn(session.key).catch((error) => {
      if (error instanceof APIError && error.status === 401) return signOut("The hub no longer accepts this key.");
      replace(element("sign-in-error"), errorBox(error));
    });
  } else {
    element("api-key").focus();
  }
}

start();
