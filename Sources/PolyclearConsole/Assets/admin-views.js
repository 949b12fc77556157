// Running and governing the union: approvals for a second operator, proposals and votes, the
// audit trail, and API keys.
import { get, post, query, remove } from "./api.js";
import { actionButton, badge, errorBox, facts, field, h, pagedTable, pager, replace, table } from "./dom.js";
import { money, timeElement, words } from "./format.js";

async function approvalsView(context) {
  const approvals = await get("/v1/approvals");
  return h("section", {}, h("h1", { tabindex: "-1" }, "Approvals"),
    h("p", { class: "hint" }, "Changes one operator made that wait for a second (maker–checker). The maker cannot decide its own."),
    pagedTable([
      { label: "#", numeric: true, value: (a) => String(a.number) },
      { label: "Change", value: (a) => a.summary },
      { label: "Maker", value: (a) => a.maker },
      { label: "Requested", value: (a) => timeElement(a.requestedAt) },
      { label: "Status", value: (a) => badge(a.status) },
      { label: "Decision", value: (a) => a.status !== "pending" || !context.may("decideApproval")
        ? (a.checker ? `by ${a.checker}${a.outcome ? `: ${a.outcome}` : ""}` : "—")
        // The maker cannot decide its own change: only another operator is offered the buttons.
        : a.maker === context.me.subject ? "waiting for another operator"
        : h("span", {},
          actionButton("Approve", async () => { const d = await post(`/v1/approvals/${a.number}/approve`); return context.done(`Approval #${a.number}: ${words(d.status)}.`); }),
          actionButton("Decline", async () => { const d = await post(`/v1/approvals/${a.number}/decline`); return context.done(`Approval #${a.number}: ${words(d.status)}.`); }, { kind: "danger" })) },
    ], approvals, { empty: "No approvals." }));
}

function describeChange(change, unit) {
  switch (change.kind) {
    case "set_quota": return `Set ${change.member}'s quota to ${money(change.quota, unit)}`;
    case "set_member_status": return `Set ${change.member} ${change.status}`;
    case "admit_member": return `Admit ${change.newMember?.name} (${change.newMember?.id}, ${change.newMember?.currency})`;
    case "define_unit": return `Define the unit's basket: ${Object.entries(change.basket ?? {}).map(([c, a]) => `${a} ${c}`).join(", ")}`;
    default: return words(change.kind);
  }
}

function voteCell(context, proposal, rules) {
  const own = context.me.member ? proposal.votes?.[context.me.member] : undefined;
  if (own) return h("span", {}, "You voted ", badge(own, own === "yes" ? "good" : own === "no" ? "bad" : "info"));
  if (proposal.status !== "open" || !context.may("vote")) return "—";
  if (rules?.subjectExcludedFromVote && proposal.change.member === context.me.member) {
    return "Not yours to vote: the proposal is about you";
  }
  return h("span", { class: "vote" }, ["yes", "no", "abstain"].map((choice) =>
    actionButton(`Vote ${choice}`, async () => {
      const after = await post(`/v1/proposals/${proposal.number}/votes`, { vote: choice });
      return context.done(`Voted ${choice} on proposal #${proposal.number}; it is ${words(after.status)}.`);
    })));
}

function proposeForm(context, members, unit) {
  const member = h("select", {}, members.map((m) => h("option", { value: m.id }, `${m.id} — ${m.name}`)));
  const quota = h("input", { type: "text", inputmode: "decimal", required: true, autocomplete: "off" });
  const seconds = h("input", { type: "number", min: 1, step: 1, value: 86400, required: true });
  return h("form", { class: "filters", onsubmit: (e) => e.preventDefault() },
    field("Member", member), field(`New quota (${unit})`, quota), field("Voting time (seconds)", seconds),
    actionButton("Propose", async () => {
      const proposal = await post("/v1/proposals", {
        change: { kind: "set_quota", member: member.value, quota: quota.value.trim() }, votingSeconds: Number(seconds.value),
      });
      return context.done(`Proposal #${proposal.number} is ${words(proposal.status)}.`);
    }));
}

/** Whether the union's rules let this caller propose (the operator may be left out). */
function mayPropose(context, rules) {
  // Without governance rules there are no proposals to make (the operator decides alone).
  if (!context.may("propose") || !rules) return false;
  const proposers = rules.proposers;
  return proposers === "members_and_operator" || (proposers === "members") === (context.me.role === "member");
}

async function proposalsView(context) {
  const [proposals, members, unit, settings] = await Promise.all([
    get("/v1/proposals"), get("/v1/members"), get("/v1/unit"), get("/v1/settings"),
  ]);
  const rules = settings.governance;
  context.onEvent((kind, event) => { if (kind === "audit" && /propos|vote/.test(event?.audit?.action ?? "")) context.rerender(); });
  return h("section", {}, h("h1", { tabindex: "-1" }, "Governance"),
    h("p", { class: "hint" }, "Members vote on rule changes, weighted by quota."),
    pagedTable([
      { label: "#", numeric: true, value: (p) => String(p.number) },
      { label: "Change", value: (p) => describeChange(p.change, unit.code) },
      { label: "Proposed by", value: (p) => p.proposer },
      { label: "Voting ends", value: (p) => timeElement(p.deadline) },
      { label: "Tally", value: (p) => `${p.tally.yesMembers} yes (${money(p.tally.yesQuota, unit.code)} of ${money(p.tally.eligibleQuota, unit.code)} quota), ${p.tally.noMembers} no, ${p.tally.abstainMembers} abstain; ${p.tally.eligibleMembers} may vote` },
      { label: "Status", value: (p) => h("span", {}, badge(p.status), p.outcome ? ` ${p.outcome}` : "") },
      { label: context.me.role === "member" ? "Your vote" : "Votes", value: (p) => context.me.role === "member" ? voteCell(context, p, rules) : Object.entries(p.votes ?? {}).map(([m, v]) => `${m} ${v}`).join(", ") || "—" },
    ], proposals.slice().reverse(), { empty: "No proposals yet." }),
    mayPropose(context, rules) ? h("section", {}, h("h2", {}, "Propose a quota change"), proposeForm(context, members, unit.code)) : null);
}

async function auditView(context) {
  const actor = h("input", { type: "text", placeholder: "e.g. operator:ops, member:BRA", maxlength: 80, autocomplete: "off" });
  const action = h("input", { type: "text", placeholder: "e.g. release_held_payment", maxlength: 80, autocomplete: "off" });
  const results = h("div", {});
  const starts = [0];
  const draw = async () => {
    let page;
    try {
      page = await get(`/v1/audit${query({ after: starts[starts.length - 1], limit: 25, actor: actor.value.trim(), action: action.value.trim() })}`);
    } catch (error) {
      return replace(results, errorBox(error));
    }
    if (!context.isCurrent()) return;
    replace(results, table([
      { label: "Time", value: (r) => timeElement(r.time) }, { label: "Actor", value: (r) => r.actor },
      { label: "Action", value: (r) => r.action }, { label: "Subject", value: (r) => r.subject },
      { label: "Outcome", value: (r) => badge(r.outcome) },
    ], page.records, { empty: "No records match on this page." }), pager({
      label: "Audit pages", hasPrevious: starts.length > 1, hasNext: page.next !== undefined,
      onPrevious: () => { starts.pop(); draw(); }, onNext: () => { starts.push(page.next); draw(); },
    }));
  };
  await draw();
  return h("section", {}, h("h1", { tabindex: "-1" }, "Audit trail"),
    h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); starts.splice(1); draw(); } },
      field("Actor", actor), field("Action", action), h("button", { type: "submit" }, "Filter")),
    results);
}

async function keysView(context) {
  const keys = await get("/v1/api-keys");
  const holder = h("input", { type: "text", required: true, placeholder: context.me.role === "member" ? "participant:BIC" : "member:ISO3 or participant:BIC", autocomplete: "off" });
  // The new key is shown once, above the refreshed list, until this view is left.
  const showSecret = (issued) => {
    context.announce(h("div", { class: "secret" },
      h("p", {}, h("strong", {}, "Copy this key now: "), "the hub keeps only its digest and cannot show it again."),
      facts([["Holder", issued.holder], ["Key", h("code", {}, issued.secret)]])));
    context.rerender();
  };
  return h("section", {}, h("h1", { tabindex: "-1" }, "API keys"),
    h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, field("Holder", holder),
      actionButton("Issue a key", async () => { showSecret(await post("/v1/api-keys", { holder: holder.value.trim() })); return "Issued."; })),
    pagedTable([
      { label: "Holder", value: (k) => k.holder }, { label: "Issued by", value: (k) => k.issuedBy },
      { label: "Issued", value: (k) => timeElement(k.issuedAt) },
      { label: "State", value: (k) => badge(k.valid ? "valid" : k.revokedAt ? "revoked" : "expired", k.valid ? "good" : "bad") },
      { label: "Actions", value: (k) => k.valid ? h("span", {},
        actionButton("Rotate (old key valid one more hour)", async () => {
          showSecret(await post(`/v1/api-keys/${encodeURIComponent(k.id)}/rotate`, { overlapSeconds: 3600 }));
          return "Rotated.";
        }),
        actionButton("Revoke", async () => { await remove(`/v1/api-keys/${encodeURIComponent(k.id)}`); return context.done(`The key of ${k.holder} is revoked.`); }, { kind: "danger" })) : "—" },
    ], keys, { empty: "No keys issued through the hub yet." }));
}

export const adminViews = [
  { path: "approvals", title: "Approvals", needs: "readApprovals", render: approvalsView },
  { path: "governance", title: "Governance", needs: "readProposals", render: proposalsView },
  { path: "audit", title: "Audit trail", needs: "readAuditTrail", render: auditView },
  { path: "keys", title: "API keys", needs: "manageAPIKeys", render: keysView },
];
