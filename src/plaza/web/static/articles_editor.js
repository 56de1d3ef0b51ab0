// Plaza article editor: title, cover picture, Markdown body with pictures inserted at the
// cursor, a live preview from the server (POST /articles/preview: the same renderer and
// sanitizer as publishing, asked at most every PREVIEW_MS while typing), save and publish.
// The API's messages are shown as they are (the publishing limit's 429 says when publishing
// is possible again), and a check of the draft against the rules (POST /policy-check).
// Builds on plaza.js.
"use strict";

(() => {
  const { api, upload, ApiError } = window.Plaza;
  const $ = (id) => document.getElementById(id);
  const root = $("pa-editor");
  const handle = root.dataset.handle;
  const maxBytes = Number(root.dataset.maxBytes) || Infinity;
  const state = {
    id: root.dataset.id ? Number(root.dataset.id) : null,
    status: root.dataset.status,
    cover: root.dataset.cover ? Number(root.dataset.cover) : null,
    coverCleared: false,
    saved: null, // what was last saved, to warn before leaving with changes
  };
  const title = $("article-title");
  const body = $("article-body");

  function messageOf(error) {
    if (error instanceof ApiError) return error.message;
    return "Plaza cannot be reached; check the connection and try again.";
  }

  function show(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function busy(text) {
    $("editor-busy").textContent = text || "";
    for (const b of root.querySelectorAll("#save, #publish, #pick-cover, #insert-picture")) b.disabled = Boolean(text);
  }

  const snapshot = () => JSON.stringify([title.value, body.value, state.cover]);
  state.saved = snapshot();
  window.addEventListener("beforeunload", (event) => {
    if (snapshot() !== state.saved) event.preventDefault();
  });

  // ---------------------------------------------------------------- pictures

  function tooBig(file) {
    if (file.size <= maxBytes) return false;
    show("editor-error", `“${file.name}” is larger than ${Math.floor(maxBytes / 1048576)} MB.`);
    return true;
  }

  $("pick-cover").addEventListener("click", () => $("cover-file").click());
  $("cover-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file || tooBig(file)) return;
    busy("Uploading the cover…");
    try {
      const media = await upload(file);
      state.cover = media.id;
      state.coverCleared = false;
      const img = $("cover-preview");
      img.src = media.url;
      img.hidden = false;
      $("remove-cover").hidden = false;
      $("pick-cover").textContent = "Change cover";
      show("editor-error", "");
    } catch (error) {
      show("editor-error", messageOf(error));
    } finally {
      busy("");
    }
  });
  $("remove-cover").addEventListener("click", () => {
    state.cover = null;
    state.coverCleared = true;
    $("cover-preview").hidden = true;
    $("remove-cover").hidden = true;
    $("pick-cover").textContent = "Add a cover";
  });

  $("insert-picture").addEventListener("click", () => $("picture-file").click());
  $("picture-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file || tooBig(file)) return;
    busy("Uploading the picture…");
    try {
      const media = await upload(file);
      const alt = (file.name || "picture").replace(/\.[a-z0-9]+$/i, "").replace(/[[\]]/g, "");
      const start = body.selectionStart;
      const before = body.value.slice(0, start);
      const gap = before && !before.endsWith("\n\n") ? (before.endsWith("\n") ? "\n" : "\n\n") : "";
      const text = `${gap}![${alt}](/api/v1/media/${media.id})\n\n`;
      body.setRangeText(text, start, body.selectionEnd, "end");
      body.focus();
      show("editor-error", "");
      schedulePreview(0);
    } catch (error) {
      show("editor-error", messageOf(error));
    } finally {
      busy("");
    }
  });

  // ---------------------------------------------------------------- live preview

  const PREVIEW_MS = 400;
  let timer = null;
  let asked = body.value;
  let generation = 0;

  async function preview() {
    const text = body.value;
    if (text === asked) return;
    asked = text;
    const mine = ++generation;
    $("preview-state").textContent = "updating…";
    try {
      const answer = await api("POST", "/articles/preview", { body: text });
      if (mine !== generation) return;
      $("preview").innerHTML = answer.html; // rendered and sanitized by the server (nh3)
      $("preview-state").textContent = "";
    } catch (error) {
      if (mine !== generation) return;
      asked = null; // try again on the next change
      $("preview-state").textContent = "(" + messageOf(error) + ")";
    }
  }

  function schedulePreview(delay) {
    clearTimeout(timer);
    timer = setTimeout(preview, delay === undefined ? PREVIEW_MS : delay);
  }
  body.addEventListener("input", () => schedulePreview());

  // ---------------------------------------------------------------- check against the rules
  // POST /policy-check runs publishing's detectors and rules on the title and body and says
  // which policy clauses they would trip, with where in what I wrote: each paragraph that
  // matches is shown with the matched words marked, under the clause it matches.

  const OUTCOME = {
    allow: "Publishing it now would be allowed.",
    hold: "Publishing it now would hold it for a moderator's review before readers see it.",
    remove: "Publishing it now would remove it at once.",
    restrict: "Publishing it now would remove it at once.",
  };
  const EFFECT = { allow: "noted", hold: "held for review", remove: "removed", restrict: "removed" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The paragraphs of the body as the server counts them (split at blank lines), with offsets.
  function paragraphs(text) {
    const found = [];
    const breaks = /\n(?:[ \t]*\n)+/g;
    let start = 0;
    let match;
    while ((match = breaks.exec(text)) !== null) {
      found.push({ start, end: match.index });
      start = match.index + match[0].length;
    }
    found.push({ start, end: text.length });
    return found;
  }

  // `text` with the spans (offsets into it) wrapped in <mark>; every other place where a
  // matched word is written the same way is marked too.
  function marked(text, spans) {
    const ranges = [];
    for (const span of spans) {
      ranges.push([span.start, span.end]);
      for (let at = text.indexOf(span.matched); span.matched && at >= 0; at = text.indexOf(span.matched, at + 1)) {
        ranges.push([at, at + span.matched.length]);
      }
    }
    ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const node = el("p", "pa-check-text");
    let at = 0;
    for (const [start, end] of ranges) {
      if (start < at) continue; // overlaps one already marked
      node.append(text.slice(at, start), el("mark", "", text.slice(start, end)));
      at = end;
    }
    node.append(text.slice(at));
    return node;
  }

  function clauseLine(finding) {
    const item = el("li", "pa-check-clause");
    item.append(
      el("strong", "", `${finding.policy_title}, clause ${finding.clause}`),
      `: ${finding.clause_text} `,
      el("span", "hint", `(${EFFECT[finding.outcome]})`),
    );
    return item;
  }

  function describe(finding) {
    const e = finding.evidence;
    if (finding.detector === "image.hash") return `Picture ${e.media_id} looks like a listed picture.`;
    if (finding.detector === "spam.links") return `The text holds ${e.links} links.`;
    if (finding.detector === "spam.rate") return "You are publishing very fast.";
    return "The article as a whole:";
  }

  function group(title, matchedText, spans, findings) {
    const box = el("div", "pa-check-match");
    box.append(el("p", "pa-check-where", title));
    if (matchedText !== null) box.append(marked(matchedText, spans));
    const list = el("ul", "pa-check-clauses");
    const seen = new Set();
    for (const f of findings) {
      const key = `${f.policy_id}:${f.clause}`;
      if (seen.has(key)) continue;
      seen.add(key);
      list.append(clauseLine(f));
    }
    box.append(list);
    return box;
  }

  function showCheck(answer, text, heading) {
    const out = $("check-result");
    out.replaceChildren();
    out.append(el("p", `pa-check-outcome pa-check-${answer.outcome}`, OUTCOME[answer.outcome]));
    if (!answer.findings.length) {
      out.append(el("p", "hint", "Nothing in the title or body matches a rule."));
      return;
    }
    const inTitle = answer.findings.filter((f) => f.evidence.field === "title");
    if (inTitle.length) {
      const spans = inTitle.map((f) => f.evidence);
      out.append(group("The title matches:", heading, spans, inTitle));
    }
    const parts = paragraphs(text);
    const byParagraph = new Map();
    for (const f of answer.findings.filter((f) => f.evidence.field === "text")) {
      const n = f.evidence.paragraph;
      if (!byParagraph.has(n)) byParagraph.set(n, []);
      byParagraph.get(n).push(f);
    }
    for (const n of [...byParagraph.keys()].sort((a, b) => a - b)) {
      const part = parts[n] || { start: 0, end: text.length };
      const findings = byParagraph.get(n);
      const spans = findings.map((f) => ({
        start: f.evidence.start - part.start,
        end: f.evidence.end - part.start,
        matched: f.evidence.matched,
      }));
      const where = `Paragraph ${n + 1} matches:`;
      out.append(group(where, text.slice(part.start, part.end), spans, findings));
    }
    for (const f of answer.findings.filter((f) => !f.evidence.field)) {
      out.append(group(describe(f), null, [], [f]));
    }
  }

  $("check-rules").addEventListener("click", async () => {
    const button = $("check-rules");
    const text = body.value;
    const heading = title.value;
    const fields = { surface: "article", text };
    if (heading.trim()) fields.title = heading;
    button.disabled = true;
    $("check-result").replaceChildren(el("p", "hint", "Checking…"));
    try {
      showCheck(await api("POST", "/policy-check", fields), text, heading);
    } catch (error) {
      $("check-result").replaceChildren(el("p", "field-error", messageOf(error)));
    } finally {
      button.disabled = false;
    }
  });

  // ---------------------------------------------------------------- save and publish

  function draft() {
    const fields = { title: title.value.trim(), body: body.value };
    if (state.cover) fields.cover_media_id = state.cover;
    return fields;
  }

  async function save() {
    const fields = draft();
    if (!fields.title) {
      title.focus();
      throw new ApiError(422, "title", "Give the article a title.");
    }
    let article;
    if (state.id === null) {
      article = await api("POST", `/public-accounts/${handle}/articles`, fields);
      state.id = article.id;
      history.replaceState(null, "", `/a/${handle}/${article.id}/edit`);
    } else {
      if (state.coverCleared) fields.clear_cover = true;
      article = await api("PATCH", `/articles/${state.id}`, fields);
    }
    state.coverCleared = false;
    state.saved = snapshot();
    return article;
  }

  $("article-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    show("editor-error", "");
    show("editor-notice", "");
    busy("Saving…");
    try {
      const article = await save();
      if (state.status === "published") {
        location.assign(article.url);
        return;
      }
      show("editor-notice", "Draft saved.");
    } catch (error) {
      show("editor-error", messageOf(error));
    } finally {
      busy("");
    }
  });

  const publish = $("publish");
  if (publish) {
    publish.addEventListener("click", async () => {
      show("editor-error", "");
      show("editor-notice", "");
      busy("Publishing…");
      try {
        await save();
        const article = await api("POST", `/articles/${state.id}/publish`);
        location.assign(article.url);
      } catch (error) {
        // A refused publish leaves the draft as saved; say why (the limit says until when).
        show("editor-error", messageOf(error));
        busy("");
      }
    });
  }

  const remove = $("remove-article");
  if (remove) {
    remove.addEventListener("click", async () => {
      const yes = await window.Plaza.confirmDialog(
        state.status === "published" ? "Remove this article for every reader?" : "Discard this draft?",
        remove.textContent,
      );
      if (!yes) return;
      try {
        await api("DELETE", `/articles/${state.id}`);
        state.saved = snapshot();
        location.assign(`/a/${handle}`);
      } catch (error) {
        show("editor-error", messageOf(error));
      }
    });
  }
  document.documentElement.dataset.ready = "editor"; // tests wait for it on a busy machine
})();
