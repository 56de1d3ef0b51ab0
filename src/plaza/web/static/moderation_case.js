// One case (moderation_case.html): GET /moderation/cases/{id} drawn as the facts, the content
// with what the detectors matched highlighted (the signals' evidence start/end, offsets in
// characters of the snapshot's text), the signals, the reports (never who made them), the
// actions taken; then Claim (POST .../claim), Release the claim (POST .../release: the
// claimer, or an admin for anyone's claim) and the decision form (POST .../decision),
// citing a policy and clause of GET /policies. After either, the case is asked for again.
// Builds on moderation.js.
"use strict";

(async () => {
  const { api, ApiError } = window.Plaza;
  const M = window.PlazaModeration;
  const { el, show } = M;
  const $ = (id) => document.getElementById(id);
  const root = $("mod-case");
  const caseId = Number(root.dataset.id);
  const me = root.dataset.me;
  const admin = "admin" in root.dataset;
  // What a moderator may decide, what each does, and which need a policy or a duration.
  const DECISIONS = [
    ["no_action", "Nothing here breaks a rule. Held content is shown again."],
    ["remove_content", "It disappears for everyone but its author, who sees a marker in its place."],
    ["strike", "Removes the content and counts a strike against the author."],
    ["restrict", "The author may not post moments, comments or articles for the days below."],
    ["suspend", "The person may not send or post; they can still sign in, read their notices, appeal and export their data."],
    ["close_account", "Closes the account (for a public account: the public account)."],
  ];
  const CONTENT_ONLY = new Set(["remove_content"]);
  const NOT_CONTENT = new Set(["user", "public_account"]);
  const TIMED = new Set(["restrict", "suspend"]);
  const catalogue = await M.policies();

  // ---------------------------------------------------------------- drawing

  function fact(list, name, ...value) {
    list.append(el("dt", "", name));
    const dd = el("dd");
    dd.append(...value);
    list.append(dd);
  }

  function person(p) {
    if (!p) return el("span", "hint", "unknown");
    const link = el("a", "", `${p.display_name} (@${p.username})`);
    link.href = "/u/" + encodeURIComponent(p.username);
    return link;
  }

  function drawFacts(c) {
    const list = $("case-facts");
    list.replaceChildren();
    fact(list, "Severity", M.severity(c.severity));
    fact(list, "State", c.state);
    fact(list, "Surface", `${M.surfaceName(c.surface)} ${c.ref_id}`);
    fact(list, "About", person(c.subject));
    const waited = M.time(c.opened_at, { age: true });
    const ago = waited.textContent === "just now" ? "" : " ago";
    fact(list, "Opened", M.time(c.opened_at), " (", waited, ago + ")");
    fact(list, "Opened by", c.source === "automated" ? "a detector" : c.source === "report" ? "a report" : c.source);
    fact(list, "Reports", String(c.report_count));
    fact(list, "Policies", (c.policies || []).map((id) => M.policyTitle(catalogue, id)).join(", ") || "—");
    fact(list, "Claimed by", c.claimed_by ? "@" + c.claimed_by : "nobody");
  }

  // The text with every matched span marked; overlapping spans become one mark naming all
  // the reasons. Offsets count characters (code points), as Python does.
  function highlighted(text, signals) {
    const chars = Array.from(text);
    const spans = [];
    for (const s of signals) {
      const e = s.evidence || {};
      const [start, end] = [Number(e.start), Number(e.end)];
      if (!Number.isInteger(start) || !Number.isInteger(end)) continue;
      if (start < 0 || end <= start || end > chars.length) continue;
      spans.push({ start, end, why: `${M.citation(catalogue, s.policy_id, s.clause)} (${s.detector})` });
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const merged = [];
    for (const span of spans) {
      const last = merged[merged.length - 1];
      if (last && span.start < last.end) {
        last.end = Math.max(last.end, span.end);
        if (!last.why.includes(span.why)) last.why.push(span.why);
      } else {
        merged.push({ start: span.start, end: span.end, why: [span.why] });
      }
    }
    const out = el("p", "mod-text");
    let at = 0;
    for (const span of merged) {
      out.append(chars.slice(at, span.start).join(""));
      const mark = el("mark", "", chars.slice(span.start, span.end).join(""));
      mark.title = "Matched: " + span.why.join("; ");
      out.append(mark);
      at = span.end;
    }
    out.append(chars.slice(at).join(""));
    if (!chars.length) out.append(el("span", "hint", "(no text)"));
    return out;
  }

  function pictures(ids) {
    const grid = el("div", "mod-pictures");
    ids.forEach((id, i) => {
      const link = el("a");
      link.href = `/api/v1/media/${id}`;
      link.target = "_blank";
      link.rel = "noopener";
      const img = el("img");
      img.src = `/api/v1/media/${id}/thumbnail`;
      img.alt = `Picture ${i + 1} of ${ids.length}`;
      img.loading = "lazy";
      link.append(img);
      grid.append(link);
    });
    return grid;
  }

  function drawContent(c) {
    const box = $("content");
    box.replaceChildren();
    const snap = c.snapshot;
    if (!snap) {
      box.append(el("p", "hint", "There is no copy of the content: it was gone before the case was opened."));
      return;
    }
    if (snap.title) box.append(el("h3", "mod-content-title", snap.title));
    box.append(highlighted(snap.text || "", c.signals || []));
    if (snap.media_ids && snap.media_ids.length) box.append(pictures(snap.media_ids));
    const where = el("p", "hint mod-where");
    where.append(snap.public ? "Public. " : "Private: only those it was shared with. ");
    if (snap.url) {
      const link = el("a", "", "Open it where it lives");
      link.href = snap.url;
      where.append(link);
    }
    box.append(where);
    if (snap.context && Object.keys(snap.context).length) {
      const around = el("section", "mod-context");
      around.setAttribute("aria-label", "Around it");
      around.append(el("h3", "", "Around it"), M.facts(snap.context));
      box.append(around);
    }
  }

  function evidence(signal) {
    const e = { ...(signal.evidence || {}) };
    const node = el("div");
    if (Number.isInteger(e.start) && Number.isInteger(e.end)) {
      node.append(el("p", "mod-span", `characters ${e.start + 1}–${e.end}`));
      delete e.start;
      delete e.end;
    }
    if (Object.keys(e).length) node.append(M.facts(e));
    return node;
  }

  function drawSignals(c) {
    const rows = $("signal-rows");
    const signals = c.signals || [];
    rows.replaceChildren(...signals.map((s) => {
      const tr = el("tr");
      const score = typeof s.score === "number" ? `${Math.round(s.score * 100)}%` : String(s.score);
      const cells = [
        ["Detector", s.detector], ["Policy", M.citation(catalogue, s.policy_id, s.clause)],
        ["Score", score], ["Evidence", evidence(s)],
      ];
      for (const [label, value] of cells) {
        const td = el("td");
        td.dataset.label = label;
        td.append(value);
        tr.append(td);
      }
      return tr;
    }));
    $("signals").hidden = !signals.length;
    $("no-signals").hidden = Boolean(signals.length);
  }

  function drawReports(c) {
    const reports = c.reports || [];
    $("reports").replaceChildren(...reports.map((r) => {
      const li = el("li");
      const head = el("p", "mod-item-head");
      head.append(el("strong", "", M.policyTitle(catalogue, r.policy_id)), " · ", M.time(r.created_at));
      li.append(head);
      li.append(r.details ? el("p", "mod-quote", r.details) : el("p", "hint", "No details given."));
      return li;
    }));
    $("no-reports").hidden = Boolean(reports.length);
  }

  function drawActions(c) {
    const actions = c.actions || [];
    $("actions").replaceChildren(...actions.map((a) => {
      const li = el("li");
      const head = el("p", "mod-item-head");
      head.append(el("strong", "", M.actionName(a.action)));
      const cited = M.citation(catalogue, a.policy_id, a.clause);
      if (cited) head.append(" · " + cited);
      head.append(" · ", M.time(a.created_at));
      li.append(head);
      if (a.ends_at) {
        const until = el("p", "hint", "Until ");
        until.append(M.time(a.ends_at));
        li.append(until);
      }
      if (a.explanation) li.append(el("p", "mod-quote", a.explanation));
      return li;
    }));
    $("no-actions").hidden = Boolean(actions.length);
  }

  function drawDecisionState(c) {
    const claim = $("claim");
    const form = $("decision-form");
    const mine = c.state === "claimed" && c.claimed_by === me;
    claim.hidden = c.state !== "open";
    claim.disabled = false;
    const release = $("release");
    release.hidden = !(mine || (admin && c.state === "claimed"));
    release.disabled = false;
    if (c.state === "open") show($("claim-note"), "Nobody has claimed it. Claim it to decide it.");
    else if (mine) show($("claim-note"), "You claimed this case.");
    else if (c.state === "claimed") show($("claim-note"), `@${c.claimed_by} claimed this case.`);
    else show($("claim-note"), "This case is closed.");
    form.hidden = !mine;
    if (c.state === "closed") {
      const last = (c.actions || [])[c.actions.length - 1];
      show($("decide-note"), last ? `Decided: ${M.actionName(last.action)}. The case is closed.` : "The case is closed.");
    } else if (!mine) {
      show($("decide-note"), c.state === "open" ? "Claim the case first." : "Only the moderator who claimed it decides it.");
    } else {
      show($("decide-note"), "");
    }
  }

  function draw(c) {
    drawFacts(c);
    drawContent(c);
    drawSignals(c);
    drawReports(c);
    drawActions(c);
    drawDecisionState(c);
    prepareForm(c);
    show($("case-note"), "");
    $("case-body").hidden = false;
  }

  async function load() {
    try {
      draw(await api("GET", `/moderation/cases/${caseId}`));
    } catch (error) {
      const gone = error instanceof ApiError && error.status === 404;
      show($("case-note"), gone ? "There is no such case." : M.messageOf(error));
    }
  }

  // ---------------------------------------------------------------- claiming

  // Claim or release: the case as it stands afterwards is drawn; a 409 (someone else was
  // quicker) says why and draws the case again.
  async function claimStep(id, verb, then) {
    const button = $(id);
    button.disabled = true;
    show($("claim-error"), "");
    try {
      draw(await api("POST", `/moderation/cases/${caseId}/${verb}`));
      then();
    } catch (error) {
      button.disabled = false;
      show($("claim-error"), M.messageOf(error));
      if (error instanceof ApiError && error.status === 409) load();
    }
  }

  $("claim").addEventListener("click", () => claimStep("claim", "claim", () => {
    const first = document.querySelector('#decision-actions input:checked');
    if (first) first.focus();
  }));
  $("release").addEventListener("click", () => claimStep("release", "release", () => $("claim").focus()));

  // ---------------------------------------------------------------- the decision form

  let prepared = false;

  function chosenAction() {
    const picked = document.querySelector('#decision-actions input[name="action"]:checked');
    return picked ? picked.value : "";
  }

  function fillClauses() {
    const policy = catalogue.get($("decision-policy").value);
    const select = $("decision-clause");
    select.replaceChildren(...(policy ? policy.clauses || [] : []).map((clause) => {
      const option = el("option", "", `${clause.number}. ${clause.text}`);
      option.value = clause.number;
      return option;
    }));
    select.disabled = !policy;
    showClause();
  }

  function showClause() {
    const policy = $("decision-policy").value;
    const number = Number($("decision-clause").value);
    $("clause-text").textContent = policy && number ? M.clauseText(catalogue, policy, number) : "";
  }

  function fitForm() {
    const action = chosenAction();
    $("cite").hidden = action === "no_action";
    $("duration-row").hidden = !TIMED.has(action);
    $("duration-hint").textContent = action === "suspend"
      ? "From 1 to 3650 days; leave it empty to suspend until reinstated."
      : "From 1 to 3650 days.";
  }

  function countExplanation() {
    const box = $("decision-explanation");
    $("explanation-count").textContent = `${box.value.length} / ${box.maxLength}`;
  }

  function prepareForm(c) {
    if (prepared) return;
    prepared = true;
    const fieldset = $("decision-actions");
    for (const [value, about] of DECISIONS) {
      if (CONTENT_ONLY.has(value) && NOT_CONTENT.has(c.surface)) continue;
      const row = el("div", "mod-choice");
      const input = el("input");
      input.type = "radio";
      input.name = "action";
      input.value = value;
      input.id = "action-" + value;
      input.setAttribute("aria-describedby", `action-${value}-about`);
      const label = el("label", "", M.actionName(value));
      label.htmlFor = input.id;
      const note = el("p", "hint", about);
      note.id = `action-${value}-about`;
      const text = el("div");
      text.append(label, note);
      row.append(input, text);
      fieldset.append(row);
    }
    const preferred = NOT_CONTENT.has(c.surface) ? "no_action" : "remove_content";
    (fieldset.querySelector(`input[value="${preferred}"]`) || fieldset.querySelector("input")).checked = true;
    const select = $("decision-policy");
    const placeholder = el("option", "", "Choose a policy");
    placeholder.value = "";
    // The policies this case cites come first.
    const cited = (c.policies || []).filter((id) => catalogue.has(id));
    const rest = [...catalogue.keys()].filter((id) => !cited.includes(id));
    select.replaceChildren(placeholder, ...[...cited, ...rest].map((id) => {
      const option = el("option", "", catalogue.get(id).title);
      option.value = id;
      return option;
    }));
    if (cited.length) select.value = cited[0];
    fillClauses();
    fitForm();
    countExplanation();
    fieldset.addEventListener("change", fitForm);
    select.addEventListener("change", fillClauses);
    $("decision-clause").addEventListener("change", showClause);
    $("decision-explanation").addEventListener("input", countExplanation);
  }

  function refuse(text, field) {
    show($("decision-error"), text);
    if (field) $(field).focus();
  }

  $("decision-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = chosenAction();
    const explanation = $("decision-explanation").value.trim();
    const body = { action, explanation };
    if (action !== "no_action") {
      body.policy_id = $("decision-policy").value;
      body.clause = Number($("decision-clause").value);
      if (!body.policy_id) return refuse("Choose the policy it breaks.", "decision-policy");
      if (!body.clause) return refuse("Choose the clause it breaks.", "decision-clause");
      if (!explanation) return refuse("Write the author an explanation.", "decision-explanation");
    }
    if (TIMED.has(action)) {
      const raw = $("decision-duration").value.trim();
      const days = Number(raw);
      if (raw && !(Number.isInteger(days) && days >= 1 && days <= 3650)) {
        return refuse("A duration is a whole number of days from 1 to 3650.", "decision-duration");
      }
      if (!raw && action === "restrict") {
        return refuse("Say for how many days publishing is restricted.", "decision-duration");
      }
      if (raw) body.duration_days = days;
    }
    const button = $("decide-button");
    button.disabled = true;
    show($("decision-error"), "");
    try {
      const answer = await api("POST", `/moderation/cases/${caseId}/decision`, body);
      await load();
      show($("decide-note"), `Decided: ${M.actionName(answer.action.action)}. The case is closed.`);
      $("decide-note").focus();
    } catch (error) {
      refuse(M.messageOf(error));
      if (error instanceof ApiError && error.status === 409) load();
    } finally {
      button.disabled = false;
    }
  });

  load();
})();
