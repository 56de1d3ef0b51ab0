// Plaza moments: likes, comments and replies, pictures in a lightbox, "load more", and the
// live stream (likes and comments on my moments, the "new moments" count). Builds on
// plaza.js; the composer is moments_composer.js.
// Moments are drawn by the server (templates/_moment.html): after any change this script
// asks /moments/{id}/card for the moment again instead of drawing it a second way.
// User text is only ever put into the page with textContent, never as HTML.
"use strict";

(() => {
  const { api, ApiError } = window.Plaza;
  const root = document.getElementById("moments");
  const feed = document.getElementById("feed");
  const meId = root.dataset.meId;
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function announce(text) {
    const live = $("moments-live");
    live.textContent = "";
    setTimeout(() => { live.textContent = text; }, 50); // a change, so it is read again
  }

  function messageOf(error) {
    if (error instanceof ApiError) return error.message;
    return "Plaza cannot be reached; check the connection and try again.";
  }

  // ---------------------------------------------------------------- times

  function timeText(date) {
    const now = new Date();
    const minutes = Math.floor((now - date) / 60000);
    const hm = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min ago`;
    if (date.toDateString() === now.toDateString()) return hm;
    const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
    if (date.toDateString() === yesterday.toDateString()) return "Yesterday " + hm;
    const options = { month: "short", day: "numeric" };
    if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
    return date.toLocaleDateString(undefined, options) + " " + hm;
  }

  function localTimes(scope) {
    for (const t of scope.querySelectorAll("time[datetime]")) {
      const date = new Date(t.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      t.textContent = timeText(date);
      t.title = date.toLocaleString();
    }
  }

  // ---------------------------------------------------------------- server-drawn moments

  async function fragment(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.status === 401) window.Plaza.toSignIn();
    const html = await response.text();
    if (!response.ok) throw new ApiError(response.status, "http_" + response.status, "not available");
    const template = document.createElement("template");
    template.innerHTML = html; // our own server's HTML: user text in it is escaped there
    localTimes(template.content);
    return template.content;
  }

  const articleOf = (id) => document.getElementById("moment-" + id);

  // The moment as the viewer may see it now: likes, comments and the like button are
  // replaced; an open comment box (and what is typed in it) stays.
  async function refresh(id) {
    const article = articleOf(id);
    if (!article) return;
    let fresh;
    try {
      fresh = (await fragment(`/moments/${id}/card`)).querySelector("article");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) article.remove();
      return;
    }
    if (!fresh) return;
    article.querySelector(".social").replaceWith(fresh.querySelector(".social"));
    article.querySelector("[data-like]").replaceWith(fresh.querySelector("[data-like]"));
  }

  // Moderation held, removed or restored a moment or one of its comments: draw the moment
  // again as the viewer may see it now (gone for others; marked for its author).
  async function redraw(id) {
    const article = articleOf(id);
    if (!article) return;
    let fresh;
    try {
      fresh = (await fragment(`/moments/${id}/card`)).querySelector("article");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) article.remove();
      return;
    }
    if (fresh) article.replaceWith(fresh);
  }

  const MODERATED = /^(moment|comment)\.(held|removed|restored)$/;
  const MODERATION_NEWS = {
    held: "is under review: only you can see it for now.",
    removed: "was removed by a moderator: only you can see it.",
    restored: "was restored by a moderator.",
  };

  async function prepend(id) {
    const content = await fragment(`/moments/${id}/card`);
    feed.prepend(content);
    const empty = $("empty-feed");
    if (empty) empty.remove();
  }

  async function loadMore(link) {
    const url = new URL(link.href);
    link.setAttribute("aria-busy", "true");
    link.textContent = "Loading…";
    try {
      link.replaceWith(await fragment(feed.dataset.items + url.search));
    } catch (_) {
      link.removeAttribute("aria-busy");
      link.textContent = "Could not load more; try again";
    }
  }

  // ---------------------------------------------------------------- likes and comments

  async function toggleLike(article, button) {
    const liked = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    try {
      await api(liked ? "DELETE" : "POST", `/moments/${article.dataset.id}/like`);
      await refresh(article.dataset.id);
    } catch (error) {
      button.disabled = false;
      showError(article, messageOf(error));
    }
  }

  function showError(article, text) {
    let note = article.querySelector(".moment-error");
    if (!note) {
      note = el("p", "field-error moment-error");
      note.setAttribute("role", "alert");
      article.querySelector(".moment-body").append(note);
    }
    note.textContent = text;
  }

  function commentForm(article) {
    let form = article.querySelector(".comment-form");
    if (form) return form;
    const id = article.dataset.id;
    form = el("form", "comment-form");
    form.hidden = true;
    const label = el("label", "visually-hidden", "Comment");
    label.htmlFor = `comment-${id}`;
    const input = el("input");
    input.type = "text";
    input.id = `comment-${id}`;
    input.autocomplete = "off";
    input.maxLength = Number(root.dataset.commentMax) || 1000;
    const send = el("button", "", "Send");
    send.type = "submit";
    const cancel = el("button", "secondary", "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => closeComment(article));
    const error = el("p", "field-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    const row = el("div", "comment-row");
    row.append(input, send, cancel);
    form.append(label, row, error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return input.focus();
      const replyTo = form.dataset.replyTo ? Number(form.dataset.replyTo) : undefined;
      send.disabled = true;
      error.hidden = true;
      try {
        await api("POST", `/moments/${id}/comments`, { text, reply_to: replyTo });
        input.value = "";
        closeComment(article);
        await refresh(id);
      } catch (failure) {
        error.textContent = messageOf(failure);
        error.hidden = false;
      } finally {
        send.disabled = false;
      }
    });
    article.querySelector(".moment-body").append(form);
    return form;
  }

  function openComment(article, replyTo) {
    const form = commentForm(article);
    const input = form.querySelector("input");
    const label = form.querySelector("label");
    const author = article.querySelector(".who").textContent.trim();
    if (replyTo) {
      form.dataset.replyTo = replyTo.id;
      input.placeholder = label.textContent = `Reply to ${replyTo.name}`;
    } else {
      delete form.dataset.replyTo;
      input.placeholder = "Comment";
      label.textContent = `Comment on ${author}'s moment`;
    }
    form.hidden = false;
    article.querySelector("[data-comment]").setAttribute("aria-expanded", "true");
    input.focus();
  }

  function closeComment(article) {
    const form = article.querySelector(".comment-form");
    if (form) form.hidden = true;
    article.querySelector("[data-comment]").setAttribute("aria-expanded", "false");
  }

  async function deleteMoment(article) {
    const yes = await window.Plaza.confirmDialog("Delete this moment? Its likes and comments go with it.", "Delete");
    if (!yes) return;
    try {
      await api("DELETE", `/moments/${article.dataset.id}`);
      article.remove();
      announce("Moment deleted.");
    } catch (error) {
      showError(article, messageOf(error));
    }
  }

  async function deleteComment(article, item) {
    const yes = await window.Plaza.confirmDialog("Delete this comment?", "Delete");
    if (!yes) return;
    try {
      await api("DELETE", `/moments/${article.dataset.id}/comments/${item.dataset.id}`);
      await refresh(article.dataset.id);
      announce("Comment deleted.");
    } catch (error) {
      showError(article, messageOf(error));
    }
  }

  // ---------------------------------------------------------------- lightbox

  const lightbox = {
    pics: [],
    index: 0,
    show(i) {
      this.index = (i + this.pics.length) % this.pics.length;
      const pic = this.pics[this.index];
      const img = $("lightbox-img");
      img.src = pic.dataset.full;
      img.alt = pic.querySelector("img").alt;
      $("lightbox-open").href = pic.dataset.full;
      const many = this.pics.length > 1;
      $("lightbox-prev").hidden = $("lightbox-next").hidden = !many;
      $("lightbox-count").textContent = many ? `${this.index + 1} / ${this.pics.length}` : "";
    },
    open(pic) {
      const dialog = $("lightbox");
      if (!dialog.showModal) return location.assign(pic.dataset.full);
      this.pics = [...pic.closest(".pics").querySelectorAll(".pic")];
      this.show(this.pics.indexOf(pic));
      dialog.showModal();
      $("lightbox-close").focus();
    },
  };

  function wireLightbox() {
    const dialog = $("lightbox");
    $("lightbox-close").addEventListener("click", () => dialog.close());
    $("lightbox-prev").addEventListener("click", () => lightbox.show(lightbox.index - 1));
    $("lightbox-next").addEventListener("click", () => lightbox.show(lightbox.index + 1));
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close(); // the backdrop
    });
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft") lightbox.show(lightbox.index - 1);
      if (event.key === "ArrowRight") lightbox.show(lightbox.index + 1);
    });
    dialog.addEventListener("close", () => { $("lightbox-img").removeAttribute("src"); });
  }

  // ---------------------------------------------------------------- the feed's clicks

  function wireFeed() {
    feed.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      const more = target.closest("[data-more]");
      if (more) {
        event.preventDefault();
        return loadMore(more);
      }
      const article = target.closest("article.moment");
      if (!article) return;
      const pic = target.closest(".pic");
      if (pic) {
        event.preventDefault();
        return lightbox.open(pic);
      }
      const like = target.closest("[data-like]");
      if (like) return toggleLike(article, like);
      if (target.closest("[data-comment]")) {
        const form = article.querySelector(".comment-form");
        return form && !form.hidden ? closeComment(article) : openComment(article, null);
      }
      const deleteC = target.closest("[data-delete-comment]");
      if (deleteC) return deleteComment(article, deleteC.closest(".comment"));
      if (target.closest("[data-delete-moment]")) return deleteMoment(article);
      const reply = target.closest("[data-reply]");
      if (reply) {
        const item = reply.closest(".comment");
        const mine = item.dataset.author === root.dataset.me;
        return openComment(article, mine ? null : { id: item.dataset.id, name: item.dataset.authorName });
      }
    });
  }

  // ---------------------------------------------------------------- live

  // The last revision of my moments topic seen: from the page (where the topic stood when the
  // server read it), then from the stream's events.
  let rev = root.dataset.rev ? Number(root.dataset.rev) : null;

  function onEvent(event) {
    window.Plaza.onCommonEvent(event);
    if (event.type === "ready" && event.moments && rev === null) {
      rev = Number(event.moments[meId]) || 0;
      return;
    }
    const moderated = MODERATED.exec(event.type);
    if (typeof event.rev === "number" && (event.type.startsWith("moment") || moderated)) {
      rev = Math.max(rev || 0, event.rev);
    }
    if (moderated) {
      redraw(event.moment_id);
      // A moment's change with a revision came on its author's own topic: tell them.
      if (moderated[1] === "moment" && typeof event.rev === "number") {
        announce(`Your moment ${MODERATION_NEWS[moderated[2]]}`);
      }
    } else if (event.type === "moment.liked") {
      refresh(event.moment_id);
      announce(`${event.user.display_name} liked your moment.`);
    } else if (event.type === "moment.commented") {
      refresh(event.moment_id);
      announce(`${event.comment.author.display_name} commented: ${event.comment.text}`);
    } else if (event.type === "moments.unseen") {
      const pill = $("new-moments");
      if (!pill) return window.Plaza.setMomentsUnseen(event.count);
      pill.textContent = event.count >= 99 ? "99+ new moments" : event.count === 1 ? "1 new moment" : `${event.count} new moments`;
      pill.hidden = event.count <= 0;
    } else if (event.type === "moments.reset") {
      for (const article of feed.querySelectorAll("article.moment")) refresh(article.dataset.id);
    }
  }

  function resumeFrame() {
    return { type: "resume", moments: rev === null ? {} : { [meId]: rev } };
  }

  // For the composer (moments_composer.js), on the timeline only.
  window.PlazaMoments = { prepend, announce, messageOf };
  const pill = $("new-moments");
  if (pill) pill.addEventListener("click", () => location.assign("/moments"));

  localTimes(document);
  wireFeed();
  wireLightbox();
  // The stream's state on the page root ("connecting", "live", "offline", "busy"), for styles
  // and for tests that must know the page is listening.
  const onState = (state) => { root.dataset.stream = state; };
  window.Plaza.stream({ onEvent, onState, resumeFrame });
  setInterval(() => localTimes(feed), 60000);
})();
