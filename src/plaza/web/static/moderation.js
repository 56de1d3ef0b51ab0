// What the moderator console's pages share (moderation/templates/moderation_*.html): DOM
// helpers, times and ages, severities and surfaces in words, the policy catalogue by id,
// paging through `{items, next_cursor}` lists, and the API's refusals in words. Each page's
// own script (moderation_queue.js, moderation_case.js, moderation_audit.js,
// moderation_lists.js) builds on it. Builds on plaza.js and report.js (the catalogue loader).
// User text is only ever put into the page with textContent, never as HTML.
"use strict";

window.PlazaModeration = (() => {
  const { api, ApiError } = window.Plaza;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function show(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  const SEVERITIES = { 1: "Low", 2: "Medium", 3: "High", 4: "Critical" };
  const SURFACES = {
    message: "Message", moment: "Moment", comment: "Comment", article: "Article",
    profile: "Profile", public_account: "Public account", image: "Picture", user: "Person",
  };
  const ACTIONS = {
    no_action: "No action", hold: "Held for review", remove_content: "Remove the content",
    strike: "Strike", restrict: "Restrict publishing", suspend: "Suspend",
    close_account: "Close the account",
  };

  const surfaceName = (surface) => SURFACES[surface] || surface;
  const actionName = (action) => ACTIONS[action] || action;

  function severity(level) {
    const node = el("span", `mod-sev mod-sev-${Number(level) || 1}`);
    node.append(el("span", "mod-sev-level", level), " " + (SEVERITIES[level] || ""));
    return node;
  }

  // "12 min", "3 h", "2 d": how long something has waited.
  function ageText(date) {
    const minutes = Math.max(0, Math.floor((Date.now() - date.getTime()) / 60000));
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours} h`;
    return `${Math.floor(hours / 24)} d`;
  }

  function time(iso, { age = false } = {}) {
    const node = el("time");
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return el("span", "hint", "—");
    node.dateTime = iso;
    node.title = date.toLocaleString();
    node.textContent = age
      ? ageText(date)
      : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    return node;
  }

  function messageOf(error) {
    if (error instanceof ApiError) return error.message;
    return "Plaza cannot be reached; check the connection and try again.";
  }

  // The catalogue as a Map id -> policy; empty when it cannot be had (ids are shown then).
  async function policies() {
    try {
      return new Map((await window.PlazaPolicies.load()).map((p) => [p.id, p]));
    } catch (_) {
      return new Map();
    }
  }

  const policyTitle = (catalogue, id) => (catalogue.get(id) || { title: id }).title;

  function clauseText(catalogue, policyId, number) {
    const policy = catalogue.get(policyId);
    const clause = policy && (policy.clauses || []).find((c) => c.number === number);
    return clause ? clause.text : "";
  }

  // "Spam and scams, clause 2": what an action or a signal cites.
  function citation(catalogue, policyId, clause) {
    if (!policyId) return "";
    const title = policyTitle(catalogue, policyId);
    return clause ? `${title}, clause ${clause}` : title;
  }

  // One list of the API, a page at a time: `await list.next()` is the next page's items.
  function pager(path, params) {
    let cursor = null;
    let done = false;
    return {
      get done() { return done; },
      async next() {
        const query = new URLSearchParams(params || {});
        if (cursor) query.set("cursor", cursor);
        const page = await api("GET", `${path}?${query}`);
        cursor = page.next_cursor || null;
        done = !cursor;
        return page.items;
      },
    };
  }

  // Fills a list page by page: `render(items)` adds them; the "Load more" button asks for
  // the next page (of this list only: calling again with another list takes the button
  // over, and an answer for the list it replaced is dropped); `note` says loading, empty or
  // what went wrong.
  function paged({ list, render, button, note, empty }) {
    let shown = 0;
    async function load() {
      button.disabled = true;
      show(note, shown ? "" : "Loading…");
      let failed = false;
      try {
        const items = await list.next();
        if (button.onclick !== load) return; // another list took over meanwhile
        shown += items.length;
        render(items);
        show(note, shown ? "" : empty);
      } catch (error) {
        if (button.onclick !== load) return;
        failed = true;
        show(note, messageOf(error));
      }
      button.disabled = false;
      button.textContent = failed ? "Try again" : "Load more";
      button.hidden = list.done && !failed;
    }
    button.onclick = load;
    return load();
  }

  // Key: value lines for the free-form facts of evidence, context or audit details.
  function facts(object, className) {
    const list = el("dl", className || "mod-facts");
    for (const [key, value] of Object.entries(object || {})) {
      const dd = el("dd");
      dd.append(structured(value));
      list.append(el("dt", "", key.replace(/_/g, " ")), dd);
    }
    return list;
  }

  const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

  // Whatever shape a value has (a list of earlier messages, a nested object, a time, nothing),
  // as text.
  function structured(value) {
    if (value === null || value === undefined || value === "") return el("span", "hint", "—");
    if (Array.isArray(value)) {
      const list = el("ol", "mod-plain-list");
      for (const item of value) {
        const li = el("li");
        li.append(structured(item));
        list.append(li);
      }
      return list;
    }
    if (typeof value === "object") return facts(value, "mod-facts inner");
    if (typeof value === "string" && ISO_TIME.test(value)) return time(value);
    return document.createTextNode(String(value));
  }

  return {
    el, show, severity, surfaceName, actionName, time, messageOf, policies, policyTitle,
    clauseText, citation, pager, paged, facts, structured, SEVERITIES, ACTIONS,
  };
})();
