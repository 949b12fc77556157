// Cycles: the list, a cycle's netting report with its settlement instructions (confirmed by
// each central bank, amount shown and checked), charges and excess settlements; statements.
import { download, get, post } from "./api.js";
import { actionButton, badge, facts, field, h, pagedTable, replace } from "./dom.js";
import { money, timeElement } from "./format.js";

async function cyclesView(context) {
  const cycles = (await get("/v1/cycles")).slice().reverse();
  context.onEvent((kind) => { if (kind.startsWith("cycle_")) context.rerender(); });
  const open = cycles.find((cycle) => cycle.state === "open");
  return h("section", {}, h("h1", { tabindex: "-1" }, "Cycles"),
    open && context.may("closeCycle") ? h("p", {}, actionButton(`Close cycle ${open.number} now`, async () => {
      const closed = await post(`/v1/cycles/${open.number}/close`);
      context.navigate(`cycle/${closed.number}`);
      return `Cycle ${closed.number} is ${closed.state}.`;
    })) : null,
    pagedTable([
      { label: "Cycle", value: (c) => c.state === "open" ? `${c.number} (open)` : h("a", { href: `#/cycle/${c.number}` }, `Cycle ${c.number}`) },
      { label: "State", value: (c) => badge(c.state) },
      { label: "Payments", numeric: true, value: (c) => String(c.paymentCount) },
      { label: "Settlement instructions", numeric: true, value: (c) => String(c.instructionCount) },
    ], cycles, { empty: "No cycles yet." }));
}

function instructionRow(context, report, instruction) {
  if (instruction.isConfirmed) return badge("confirmed");
  const own = context.me.role === "member" && instruction.member === context.me.member;
  if (!own || !context.may("confirmSettlement")) return badge("awaiting confirmation");
  const amount = h("input", { type: "text", inputmode: "decimal", value: instruction.amount, size: 14, autocomplete: "off" });
  return h("form", { class: "inline", onsubmit: (e) => e.preventDefault() },
    field(`Amount moved for ${instruction.participant} (${instruction.currency})`, amount),
    actionButton("Confirm executed", async () => {
      const cycle = await post(`/v1/cycles/${report.number}/instructions/${instruction.index}/confirm`, { amount: amount.value.trim() });
      return context.done(`Confirmed ${instruction.participant}'s instruction; cycle ${cycle.number} is ${cycle.state}.`);
    }));
}

function excessRow(context, report, excess) {
  if (excess.isConfirmed) return badge("confirmed");
  if (!context.may("confirmExcessSettlement")) return badge("awaiting confirmation");
  return actionButton(`Confirm ${money(excess.amount, report.unit)} ${excess.direction === "member_pays" ? "received" : "paid"}`, async () => {
    const cycle = await post(`/v1/cycles/${report.number}/excess-settlements/${excess.member}/confirm`, { amount: excess.amount });
    return context.done(`Confirmed ${excess.member}'s settlement beyond quota; cycle ${cycle.number} is ${cycle.state}.`);
  });
}

async function cycleView(context, number) {
  const report = await get(`/v1/cycles/${encodeURIComponent(number ?? "")}`);
  context.onEvent((kind, event) => { if (event?.cycle === report.number) context.rerender(); });
  const mine = context.me.role === "member" ? report.instructions.filter((i) => i.member === context.me.member && !i.isConfirmed) : [];
  return h("section", {}, h("h1", { tabindex: "-1" }, `Cycle ${report.number}`),
    facts([
      ["State", badge(report.state)], ["Payments", String(report.paymentCount)],
      ["Opened", timeElement(report.openedAt)], ["Closed", timeElement(report.closedAt)],
      ["Netting efficiency", report.overallEfficiency ? `${(report.overallEfficiency.efficiencyPartsPerMillion / 10_000).toFixed(2)}% of gross value saved` : undefined],
    ]),
    mine.length > 1 ? h("p", {}, actionButton(`Confirm all ${mine.length} of your instructions as shown`, async () => {
      const cycle = await post(`/v1/cycles/${report.number}/confirm`);
      return context.done(`Confirmed every instruction; cycle ${cycle.number} is ${cycle.state}.`);
    })) : null,
    h("h2", {}, "Settlement instructions"),
    pagedTable([
      { label: "Member", value: (i) => i.member }, { label: "Bank", value: (i) => i.participant },
      { label: "Direction", value: (i) => (i.direction === "pay_in" ? "pays in" : "is paid out") },
      { label: "Amount", numeric: true, value: (i) => money(i.amount, i.currency) },
      { label: "Confirmation", value: (i) => instructionRow(context, report, i) },
    ], report.instructions, { empty: "Nothing to settle: every position netted to zero." }),
    h("h2", {}, "Members (units of account)"),
    pagedTable([
      { label: "Member", value: (m) => m.id },
      { label: "Sent", numeric: true, value: (m) => money(m.unitSent, report.unit) },
      { label: "Received", numeric: true, value: (m) => money(m.unitReceived, report.unit) },
      { label: "Net", numeric: true, value: (m) => money(m.unitNet, report.unit) },
      { label: "Union position at close", numeric: true, value: (m) => money(m.closingUnionPosition, report.unit) },
    ], report.members),
    h("h2", {}, "Banks"),
    pagedTable([
      { label: "Bank", value: (b) => b.bic },
      { label: "Sent", numeric: true, value: (b) => money(b.grossSent, b.currency) },
      { label: "Received", numeric: true, value: (b) => money(b.grossReceived, b.currency) },
      { label: "Net", numeric: true, value: (b) => money(b.net, b.currency) },
    ], report.participants),
    h("h2", {}, "Charges"),
    pagedTable([
      { label: "Member", value: (c) => c.member },
      { label: "Average position", numeric: true, value: (c) => money(c.averagePosition, report.unit) },
      { label: "Charge", numeric: true, value: (c) => money(c.charge, report.unit) },
      { label: "Received", numeric: true, value: (c) => money(c.received, report.unit) },
    ], report.charges, { empty: "No charges this cycle." }),
    h("h2", {}, "Settlements beyond quota"),
    pagedTable([
      { label: "Member", value: (e) => e.member },
      { label: "Direction", value: (e) => (e.direction === "member_pays" ? "member pays the union" : "union pays the member") },
      { label: "Amount", numeric: true, value: (e) => money(e.amount, report.unit) },
      { label: "Asset", value: (e) => e.settlementAsset },
      { label: "Confirmation", value: (e) => excessRow(context, report, e) },
    ], report.excessSettlements, { empty: "No position went beyond its quota." }),
    h("p", {}, h("a", { href: "#/cycles" }, "← All cycles")));
}

/** Statements of a closed cycle: a bank's (JSON, CSV, camt.053) or a member's (JSON, CSV). */
function statementsView(context) {
  const isBank = context.me.role === "participant";
  const cycle = h("input", { type: "number", min: 1, step: 1, required: true, inputmode: "numeric", size: 6 });
  const subject = h("input", { type: "text", value: context.me.subject, required: true, size: 12, autocomplete: "off",
    readOnly: isBank });
  const shown = h("div", { "aria-live": "polite" });
  const who = () => encodeURIComponent(subject.value.trim().toUpperCase());
  const number = () => encodeURIComponent(cycle.value.trim());
  // A BIC (8 or 11 characters) names a bank's statement; a three-letter code a member's.
  const path = () => isBank || /^[A-Z0-9]{8}([A-Z0-9]{3})?$/i.test(subject.value.trim())
    ? `/v1/statements/${who()}/cycles/${number()}` : `/v1/members/${who()}/statements/${number()}`;
  const show = async () => {
    const statement = await get(path());
    replace(shown, facts([
      ["Opening", money(statement.opening, statement.currency ?? statement.unit)],
      ["Closing", money(statement.closing, statement.currency ?? statement.unit)],
      ["Reconciles", badge(statement.reconciles ? "reconciles" : "does not reconcile", statement.reconciles ? "good" : "bad")],
    ]), pagedTable([
      { label: "Time", value: (e) => timeElement(e.timestamp) }, { label: "Kind", value: (e) => e.kind },
      { label: "Reference", value: (e) => e.reference },
      { label: "Amount", numeric: true, value: (e) => money(e.amount, statement.currency ?? statement.unit) },
    ], statement.entries, { empty: "No movements in this cycle." }));
    return "Shown below.";
  };
  const name = () => `statement-${subject.value.trim()}-cycle-${cycle.value}`;
  return h("section", {}, h("h1", { tabindex: "-1" }, "Statements"),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
      field(isBank ? "Bank" : "Member (code) or bank (BIC)", subject), field("Closed cycle", cycle),
      actionButton("Show", show),
      actionButton("Download JSON", () => download(path(), `${name()}.json`, "application/json").then(() => "Saved.")),
      actionButton("Download CSV", () => download(`${path()}?format=csv`, `${name()}.csv`, "text/csv").then(() => "Saved.")),
      isBank ? actionButton("Download camt.053", () => download(`/v1/iso20022/statements/${who()}/cycles/${number()}`, `${name()}.camt053.xml`, "application/xml").then(() => "Saved.")) : null),
    shown);
}

export const cycleViews = [
  { path: "cycles", title: "Cycles", needs: "readCycles", render: cyclesView },
  { path: "cycle", title: "Cycle", inNav: false, needs: "readCycles", render: cycleView },
  { path: "statements", title: "Statements", render: statementsView },
];
