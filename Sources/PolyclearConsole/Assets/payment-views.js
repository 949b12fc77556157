// Payments: the list a caller may see (filtered, paged), one payment in detail with its ISO 20022
// notification and the actions its role allows, and the form a bank sends a payment with.
import { download, get, newID, post, query, request } from "./api.js";
import { actionButton, badge, errorBox, facts, field, h, pager, replace, table } from "./dom.js";
import { groupDigits, money, timeElement, words } from "./format.js";
import { changeOutcome, throttled } from "./union-views.js";

const statuses = ["received", "held", "queued", "reserved", "accepted", "rejected", "cancelled", "expired"];

function amountOf(payment) {
  if (payment.payerAmount) return money(payment.payerAmount, payment.payerCurrency);
  return "—";
}

function paymentTable(payments) {
  return table([
    { label: "Payment", value: (p) => h("a", { href: `#/payment/${p.id}` }, p.id.slice(0, 8) + "…") },
    { label: "Status", value: (p) => badge(p.status) },
    { label: "Payer", value: (p) => p.payer ?? "—" },
    { label: "Payee", value: (p) => p.payee ?? "—" },
    { label: "Amount paid", numeric: true, value: amountOf },
    { label: "Amount received", numeric: true, value: (p) => p.payeeAmount ? money(p.payeeAmount, p.payeeCurrency) : "—" },
    { label: "Cycle", numeric: true, value: (p) => (p.cycle ? String(p.cycle) : "—") },
    { label: "Invoice", value: (p) => p.details?.invoiceNumber ?? "—" },
  ], payments, { empty: "No payments match." });
}

async function paymentsView(context, _parameter, preset = {}) {
  const filters = { status: preset.status ?? "", counterparty: "", cycle: "" };
  const cursors = [0];
  const results = h("div", {});
  const statusSelect = h("select", {}, h("option", { value: "" }, "any status"),
    statuses.map((s) => h("option", { value: s, selected: s === filters.status }, words(s))));
  const counterparty = h("input", { type: "text", placeholder: "BIC", maxlength: 11, size: 12, autocomplete: "off", spellcheck: "false" });
  const cycle = h("input", { type: "number", min: 0, step: 1, inputmode: "numeric", size: 6 });
  const draw = async () => {
    const cursor = cursors[cursors.length - 1];
    replace(results, h("p", { class: "loading", role: "status" }, "Loading…"));
    try {
      const page = await get(`/v1/payments${query({ ...filters, limit: 20, cursor })}`);
      if (!context.isCurrent()) return;
      replace(results, paymentTable(page.items), pager({
        label: "Payment pages", hasPrevious: cursors.length > 1, hasNext: page.nextCursor !== undefined,
        onPrevious: () => { cursors.pop(); draw(); },
        onNext: () => { cursors.push(page.nextCursor); draw(); },
      }));
    } catch (error) {
      replace(results, errorBox(error));
    }
  };
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    filters.status = statusSelect.value;
    filters.counterparty = counterparty.value.trim().toUpperCase();
    filters.cycle = cycle.value.trim();
    cursors.splice(1);
    draw();
  } }, field("Status", statusSelect), field("Counterparty bank", counterparty), field("Cycle (business day)", cycle),
  h("button", { type: "submit" }, "Filter"));
  await draw();
  context.onEvent(throttled(() => { if (cursors.length === 1) draw(); }, 1500));
  return h("section", {}, h("h1", { tabindex: "-1" }, preset.title ?? "Payments"),
    preset.hint ? h("p", { class: "hint" }, preset.hint) : null, form, results);
}

function partyFacts(label, party) {
  if (!party) return [];
  return [[label, [party.name, party.account?.iban ?? party.account?.other, party.lei].filter(Boolean).join(" · ")]];
}

function paymentActions(context, payment, ownBanks) {
  const actions = [];
  const mine = context.me.role === "participant";
  // Who decides a reserved payment: its payee bank, the payee's central bank, the operator.
  const payeeSide = context.me.role === "operator" || payment.payee === context.me.subject || ownBanks.includes(payment.payee);
  if (payment.status === "held" && context.may("decideHeldPayment")) {
    const reason = h("input", { type: "text", maxlength: 140, autocomplete: "off" });
    actions.push(h("form", { class: "inline", onsubmit: (e) => e.preventDefault() },
      field("Reason (for the audit trail)", reason),
      actionButton("Release", async () => {
        const answer = await request("POST", `/v1/payments/${payment.id}/release`, reason.value ? { reason: reason.value } : {}).then((r) => r.json());
        return context.done(changeOutcome(answer, `Released: the payment is ${words(answer.status)}.`));
      }),
      actionButton("Refuse", async () => {
        const answer = await post(`/v1/payments/${payment.id}/refuse`, reason.value ? { reason: reason.value } : {});
        return context.done(changeOutcome(answer, `Refused by the operator: the payment is ${words(answer.status)}.`));
      }, { kind: "danger" })));
  }
  if (["queued", "held"].includes(payment.status) && (context.may("cancelPayment") && (!mine || payment.payer === context.me.subject))) {
    actions.push(actionButton("Cancel payment", async () => {
      const answer = await post(`/v1/payments/${payment.id}/cancel`);
      return context.done(`Cancelled: the payment is ${words(answer.status)}.`);
    }, { kind: "danger" }));
  }
  if (payment.status === "reserved" && payeeSide && !payment.condition) {
    actions.push(actionButton("Commit", async () => { const p = await post(`/v1/payments/${payment.id}/commit`); return context.done(`Committed: ${words(p.status)}.`); }),
      actionButton("Reject", async () => { const p = await post(`/v1/payments/${payment.id}/reject`); return context.done(`Rejected: ${words(p.status)}.`); }, { kind: "danger" }));
  }
  return actions.length ? h("div", { class: "actions" }, h("h2", {}, "Actions"), actions) : null;
}

async function notificationSection(payment, context) {
  const canRead = context.me.role === "operator" || (context.me.role === "participant" && [payment.payer, payment.payee].includes(context.me.subject));
  if (!canRead || payment.status !== "accepted") return null;
  const holder = h("pre", { class: "message", tabindex: "0" });
  const show = h("button", { type: "button" }, "Show the camt.054 notification");
  show.addEventListener("click", async () => {
    try {
      const response = await request("GET", `/v1/iso20022/payments/${payment.id}/notification`, undefined, { accept: "application/xml" });
      holder.textContent = await response.text();
    } catch (error) {
      replace(holder, errorBox(error));
    }
  });
  return h("section", {}, h("h2", {}, "ISO 20022"), show, " ",
    actionButton("Download", () => download(`/v1/iso20022/payments/${payment.id}/notification`, `camt054-${payment.id}.xml`, "application/xml").then(() => "Saved.")),
    holder);
}

/** The payment's way as the hub keeps it (milestones), then changes while the page is open. */
function historyItems(payment) {
  const m = payment.milestones ?? {};
  const items = [h("li", {}, badge("received", "info"), " by the hub")];
  if (m.heldByScreening) items.push(h("li", {}, badge("held", "wait"), " by screening, for the operator to decide"));
  if (m.bookedAt) items.push(h("li", {}, badge("accepted"), " booked ", timeElement(m.bookedAt), payment.cycle ? ` in cycle ${payment.cycle}` : ""));
  if (m.finalAt && payment.status !== "accepted") items.push(h("li", {}, badge(payment.status), " ", timeElement(m.finalAt)));
  if (!m.finalAt && !m.bookedAt) {
    items.push(h("li", {}, badge(payment.status), m.waitsUntil ? [" — may wait until ", timeElement(m.waitsUntil)] : " now"));
  }
  return items;
}

async function paymentView(context, id) {
  if (!id) return h("section", {}, h("h1", { tabindex: "-1" }, "Payment"), h("p", {}, "No payment chosen."));
  const [payment, ownBanks] = await Promise.all([
    get(`/v1/payments/${encodeURIComponent(id)}`),
    context.me.role === "member" ? get("/v1/participants").then((banks) => banks.map((b) => b.bic)) : [],
  ]);
  const history = h("ol", { class: "history", "aria-live": "polite" }, historyItems(payment));
  context.onEvent((kind, event) => {
    if (kind === "payment_status" && event.payment === payment.id) {
      history.append(h("li", {}, badge(event.status), event.rejection ? ` (${words(event.rejection)})` : ""));
    }
  });
  const details = payment.details ?? {};
  return h("section", {}, h("h1", { tabindex: "-1" }, "Payment ", h("code", {}, payment.id)),
    facts([
      ["Status", badge(payment.status)],
      ["Refusal", payment.rejection ? `${words(payment.rejection)} (${payment.statusReasonCode ?? ""})` : undefined],
      ["Payer bank", payment.payer], ["Payee bank", payment.payee],
      ["Paid", payment.payerAmount ? money(payment.payerAmount, payment.payerCurrency) : undefined],
      ["Received", payment.payeeAmount ? money(payment.payeeAmount, payment.payeeCurrency) : undefined],
      ["In units of account", payment.unitAmount ? groupDigits(payment.unitAmount) : undefined], ["Fixing version", String(payment.fixingVersion)],
      ["Cycle", payment.cycle ? String(payment.cycle) : "not booked yet"],
      ["End-to-end id", details.endToEndId], ["Invoice", details.invoiceNumber], ["Invoice date", details.invoiceDate],
      ["Purpose", details.purposeCode], ["HS codes", details.hsCodes?.join(", ")],
      ...partyFacts("Debtor", details.debtor), ...partyFacts("Creditor", details.creditor),
      ["Remittance", details.remittance?.unstructured?.join(" ")],
      ["Condition", payment.condition ? `SHA-256 ${payment.condition.sha256}${payment.condition.fulfilledAt ? " (fulfilled)" : " (waiting for the document)"}` : undefined],
      ["Return of", payment.returnOf ? h("a", { href: `#/payment/${payment.returnOf}` }, payment.returnOf) : undefined],
      ["Returns", payment.returns?.length ? payment.returns.map((r) => h("a", { href: `#/payment/${r}` }, r)) : undefined],
    ]),
    h("section", {}, h("h2", {}, "Status history"), history,
      h("p", { class: "hint" }, "Times in your zone (UTC on hover); changes while this page is open are added as the hub commits them.")),
    paymentActions(context, payment, ownBanks),
    await notificationSection(payment, context),
    h("p", {}, h("a", { href: "#/payments" }, "← All payments")));
}

function sendView(context) {
  const payee = h("input", { type: "text", required: true, maxlength: 11, autocomplete: "off", spellcheck: "false" });
  const amount = h("input", { type: "text", required: true, inputmode: "decimal", autocomplete: "off" });
  const side = h("select", {}, h("option", { value: "payer_debit" }, `what we pay (${context.me.currency ?? "our currency"})`),
    h("option", { value: "payee_credit" }, "what the payee receives (its currency)"));
  const invoice = h("input", { type: "text", maxlength: 35, autocomplete: "off" });
  const purpose = h("input", { type: "text", maxlength: 4, value: "GDDS", autocomplete: "off" });
  const creditor = h("input", { type: "text", maxlength: 140, autocomplete: "off" });
  const quoteBox = h("div", { class: "quote", "aria-live": "polite" });
  const outcome = h("div", { "aria-live": "polite" });
  let quote = null;
  const getQuote = h("button", { type: "button" }, "1. Get a quote");
  const send = h("button", { type: "submit", disabled: true }, "2. Send payment");
  getQuote.addEventListener("click", async () => {
    replace(quoteBox, "Asking for a quote…");
    try {
      quote = await post("/v1/quotes", { id: newID(), payer: context.me.subject, payee: payee.value.trim().toUpperCase() });
      replace(quoteBox, facts([
        ["Quote", quote.id], ["Fixing version", String(quote.fixingVersion)],
        ["Our currency per unit", quote.payerRatePerUnit], ["Payee's currency per unit", quote.payeeRatePerUnit],
        ["Valid until", timeElement(quote.expiresAt)],
      ]));
      send.disabled = false;
    } catch (error) {
      quote = null;
      send.disabled = true;
      replace(quoteBox, errorBox(error));
    }
  });
  const form = h("form", { class: "stack", onsubmit: async (event) => {
    event.preventDefault();
    send.disabled = true;
    replace(outcome, "Sending…");
    try {
      const id = newID();
      const body = {
        id, payer: context.me.subject, payee: payee.value.trim().toUpperCase(), amount: amount.value.trim(),
        side: side.value, endToEndId: `CONSOLE-${id.slice(0, 8)}`, uetr: newID(), quoteId: quote?.id,
        invoiceNumber: invoice.value.trim() || undefined, purposeCode: purpose.value.trim() || undefined,
        creditor: creditor.value.trim() ? { name: creditor.value.trim() } : undefined,
      };
      const payment = await post("/v1/payments", body);
      replace(outcome, h("p", { role: "status" }, "Sent: ", badge(payment.status), " ",
        h("a", { href: `#/payment/${payment.id}` }, "see the payment")));
      quote = null;
      replace(quoteBox);
    } catch (error) {
      replace(outcome, errorBox(error));
      send.disabled = !quote;
    }
  } },
  field("Payee bank (BIC)", payee), field("Amount", amount, "A decimal, at most as many decimals as the currency has."),
  field("The amount is", side), field("Invoice number", invoice), field("Purpose code", purpose, "ISO 20022, e.g. GDDS for goods"),
  field("Creditor name", creditor), h("div", { class: "buttons" }, getQuote, send), quoteBox);
  return h("section", {}, h("h1", { tabindex: "-1" }, "Send a payment"),
    h("p", { class: "hint" }, "The quote shows the rates the payment will convert at; send it while the quote is valid."),
    form, outcome);
}

export const paymentViews = [
  { path: "payments", title: "Payments", render: paymentsView },
  {
    path: "held", title: "Held by screening", needs: "decideHeldPayment",
    render: (context) => paymentsView(context, undefined, {
      status: "held", title: "Held by screening",
      hint: "Payments the screening list stopped. Open one to release or refuse it, with a reason.",
    }),
  },
  { path: "payment", title: "Payment", inNav: false, render: paymentView },
  { path: "send", title: "Send a payment", needs: "submitPayment", roles: ["participant"], render: sendView },
];
