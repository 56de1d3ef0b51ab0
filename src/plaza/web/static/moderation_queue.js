// The moderation queue (moderation_queue.html): GET /moderation/cases?state=..., most severe
// first, then oldest first, as the API orders it; a row per case, its content's first words
// linking to the case. Builds on moderation.js.
"use strict";

(async () => {
  const M = window.PlazaModeration;
  const { el } = M;
  const $ = (id) => document.getElementById(id);
  const root = $("mod-queue");
  const state = root.dataset.state;
  const EMPTY = {
    open: "No open cases. Nothing waits for a moderator.",
    claimed: "No case is claimed just now.",
    closed: "No closed cases yet.",
    all: "No cases yet.",
  };
  const catalogue = await M.policies();

  function cell(label, ...content) {
    const td = el("td");
    td.dataset.label = label;
    td.append(...content);
    return td;
  }

  function row(c) {
    const tr = el("tr");
    tr.dataset.id = c.id;
    const link = el("a", "mod-case-link");
    link.href = `/moderation/cases/${c.id}`;
    link.append(el("span", "mod-case-id", `Case ${c.id}`), " ",
      el("span", "mod-excerpt", c.excerpt ? `“${c.excerpt}”` : "(no text)"));
    const about = el("p", "mod-about");
    if (c.subject) about.append(el("span", "", `${c.subject.display_name} (@${c.subject.username})`));
    if (c.policies && c.policies.length) {
      if (c.subject) about.append(" · ");
      about.append(c.policies.map((id) => M.policyTitle(catalogue, id)).join(", "));
    }
    const content = el("div");
    content.append(link, about);
    const reports = c.report_count
      ? String(c.report_count)
      : c.source === "automated" ? "0 · detected" : "0";
    tr.append(
      cell("Severity", M.severity(c.severity)),
      cell("Age", M.time(c.opened_at, { age: true })),
      cell("Surface", M.surfaceName(c.surface)),
      cell("Content", content),
      cell("Reports", reports),
      cell("Claimed by", c.claimed_by ? "@" + c.claimed_by : el("span", "hint", "nobody")),
    );
    return tr;
  }

  const body = $("case-rows");
  M.paged({
    list: M.pager("/moderation/cases", { state }),
    render(items) {
      body.append(...items.map(row));
      $("cases").hidden = !body.children.length;
    },
    button: $("cases-more"),
    note: $("cases-note"),
    empty: EMPTY[state] || EMPTY.all,
  });
})();
