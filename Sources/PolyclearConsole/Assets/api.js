// The hub's public JSON API, with this tab's key. The key lives in sessionStorage only (gone
// when the tab closes or on sign-out), travels only as a bearer header to this origin, and
// never appears in a URL.

const storageKey = "polyclear.apiKey";

export const session = {
  get key() { return sessionStorage.getItem(storageKey); },
  remember(key) { sessionStorage.setItem(storageKey, key); },
  forget() { sessionStorage.removeItem(storageKey); },
};

/** A refusal as the API words it: HTTP status, stable code, message. */
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  return { Authorization: `Bearer ${session.key ?? ""}`, ...extra };
}

export async function request(method, path, body, { accept = "application/json" } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
      headers: headers(body === undefined ? { Accept: accept } : { Accept: accept, "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new APIError(0, "unreachable", "the hub cannot be reached");
  }
  if (!response.ok) {
    let code = `http_${response.status}`, message = response.statusText || "the request was refused";
    try {
      const answer = await response.json();
      code = answer.code ?? code;
      message = answer.message ?? message;
    } catch { /* not JSON: keep the status */ }
    throw new APIError(response.status, code, message);
  }
  return response;
}

export const get = async (path) => (await request("GET", path)).json();
export const post = async (path, body) => (await request("POST", path, body ?? {})).json();
export const put = async (path, body) => (await request("PUT", path, body)).json();
export const patch = async (path, body) => (await request("PATCH", path, body)).json();
export const remove = async (path) => (await request("DELETE", path)).json();

/** A query string from the set values of `parameters`. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Downloads `path` (with the key) and saves it as `filename`: links cannot carry the header. */
export async function download(path, filename, accept) {
  const response = await request("GET", path, undefined, { accept: accept ?? "*/*" });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A new random UUID (payment and funds ids are chosen by the caller). */
export function newID() {
  return crypto.randomUUID();
}

/**
 * The committed-change stream (`/v1/events`) over fetch, since EventSource cannot send a bearer
 * header. Calls `onEvent(kind, data)` per event and `onState("live" | "reconnecting")`;
 * reconnects with backoff, and also when nothing (not even the server's keep-alive comment,
 * every 15 s) has arrived for `silenceMilliseconds`. A 401 ends it with `onUnauthorized()`.
 * Returns a function that stops it.
 */
export function subscribe(onEvent, onState, onUnauthorized, silenceMilliseconds = 40_000) {
  let stopped = false;
  let connection = null;
  (async () => {
    let pauseMilliseconds = 1000;
    while (!stopped) {
      connection = new AbortController();
      let watchdog = null;
      const quiet = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => connection.abort(), silenceMilliseconds);
      };
      try {
        quiet();
        const response = await fetch("/v1/events", {
          headers: headers({ Accept: "text/event-stream" }), signal: connection.signal, cache: "no-store",
          credentials: "omit",
        });
        if (response.status === 401) {
          stopped = true;
          onUnauthorized();
          return;
        }
        if (!response.ok) throw new APIError(response.status, `http_${response.status}`, "no event stream");
        onState("live");
        pauseMilliseconds = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          quiet();
          buffer += value;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            dispatch(block, onEvent);
          }
        }
      } catch {
        // A dropped or silent connection: reconnect below.
      } finally {
        clearTimeout(watchdog);
      }
      if (stopped) return;
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, pauseMilliseconds));
      pauseMilliseconds = Math.min(pauseMilliseconds * 2, 15_000);
    }
  })();
  return () => {
    stopped = true;
    connection?.abort();
  };
}

function dispatch(block, onEvent) {
  let kind = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  if (!data) return;
  let parsed = null;
  try { parsed = JSON.parse(data); } catch { return; }
  onEvent(kind, parsed);
}
