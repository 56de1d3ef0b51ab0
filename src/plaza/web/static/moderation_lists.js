// The keyword and picture hash lists (moderation_lists.html): GET /moderation/terms or
// /moderation/hashes (optionally for one policy) a page at a time, POST to add, DELETE to
// remove after a confirmation. Builds on moderation.js.
"use strict";

(async () => {
  const { api } = window.Plaza;
  const M = window.PlazaModeration;
  const { el, show } = M;
  const $ = (id) => document.getElementById(id);
  const kind = $("mod-lists").dataset.kind; // "terms" | "hashes"
  const terms = kind === "terms";
  const catalogue = await M.policies();

  function policyOptions(select) {
    for (const policy of catalogue.values()) {
      const option = el("option", "", policy.title);
      option.value = policy.id;
      select.append(option);
    }
  }

  function fillClauses() {
    const policy = catalogue.get($("add-policy").value);
    $("add-clause").replaceChildren(...(policy ? policy.clauses || [] : []).map((clause) => {
      const option = el("option", "", `${clause.number}. ${clause.text}`);
      option.value = clause.number;
      return option;
    }));
    showClause();
  }

  function showClause() {
    const number = Number($("add-clause").value);
    $("add-clause-text").textContent = number ? M.clauseText(catalogue, $("add-policy").value, number) : "";
  }

  function row(entry) {
    const tr = el("tr");
    tr.dataset.id = entry.id;
    const value = terms ? entry.term : entry.hash;
    const remove = el("button", "secondary small", "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${value}`);
    remove.addEventListener("click", () => removeEntry(tr, value));
    const cells = [
      [terms ? "Keyword" : "Hash", el(terms ? "span" : "code", terms ? "mod-term" : "mod-mono", value)],
      ["Policy", M.citation(catalogue, entry.policy_id, entry.clause)],
    ];
    if (terms) cells.push(["Kind", entry.exception ? "exception" : "match"]);
    cells.push(["Added", M.time(entry.created_at)], ["", remove]);
    for (const [label, content] of cells) {
      const td = el("td");
      if (label) td.dataset.label = label;
      td.append(content);
      tr.append(td);
    }
    return tr;
  }

  const body = $("entry-rows");
  function render(items) {
    body.append(...items.map(row));
    $("entries").hidden = !body.children.length;
  }

  function list() {
    body.replaceChildren();
    $("entries").hidden = true;
    const policy = $("filter-policy").value;
    M.paged({
      list: M.pager(`/moderation/${kind}`, policy ? { policy_id: policy } : {}),
      render,
      button: $("entries-more"),
      note: $("entries-note"),
      empty: terms ? "No keywords here yet." : "No picture hashes here yet.",
    });
  }

  async function removeEntry(tr, value) {
    const yes = await window.Plaza.confirmDialog(`Remove “${value}” from the list? It stops matching at once.`, "Remove");
    if (!yes) return;
    try {
      await api("DELETE", `/moderation/${kind}/${tr.dataset.id}`);
    } catch (error) {
      show($("entries-note"), M.messageOf(error));
      return;
    }
    tr.remove();
    $("entries").hidden = !body.children.length;
    show($("entries-note"), `Removed “${value}”.`);
  }

  $("add-entry").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("add-value");
    const value = input.value.trim();
    show($("add-done"), "");
    if (!value) {
      show($("add-error"), terms ? "Type the keyword or phrase." : "Paste the hash.");
      input.focus();
      return;
    }
    if (!terms && !/^[0-9a-fA-F]{64}$/.test(value)) {
      show($("add-error"), "A PDQ hash is 64 hexadecimal digits (0-9, a-f).");
      input.focus();
      return;
    }
    const body = { policy_id: $("add-policy").value, clause: Number($("add-clause").value) };
    if (terms) Object.assign(body, { term: value, exception: $("add-exception").checked });
    else body.hash = value.toLowerCase();
    const button = $("add-button");
    button.disabled = true;
    show($("add-error"), "");
    try {
      const entry = await api("POST", `/moderation/${kind}`, body);
      const filter = $("filter-policy").value;
      if (!filter || filter === entry.policy_id) {
        $("entry-rows").prepend(row(entry));
        $("entries").hidden = false;
        show($("entries-note"), "");
      }
      input.value = "";
      show($("add-done"), `Added “${value}”. It acts at once.`);
    } catch (error) {
      show($("add-error"), M.messageOf(error));
    } finally {
      button.disabled = false;
    }
  });

  policyOptions($("add-policy"));
  policyOptions($("filter-policy"));
  fillClauses();
  $("add-policy").addEventListener("change", fillClauses);
  $("add-clause").addEventListener("change", showClause);
  $("filter-policy").addEventListener("change", list);
  list();
})();
