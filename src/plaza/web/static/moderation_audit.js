// The audit log (moderation_audit.html, admins only): GET /moderation/audit, a page at a
// time. Builds on moderation.js.
"use strict";

(() => {
  const M = window.PlazaModeration;
  const { el } = M;
  const $ = (id) => document.getElementById(id);

  // What a step carried, without the blanks (no policy for "no action", no duration...).
  const given = (details) =>
    Object.fromEntries(Object.entries(details || {}).filter(([, v]) => v !== null && v !== ""));

  function row(entry) {
    const tr = el("tr");
    const cells = [
      ["When", M.time(entry.created_at)],
      ["Who", entry.actor ? "@" + entry.actor : "Plaza"],
      ["What", el("code", "", entry.verb)],
      ["On", entry.target],
      ["Details", M.facts(given(entry.details))],
    ];
    for (const [label, value] of cells) {
      const td = el("td");
      td.dataset.label = label;
      td.append(value);
      tr.append(td);
    }
    return tr;
  }

  const body = $("audit-rows");
  M.paged({
    list: M.pager("/moderation/audit", {}),
    render(items) {
      body.append(...items.map(row));
      $("audit").hidden = !body.children.length;
    },
    button: $("audit-more"),
    note: $("audit-note"),
    empty: "Nothing has been done yet.",
  });
})();
