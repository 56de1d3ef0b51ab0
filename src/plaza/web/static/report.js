// Plaza's report dialog, one for every signed-in page (moderation/templates/_report_dialog.html):
// any button with data-report="<surface>" data-report-id="<id>" data-report-label="<words>"
// opens it, wherever the button came from (a server-drawn moment, a message chat.js drew).
// The rules come from GET /policies (public, asked once per page), narrowed to those that
// cover what is reported; sending is POST /reports. The reported person is never told who
// reported, and the dialog says so. Also `window.PlazaPolicies.load()` for the console.
// User text is only ever put into the page with textContent, never as HTML.
"use strict";

(() => {
  const { api, ApiError } = window.Plaza;
  const $ = (id) => document.getElementById(id);
  const dialog = $("report-dialog");
  // What the catalogue calls the surface a report names, where the two differ: a person is
  // reported for their profile.
  const POLICY_SURFACE = { user: "profile" };

  let catalogue = null;
  function loadPolicies() {
    if (!catalogue) {
      catalogue = api("GET", "/policies").then((page) => page.items);
      catalogue.catch(() => { catalogue = null; }); // ask again next time
    }
    return catalogue;
  }
  window.PlazaPolicies = { load: loadPolicies };
  if (!dialog) return;

  const form = $("report-form");
  const details = $("report-details");
  const send = $("report-send");
  const DETAILS_MAX = details.maxLength > 0 ? details.maxLength : 1000;
  let target = null; // {surface, id}
  let opener = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(text) {
    const note = $("report-error");
    note.textContent = text || "";
    note.hidden = !text;
  }

  function waitText(seconds) {
    if (!seconds || seconds < 60) return "in a minute";
    const minutes = Math.ceil(seconds / 60);
    if (minutes < 60) return `in ${minutes} minutes`;
    const hours = Math.ceil(minutes / 60);
    return hours === 1 ? "in an hour" : `in ${hours} hours`;
  }

  // The API's refusals, in words a reporter can act on.
  function refusal(error) {
    if (!(error instanceof ApiError)) {
      return "Plaza cannot be reached; check the connection and try again.";
    }
    if (error.status === 429) {
      return `You have sent many reports in a short time. You can send this one ${waitText(error.retryAfter)}.`;
    }
    if (error.status === 404) {
      return "This is no longer there for you to report: it was deleted, or you can no longer see it.";
    }
    return error.message;
  }

  const normal = (surface) => String(surface).trim().toLowerCase().replace(/[\s-]+/g, "_");

  function covering(policies, surface) {
    const wanted = POLICY_SURFACE[surface] || surface;
    const fit = policies.filter((p) => (p.surfaces || []).some((s) => normal(s) === wanted));
    return fit.length ? fit : policies; // the server says which, if none claims it
  }

  function choice(policy) {
    const id = "report-policy-" + normal(policy.id);
    const row = el("div", "report-choice");
    const input = el("input");
    input.type = "radio";
    input.name = "report-policy";
    input.id = id;
    input.value = policy.id;
    input.setAttribute("aria-describedby", id + "-about");
    const label = el("label", "", policy.title);
    label.htmlFor = id;
    const about = el("p", "hint", policy.description || "");
    about.id = id + "-about";
    const text = el("div", "report-choice-text");
    text.append(label, about);
    row.append(input, text);
    return row;
  }

  async function fillChoices(surface) {
    const box = $("report-choices");
    box.replaceChildren(el("p", "hint", "Loading the rules…"));
    let policies;
    try {
      policies = covering(await loadPolicies(), surface);
    } catch (error) {
      box.replaceChildren();
      showError("The rules could not be loaded. " + refusal(error));
      return;
    }
    if (!target || target.surface !== surface) return; // closed, or opened for another thing
    box.replaceChildren(...policies.map(choice));
    // Focus waits on the list while it loads; then it moves to the first rule.
    const first = box.querySelector("input");
    if (first && document.activeElement === box) first.focus();
  }

  function count() {
    $("report-count").textContent = `${details.value.length} / ${DETAILS_MAX}`;
  }

  function open(button) {
    target = { surface: button.dataset.report, id: Number(button.dataset.reportId) };
    opener = button;
    form.reset();
    count();
    showError("");
    send.disabled = false;
    $("report-ask").hidden = false;
    $("report-done").hidden = true;
    $("report-sent").textContent = "";
    $("report-what").textContent = button.dataset.reportLabel || "";
    if (!dialog.showModal) return; // no <dialog>: nothing to show it in
    dialog.showModal();
    $("report-choices").focus();
    fillChoices(target.surface);
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", () => {
    target = null;
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });

  // Keep Tab inside: from the last stop back to the first, and the other way round. A group
  // of radio buttons is one stop (the arrow keys move within it).
  function tabStops() {
    const groups = new Set();
    return [...dialog.querySelectorAll("button, input, textarea, select, a[href]")].filter((node) => {
      if (node.disabled || !node.getClientRects().length) return false;
      if (node.type !== "radio") return true;
      if (groups.has(node.name)) return false;
      groups.add(node.name);
      return true;
    });
  }

  function focusStop(stop) {
    const checked = stop.type === "radio" && dialog.querySelector(`input[name="${stop.name}"]:checked`);
    (checked || stop).focus();
  }

  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const stops = tabStops();
    if (!stops.length) return;
    const at = document.activeElement;
    const isAt = (stop) => stop === at ||
      (stop.type === "radio" && at.type === "radio" && at.name === stop.name);
    const [first, last] = [stops[0], stops[stops.length - 1]];
    if (event.shiftKey ? isAt(first) || !dialog.contains(at) : isAt(last)) {
      event.preventDefault();
      focusStop(event.shiftKey ? last : first);
    }
  });

  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-report-close]")) close();
  });

  details.addEventListener("input", count);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!target) return;
    const picked = form.querySelector('input[name="report-policy"]:checked');
    if (!picked) {
      showError("Pick the rule it breaks.");
      const first = form.querySelector('input[name="report-policy"]');
      if (first) first.focus();
      return;
    }
    const body = { surface: target.surface, id: target.id, policy_id: picked.value };
    const text = details.value.trim();
    if (text) body.details = text;
    send.disabled = true;
    showError("");
    try {
      await api("POST", "/reports", body);
    } catch (error) {
      send.disabled = false;
      showError(refusal(error));
      return;
    }
    $("report-ask").hidden = true;
    $("report-done").hidden = false;
    $("report-sent").textContent = "Report sent. The person will not know who reported.";
    $("report-done").querySelector("[data-report-close]").focus();
  });

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-report]") : null;
    if (!button || dialog.contains(button)) return;
    event.preventDefault();
    open(button);
  });
})();
