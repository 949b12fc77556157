// Numbers and times for people. Amounts arrive from the API as exact decimal strings in their
// currency's exponent ("-1234567.89"); they are grouped as text and never become floating point.

/** "-1234567.89" → "-1,234,567.89" (the digits and the decimals exactly as given). */
export function groupDigits(decimal) {
  const text = String(decimal ?? "");
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = ""] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign === "-" ? "−" : ""}${grouped}${fraction}`;
}

/** An amount with its currency code: "1,000.00 BRL". */
export function money(decimal, currency) {
  return currency ? `${groupDigits(decimal)} ${currency}` : groupDigits(decimal);
}

/** Whether a decimal string is below zero (by its sign, not by conversion). */
export function isNegative(decimal) {
  return /^-\d*\.?\d*[1-9]/.test(String(decimal ?? ""));
}

/** The hub's timestamps are nanoseconds since 1970 (UTC). */
function dateOf(nanoseconds) {
  const n = Number(nanoseconds);
  return Number.isFinite(n) && n > 0 ? new Date(Math.floor(n / 1e6)) : null;
}

/** A time in the viewer's zone, the UTC instant on hover and in `datetime`. */
export function timeElement(nanoseconds) {
  const date = dateOf(nanoseconds);
  const element = document.createElement("time");
  if (!date) {
    element.textContent = "—";
    return element;
  }
  element.dateTime = date.toISOString();
  element.title = `${date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
  element.textContent = date.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  return element;
}

/** Statuses as words: "settled_beyond_quota" → "settled beyond quota". */
export function words(code) {
  return String(code ?? "").replaceAll("_", " ");
}

/** The unit amount's share of a quota, in whole percent, from decimal strings (exact). */
export function percentOf(amount, quota) {
  const minor = (text) => {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text ?? ""));
    if (!match) return null;
    const [, sign, whole, fraction = ""] = match;
    return { sign: sign === "-" ? -1n : 1n, digits: BigInt(whole + fraction.padEnd(8, "0").slice(0, 8)) };
  };
  const a = minor(amount), q = minor(quota);
  if (!a || !q || q.digits === 0n) return 0;
  return Number((a.sign * a.digits * 100n) / q.digits);
}
