// The audit log (moderation_audit.html, admins only): GET /moderation/audit, a page at a
// time, with the page's filters (its address's query, which the form submits): the dates are
// whole days in the browser's time zone, "to" included. A filter the API refuses (an unknown
// username) is said in the note. Builds on moderation.js.
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

  // Midnight at the start of a yyyy-mm-dd day, here, as an instant; `days` later.
  function dayStart(value, days) {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d + days).toISOString();
  }

  function filters() {
    const given = new URLSearchParams(window.location.search);
    const params = {};
    for (const name of ["verb", "actor", "target"]) {
      const value = (given.get(name) || "").trim();
      if (value) params[name] = value;
    }
    const day = /^\d{4}-\d{2}-\d{2}$/;
    if (day.test(given.get("from") || "")) params.from = dayStart(given.get("from"), 0);
    if (day.test(given.get("to") || "")) params.to = dayStart(given.get("to"), 1);
    return params;
  }

  const params = filters();
  const body = $("audit-rows");
  M.paged({
    list: M.pager("/moderation/audit", params),
    render(items) {
      body.append(...items.map(row));
      $("audit").hidden = !body.children.length;
    },
    button: $("audit-more"),
    note: $("audit-note"),
    empty: Object.keys(params).length ? "No entry matches these filters." : "Nothing has been done yet.",
  });
})();
