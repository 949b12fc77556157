// The union as a whole: the overview (members' union positions against quota, live), the banks
// and their positions, the queue, and the node's status.
import { get, patch } from "./api.js";
import { actionButton, badge, facts, field, h, pagedTable, replace, svg } from "./dom.js";
import { groupDigits, isNegative, money, percentOf, timeElement, words } from "./format.js";

/** Calls `refresh` at most every `milliseconds` while events arrive (a burst is one refresh). */
export function throttled(refresh, milliseconds = 700) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      try {
        await refresh();
      } catch (error) {
        console.warn("refresh failed", error?.message); // the next event or poll tries again
      }
    }, milliseconds);
  };
}

/** A change that may wait for a second operator (202 with an approval) says so. */
export function changeOutcome(answer, done) {
  if (answer && answer.maker && answer.action && answer.status === "pending") {
    return `Waiting for a second operator: approval #${answer.number}.`;
  }
  return done;
}

/** A horizontal gauge of a share of quota, thresholds marked; the number is always written too. */
function gauge(percent, thresholds) {
  const shown = Math.max(0, Math.min(percent, 100));
  const tone = thresholds.length && percent >= Math.max(...thresholds) ? "bad" : thresholds.some((t) => percent >= t) ? "warn" : "good";
  return h("span", { class: "gauge-cell" },
    svg("svg", { class: "gauge", viewBox: "0 0 100 10", width: "100", height: "10", "aria-hidden": "true" },
      svg("rect", { x: 0, y: 0, width: 100, height: 10, class: "gauge-track" }),
      svg("rect", { x: 0, y: 0, width: shown, height: 10, class: `gauge-fill ${tone}` }),
      thresholds.map((t) => svg("line", { x1: t, x2: t, y1: 0, y2: 10, class: "gauge-mark" }))),
    ` ${percent}%`);
}

async function overviewParts(context) {
  const [overview, settings, fixing] = await Promise.all([
    get("/v1/union/overview"),
    context.may("readSettings") ? get("/v1/settings") : null,
    get("/v1/fixings/current").catch(() => null),
  ]);
  return { overview, thresholds: settings?.alarmThresholdsPercent ?? [], fixing };
}

function overviewTable(overview, thresholds, me) {
  return pagedTable([
    { label: "Member", value: (row) => h("span", {}, h("strong", {}, row.member), " ", row.name) },
    { label: "Status", value: (row) => badge(row.status) },
    { label: "Quota", numeric: true, value: (row) => money(row.quota, overview.unit) },
    { label: "Union position", numeric: true, value: (row) => h("span", { class: isNegative(row.position) ? "debit" : "credit" }, money(row.position, overview.unit)) },
    { label: "Debit use of quota", value: (row) => gauge(row.utilisationPercent, thresholds) },
  ], overview.members, { caption: me.role === "member" ? `Every member; yours is ${me.member}` : "Every member", empty: "No members yet." });
}

/** The member's union position at the close of each recent cycle and now, against its quota. */
async function positionHistory(context, overview) {
  const own = overview.members.find((row) => row.member === context.me.member);
  if (!own || !context.may("readCycles")) return null;
  const cycles = (await get("/v1/cycles")).filter((cycle) => cycle.state !== "open").slice(-12);
  const reports = await Promise.all(cycles.map((cycle) => get(`/v1/cycles/${cycle.number}`).catch(() => null)));
  const points = reports.filter(Boolean).map((report) => ({
    label: `cycle ${report.number}`,
    percent: percentOf(report.members?.find((m) => m.id === own.member)?.closingUnionPosition ?? "0", own.quota),
  }));
  points.push({ label: "now", percent: percentOf(own.position, own.quota) });
  return positionChart(points, own, overview.unit);
}

function positionChart(points, own, unit) {
  const width = 600, height = 220, pad = 36;
  const x = (i) => pad + (points.length === 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (percent) => height / 2 - (Math.max(-100, Math.min(100, percent)) * (height / 2 - 16)) / 100;
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.percent).toFixed(1)}`).join(" ");
  return h("figure", { class: "chart" },
    svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "position-chart-caption" },
      [100, 0, -100].map((level) => [
        svg("line", { x1: pad, x2: width - pad, y1: y(level), y2: y(level), class: level === 0 ? "axis" : "quota-line" }),
        svg("text", { x: 2, y: y(level) + 4, class: "chart-label" }, level === 0 ? "0" : `${level > 0 ? "+" : "−"}quota`),
      ]),
      svg("path", { d: path, class: "line" }),
      points.map((p, i) => svg("circle", { cx: x(i), cy: y(p.percent), r: 4, class: "point" },
        svg("title", {}, `${p.label}: ${p.percent}% of quota`)))),
    h("figcaption", { id: "position-chart-caption" },
      `${own.member}'s union position as a share of its quota (${money(own.quota, unit)}), at the close of recent cycles and now: `,
      points.map((p) => `${p.label} ${p.percent}%`).join(", "), "."));
}

async function overviewView(context) {
  const alarms = h("ul", { class: "alarms", "aria-live": "polite" });
  const live = h("div", {});
  const history = h("div", {});
  // The history reads closed cycles' reports: again only when a cycle closes or settles.
  let historyStale = true;
  const draw = async () => {
    const { overview, thresholds, fixing } = await overviewParts(context);
    if (!context.isCurrent()) return;
    replace(live,
      facts([
        ["Unit of account", overview.unit],
        ["Fixing in force", fixing ? `version ${fixing.version} (rates of ${fixing.sourceDate})` : "none yet"],
        ["Open cycle", String(overview.openCycle)],
        ["Alarm thresholds", thresholds.length ? thresholds.map((t) => `${t}%`).join(", ") : "—"],
      ]),
      overviewTable(overview, thresholds, context.me));
    if (context.me.role === "member" && historyStale) {
      historyStale = false;
      replace(history, await positionHistory(context, overview));
    }
  };
  await draw();
  const refresh = throttled(draw);
  context.onEvent((kind, event) => {
    if (["utilisation_alarm", "settlement_deadline_missed", "persistent_imbalance", "excess_settlement_overdue"].includes(kind)) {
      alarms.prepend(h("li", {}, badge(words(kind), "bad"), " ", timeElement(event.timestamp), " ",
        event.subject ?? "", event.thresholdPercent ? ` at ${event.thresholdPercent}% of its limit` : "",
        event.cycle ? ` (cycle ${event.cycle})` : ""));
    }
    if (kind.startsWith("cycle_")) historyStale = true;
    refresh();
  });
  // Events reach a member only for its own banks: a slow poll keeps the other rows current.
  const poll = () => setTimeout(async () => {
    if (!context.isCurrent()) return;
    await draw().catch(() => {});
    poll();
  }, 15_000);
  poll();
  return h("section", {},
    h("h1", { tabindex: "-1" }, "Union overview"),
    h("p", { class: "hint" }, "Live: positions move as payments are booked, without reloading."),
    context.me.role === "member" ? h("section", {}, h("h2", {}, "Your union position over time"), history) : null,
    live,
    h("section", {}, h("h2", {}, "Alarms as they happen"), alarms,
      h("p", { class: "hint" }, "Alarms raised while this page is open appear here.")));
}

function participantActions(context, row) {
  if (!context.may("updateParticipant")) return "—";
  const capInput = h("input", { type: "text", inputmode: "decimal", value: row.netDebitCap, size: 14, autocomplete: "off" });
  const suspended = row.status === "suspended";
  return h("details", { class: "row-actions" }, h("summary", {}, `Change ${row.bic}`),
    h("form", { class: "inline", onsubmit: (e) => e.preventDefault() },
      field(`New cap for ${row.bic} (${row.currency})`, capInput),
      actionButton("Set cap", async () => {
        const answer = await patch(`/v1/participants/${encodeURIComponent(row.bic)}`, { netDebitCap: capInput.value.trim() });
        return context.done(changeOutcome(answer, `${row.bic}'s cap is ${money(answer.netDebitCap ?? capInput.value, row.currency)}.`));
      })),
    actionButton(suspended ? "Reactivate" : "Suspend", async () => {
      const answer = await patch(`/v1/participants/${encodeURIComponent(row.bic)}`, { status: suspended ? "active" : "suspended" });
      return context.done(changeOutcome(answer, `${row.bic} is ${answer.status ?? "changed"}.`));
    }, { kind: suspended ? "" : "danger" }));
}

/** How much of its cap a bank in debit uses (a zero cap in debit is over it). */
function capUse(row) {
  if (!row.position || !isNegative(row.position.amount)) return "0%";
  if (!/[1-9]/.test(row.netDebitCap)) return badge("over its zero cap", "bad");
  return gauge(-percentOf(row.position.amount, row.netDebitCap), []);
}

async function participantsView(context) {
  const [participants, positions] = await Promise.all([get("/v1/participants"), get("/v1/positions")]);
  const positionOf = new Map(positions.filter((p) => p.kind === "participant").map((p) => [p.holder, p]));
  const rows = participants.map((row) => ({ ...row, position: positionOf.get(row.bic) }));
  return h("section", {},
    h("h1", { tabindex: "-1" }, context.me.role === "participant" ? "Your position and cap" : "Banks"),
    pagedTable([
      { label: "Bank", value: (row) => h("span", {}, h("strong", {}, row.bic), " ", row.name) },
      { label: "Member", value: (row) => row.member },
      { label: "Status", value: (row) => badge(row.status) },
      { label: "Position", numeric: true, value: (row) => row.position ? h("span", { class: isNegative(row.position.amount) ? "debit" : "credit" }, money(row.position.amount, row.currency)) : "—" },
      { label: "Net debit cap", numeric: true, value: (row) => money(row.netDebitCap, row.currency) },
      { label: "Cap used", value: capUse },
      { label: "Actions", value: (row) => participantActions(context, row) },
    ], rows, { empty: "No banks visible to this key.", pagerLabel: "Bank pages" }));
}

async function queueView(context) {
  const ids = await get("/v1/queue");
  context.onEvent(throttled(() => context.rerender(), 2000));
  return h("section", {}, h("h1", { tabindex: "-1" }, "Queue"),
    h("p", { class: "hint" }, `${groupDigits(String(ids.length))} payments wait for liquidity, oldest first.`),
    pagedTable([{ label: "Queued payment", value: (id) => h("a", { href: `#/payment/${id}` }, id) }], ids,
      { empty: "The queue is empty: every payment fitted its limits.", pagerLabel: "Queue pages" }));
}

async function nodeView() {
  const [node, ready] = await Promise.all([
    get("/v1/node"),
    fetch("/readyz", { cache: "no-store" }).then((r) => r.ok).catch(() => false),
  ]);
  return h("section", {}, h("h1", { tabindex: "-1" }, "Node and cluster"),
    facts([
      ["This node", badge(node.role, "info")],
      ["Ready", badge(ready ? "ready" : "not ready", ready ? "good" : "bad")],
      ["Node id", node.nodeId], ["Writer", node.writer],
      ["Last log row replayed", node.appliedSequence === undefined ? undefined : String(node.appliedSequence)],
    ]));
}

export const unionViews = [
  { path: "overview", title: "Overview", needs: "readUnionOverview", render: overviewView },
  { path: "banks", title: (me) => (me.role === "participant" ? "Position and cap" : "Banks"), render: participantsView },
  { path: "queue", title: "Queue", render: queueView },
  { path: "node", title: "Node", needs: "readNodeStatus", render: nodeView },
];
