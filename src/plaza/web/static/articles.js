// Plaza public accounts: the directory's "create an account" form, an account's subscribe
// button and editors, the reader's like and share buttons, "load more", and my feed's live
// "new article" notice. Builds on plaza.js; the editor is articles_editor.js.
// Pages are drawn by the server; every change goes through the JSON API, whose messages are
// shown as they are. User text is only ever put into the page with textContent.
"use strict";

(() => {
  const { api, ApiError } = window.Plaza;
  const $ = (id) => document.getElementById(id);

  function messageOf(error) {
    if (error instanceof ApiError) return error.message;
    return "Plaza cannot be reached; check the connection and try again.";
  }

  function show(node, text) {
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function localTimes(scope) {
    for (const t of scope.querySelectorAll("time[datetime]")) {
      const date = new Date(t.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      t.textContent = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
  }
  localTimes(document);

  // ---------------------------------------------------------------- lists and "load more"

  async function fragment(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new ApiError(response.status, "http_" + response.status, "not available");
    const template = document.createElement("template");
    template.innerHTML = await response.text(); // our server's HTML: user text is escaped there
    localTimes(template.content);
    return template.content;
  }

  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-more]");
    const list = $("pa-list");
    if (!link || !list) return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    link.textContent = "Loading…";
    try {
      const content = await fragment(list.dataset.items + new URL(link.href).search);
      const items = content.querySelector(".pa-list-page");
      list.append(...items.children);
      items.remove();
      link.closest(".pa-more-row").replaceWith(content);
    } catch (_) {
      link.removeAttribute("aria-busy");
      link.textContent = "Could not load more; try again";
    }
  });

  // ---------------------------------------------------------------- the directory

  const create = $("create-account");
  if (create) {
    create.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = $("create-error");
      const handle = $("pa-handle").value.trim();
      const name = $("pa-name").value.trim();
      if (!/^[A-Za-z0-9_]{3,30}$/.test(handle)) {
        show(error, "A handle is 3 to 30 letters, digits or _.");
        $("pa-handle").focus();
        return;
      }
      if (!name) {
        show(error, "Give the account a name.");
        $("pa-name").focus();
        return;
      }
      show(error, "");
      const button = create.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const account = await api("POST", "/public-accounts", {
          handle, name, description: $("pa-description").value.trim(),
        });
        location.assign(account.url);
      } catch (failure) {
        button.disabled = false;
        show(error, messageOf(failure));
      }
    });
  }

  // ---------------------------------------------------------------- an account's page

  const account = $("pa-account");
  if (account) {
    const handle = account.dataset.handle;
    const subscribe = $("subscribe");
    if (subscribe) {
      subscribe.addEventListener("click", async () => {
        const on = subscribe.getAttribute("aria-pressed") === "true";
        subscribe.disabled = true;
        try {
          const a = await api(on ? "DELETE" : "POST", `/public-accounts/${handle}/subscription`);
          subscribe.setAttribute("aria-pressed", a.subscribed ? "true" : "false");
          subscribe.textContent = a.subscribed ? "Subscribed" : "Subscribe";
          subscribe.classList.toggle("secondary", Boolean(a.subscribed));
          $("subscriber-count").textContent = plural(a.subscriber_count, "subscriber");
          show($("account-error"), "");
        } catch (failure) {
          show($("account-error"), messageOf(failure));
        } finally {
          subscribe.disabled = false;
        }
      });
    }

    // The profile (owner and editors): name and description, and the avatar, which is
    // uploaded and set at once.
    const profile = $("profile-form");
    if (profile) {
      const patch = async (body) => {
        try {
          await api("PATCH", `/public-accounts/${handle}`, body);
          location.reload();
        } catch (failure) {
          show($("profile-error"), messageOf(failure));
        }
      };
      profile.addEventListener("submit", (event) => {
        event.preventDefault();
        const name = $("profile-name").value.trim();
        if (!name) return show($("profile-error"), "Give the account a name.");
        patch({ name, description: $("profile-description").value.trim() });
      });
      $("pick-avatar").addEventListener("click", () => $("avatar-file").click());
      $("avatar-file").addEventListener("change", async (event) => {
        const file = event.target.files[0];
        event.target.value = "";
        if (!file) return;
        try {
          const media = await window.Plaza.upload(file);
          await patch({ avatar_media_id: media.id });
        } catch (failure) {
          show($("profile-error"), messageOf(failure));
        }
      });
      const removeAvatar = $("remove-avatar");
      if (removeAvatar) removeAvatar.addEventListener("click", () => patch({ clear_avatar: true }));
    }

    const addEditor = $("add-editor");
    if (addEditor) {
      addEditor.addEventListener("submit", async (event) => {
        event.preventDefault();
        const input = $("editor-username");
        const username = input.value.trim().replace(/^@/, "");
        if (!username) return;
        try {
          await api("POST", `/public-accounts/${handle}/editors`, { username });
          location.reload();
        } catch (failure) {
          show($("editor-error"), messageOf(failure));
        }
      });
    }
    for (const button of document.querySelectorAll("[data-remove-editor]")) {
      button.addEventListener("click", async () => {
        const username = button.dataset.removeEditor;
        const yes = await window.Plaza.confirmDialog(button.getAttribute("aria-label") + "?", button.textContent);
        if (!yes) return;
        try {
          await api("DELETE", `/public-accounts/${handle}/editors/${encodeURIComponent(username)}`);
          location.reload();
        } catch (failure) {
          show($("editor-error") || $("account-error"), messageOf(failure));
        }
      });
    }
  }

  // ---------------------------------------------------------------- the reader

  const article = $("pa-article");
  if (article) {
    const id = article.dataset.id;
    const like = $("like");
    if (like) {
      like.addEventListener("click", async () => {
        const liked = like.getAttribute("aria-pressed") === "true";
        like.disabled = true;
        try {
          const a = await api(liked ? "DELETE" : "POST", `/articles/${id}/like`);
          like.setAttribute("aria-pressed", a.liked ? "true" : "false");
          like.textContent = a.liked ? "Liked" : "Like";
          $("like-count").textContent = plural(a.like_count, "like");
          show($("article-error"), "");
        } catch (failure) {
          show($("article-error"), messageOf(failure));
        } finally {
          like.disabled = false;
        }
      });
    }

    for (const close of document.querySelectorAll("dialog [data-close]")) {
      close.addEventListener("click", () => close.closest("dialog").close());
    }

    // A share carries the article (article_id) and what the person adds: the message or the
    // moment shows the article's card, which follows the article.
    const chatDialog = $("share-chat-dialog");
    async function listConversations() {
      const box = $("share-conversations");
      const page = await api("GET", "/conversations?limit=100");
      box.replaceChildren();
      const legend = document.createElement("legend");
      legend.textContent = "Conversation";
      box.append(legend);
      if (!page.items.length) {
        const none = document.createElement("p");
        none.className = "hint";
        none.textContent = "You have no chats yet.";
        box.append(none);
        return;
      }
      for (const c of page.items) {
        const label = document.createElement("label");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "conversation";
        radio.value = c.id;
        const title = c.title || c.members.filter((m) => m.username !== article.dataset.me).map((m) => m.display_name).join(", ");
        label.append(radio, " ", title || "Chat " + c.id);
        box.append(label);
      }
    }
    if (chatDialog) {
      $("share-chat").addEventListener("click", async () => {
        show($("share-chat-error"), "");
        chatDialog.showModal();
        try {
          await listConversations();
        } catch (failure) {
          show($("share-chat-error"), messageOf(failure));
        }
      });
      $("share-chat-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        const picked = chatDialog.querySelector('input[name="conversation"]:checked');
        if (!picked) {
          show($("share-chat-error"), "Pick a chat to share it to.");
          return;
        }
        const send = $("share-chat-send");
        send.disabled = true;
        try {
          await api("POST", `/conversations/${picked.value}/messages`, {
            client_id: crypto.randomUUID(),
            text: $("share-chat-text").value.trim(),
            article_id: Number(id),
          });
          chatDialog.close();
          const link = document.createElement("a");
          link.href = `/chat/${picked.value}`;
          link.textContent = "Open the chat";
          const notice = $("article-notice");
          notice.replaceChildren("Shared to the chat. ", link);
          notice.hidden = false;
        } catch (failure) {
          show($("share-chat-error"), messageOf(failure));
        } finally {
          send.disabled = false;
        }
      });
    }

    const momentsDialog = $("share-moments-dialog");
    if (momentsDialog) {
      $("share-moments").addEventListener("click", () => {
        show($("share-moments-error"), "");
        momentsDialog.showModal();
      });
      $("share-moments-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await api("POST", "/moments", {
            text: $("share-moments-text").value.trim(), article_id: Number(id),
          });
          momentsDialog.close();
          const link = document.createElement("a");
          link.href = "/moments";
          link.textContent = "See Moments";
          const notice = $("article-notice");
          notice.replaceChildren("Shared to your Moments. ", link);
          notice.hidden = false;
        } catch (failure) {
          show($("share-moments-error"), messageOf(failure));
        }
      });
    }
  }

  // ---------------------------------------------------------------- accounts that moved

  // A closed account has no page to unsubscribe from: its "moved to" notice in my feed is
  // where I leave it, and the notice goes with the subscription.
  for (const leave of document.querySelectorAll(".pa-leave")) {
    leave.addEventListener("click", async () => {
      const item = leave.closest("li");
      leave.disabled = true;
      try {
        await api("DELETE", `/public-accounts/${leave.dataset.handle}/subscription`);
        const list = item.parentElement;
        item.remove();
        if (!list.children.length) list.remove();
      } catch (error) {
        show(item.querySelector(".error"), messageOf(error));
        leave.disabled = false;
      }
    });
  }

  // ---------------------------------------------------------------- my feed, live

  const feed = $("articles-feed");
  if (feed) {
    // Where each followed account's topic stood when the page was read: every (re)connect
    // resumes from there, and articles already announced or listed are skipped by id.
    const revs = JSON.parse(feed.dataset.revs || "{}");
    const status = $("status");
    const fresh = new Set();

    async function refreshFeed() {
      const list = $("pa-list");
      const content = await fragment("/feed/items");
      const items = content.querySelector(".pa-list-page");
      const shown = new Set([...list.children].map((li) => li.dataset.id));
      const added = [...items.children].filter((li) => !shown.has(li.dataset.id));
      for (const li of added) li.classList.add("pa-fresh");
      list.prepend(...added);
      const empty = $("pa-empty");
      if (empty && list.children.length) empty.remove();
    }

    function announce(event) {
      const notice = $("new-article");
      const link = document.createElement("a");
      link.href = event.article.url;
      link.textContent = event.article.title;
      notice.replaceChildren(`New from ${event.account.name}: `, link);
      notice.hidden = false;
    }

    window.Plaza.stream({
      resumeFrame: () => ({ type: "resume", public_accounts: revs }),
      onState: (state, detail) => {
        status.dataset.state = state;
        status.textContent = detail ? `${state}: ${detail}` : state;
      },
      onEvent: async (event) => {
        window.Plaza.onCommonEvent(event);
        if (event.type === "article.published" && event.article) {
          const key = String(event.article.id);
          if (fresh.has(key)) return;
          fresh.add(key);
          announce(event);
          try {
            await refreshFeed();
          } catch (_) {
            // The notice links to the article; the feed is right on the next visit.
          }
        } else if (event.type === "article.held" || event.type === "article.removed") {
          // Moderation took it from readers: it leaves the feed.
          const item = $("pa-list").querySelector(`[data-id="${event.article_id}"]`);
          if (item) item.remove();
        } else if (event.type === "public_account.held" || event.type === "public_account.closed") {
          // The account's articles leave the feed; its topic is over.
          for (const item of [...$("pa-list").children]) {
            if (item.dataset.account === event.account.handle) item.remove();
          }
        } else if (event.type === "public_accounts.reset" || event.type === "article.restored") {
          refreshFeed().catch(() => {});
        }
      },
    });
  }
  // Forms and buttons work from here on (tests wait for it on a busy machine).
  document.documentElement.dataset.ready = "articles";
})();
