// Plaza chat client: the JSON API for reads, the live stream for events and (once `ready`
// arrived) for sending; POST is the fallback when the stream is not open. Builds on plaza.js.
// User text is only ever put into the page with textContent, never as HTML.
"use strict";

(() => {
  const { api, upload, ApiError } = window.Plaza;
  const root = document.getElementById("chat");
  const me = root.dataset.me;
  const $ = (id) => document.getElementById(id);
  const box = $("messages");
  const textBox = $("text");
  const MAX_CHARS = Number(textBox.dataset.max) || 4000;
  const RECALL_WINDOW_MS = 120 * 1000;
  const PAGE = 50;
  const GROUP_GAP_MS = 5 * 60 * 1000;
  const SEND_TIMEOUT_MS = 15000;
  const MAX_PICTURES = Number(root.dataset.maxPictures) || 9;

  const state = {
    conversations: new Map(), // id -> conversation from the API
    loaded: false,
    revs: new Map(), // id -> last revision seen on the stream
    current: root.dataset.conversation ? Number(root.dataset.conversation) : null,
    messages: new Map(), // id -> message, in the open conversation (for quotes)
    names: new Map([[me, root.dataset.meName]]), // username -> display name
    outbox: new Map(), // client_id -> unsent draft {client_id, conversation_id, text, reply_to, ...}
    oldestSeq: null,
    hasMore: false,
    loadingOlder: false,
    unseen: 0,
    replyTo: null,
    attachments: [], // pictures picked for the next message: {file, url (a local preview)}
    composing: false,
    left: new Map(), // conversation id -> the line saying why it can no longer be used
    friends: [...$("add-member").options].map((o) => ({ username: o.value, label: o.textContent })),
    connection: "connecting",
  };

  // ---------------------------------------------------------------- small helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, className, onClick) {
    const b = el("button", className, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  const charCount = (text) => [...text].length;

  function nameOf(username) {
    if (username === me) return "You";
    return state.names.get(username) || "@" + username;
  }

  function titleOf(c) {
    if (c.title) return c.title;
    const others = c.members.filter((m) => m.username !== me).map((m) => m.display_name);
    return others.join(", ") || "Just me";
  }

  function remember(c) {
    for (const m of c.members) state.names.set(m.username, m.display_name);
  }

  function snippet(m) {
    if (!m) return "an earlier message";
    if (m.recalled) return "(message recalled)";
    if (m.removed) return REMOVED_TEXT;
    const pictures = (m.media || []).length;
    if (!m.text.trim() && pictures) return pictures > 1 ? `[${pictures} pictures]` : "[Picture]";
    if (!m.text.trim() && m.card) return articleLine(m.card);
    const text = m.text.replace(/\s+/g, " ");
    return text.length > 80 ? text.slice(0, 80) + "…" : text;
  }

  // Text with http(s) links as anchors; everything else stays text.
  const URL_RE = /\bhttps?:\/\/[^\s<>"'\u3000-\u303f\uff01-\uff5e]+/gi;
  function linkified(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      let raw = match[0];
      const trail = raw.match(/[.,;:!?)\]}'"]+$/);
      if (trail && !(trail[0].startsWith(")") && raw.includes("("))) raw = raw.slice(0, -trail[0].length);
      let url = null;
      try {
        url = new URL(raw);
      } catch (_) {
        url = null;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
      fragment.append(document.createTextNode(text.slice(last, match.index)));
      const a = el("a", "", raw);
      a.href = url.href;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      fragment.append(a);
      last = match.index + raw.length;
    }
    fragment.append(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function dayLabel(date) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (date.toDateString() === today.toDateString()) return "Today";
    if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
    const options = { weekday: "short", month: "short", day: "numeric" };
    if (date.getFullYear() !== today.getFullYear()) options.year = "numeric";
    return date.toLocaleDateString(undefined, options);
  }

  const timeLabel = (date) => date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  // ---------------------------------------------------------------- scrolling

  const atBottom = () => box.scrollHeight - box.scrollTop - box.clientHeight < 48;

  function scrollToBottom() {
    box.scrollTop = box.scrollHeight;
    state.unseen = 0;
    $("new-pill").hidden = true;
  }

  function noteUnseen() {
    state.unseen += 1;
    const pill = $("new-pill");
    pill.textContent = state.unseen === 1 ? "1 new message ↓" : `${state.unseen} new messages ↓`;
    pill.hidden = false;
  }

  // ---------------------------------------------------------------- the list of chats

  async function loadConversations() {
    const page = await api("GET", "/conversations?limit=200");
    state.conversations.clear();
    for (const c of page.items) {
      state.conversations.set(c.id, c);
      remember(c);
      if (!state.revs.has(c.id)) state.revs.set(c.id, c.rev);
    }
    state.loaded = true;
    renderList();
    if (!state.current) showWelcome();
  }

  function renderList() {
    const list = $("conversations");
    list.replaceChildren();
    if (state.loaded && state.conversations.size === 0) {
      list.append(el("p", "hint empty", "No chats yet."));
    }
    for (const c of state.conversations.values()) {
      const link = el("a", c.id === state.current ? "active" : "");
      link.href = "/chat/" + c.id;
      link.dataset.id = c.id;
      if (c.id === state.current) link.setAttribute("aria-current", "page");
      const title = el("div", "title");
      title.append(el("span", "", titleOf(c)));
      if (c.unread > 0 && c.id !== state.current) {
        const badge = el("span", "badge", String(c.unread));
        badge.setAttribute("aria-label", `${c.unread} unread`);
        title.append(badge);
      }
      link.append(title);
      const last = c.last_message;
      let preview = "";
      if (last) {
        const who = last.sender === me ? "You" : last.sender_display_name;
        const pictures = (last.media || []).length;
        const shown = last.text || (pictures > 1 ? `[${pictures} pictures]` : pictures ? "[Picture]" : "")
          || (last.card ? articleLine(last.card) : "");
        preview = last.recalled ? "(message recalled)" : last.removed ? REMOVED_TEXT : who + ": " + shown;
      }
      link.append(el("div", "preview", preview));
      link.addEventListener("click", (event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        openConversation(c.id, { push: true });
      });
      list.append(link);
    }
    updateTitle();
  }

  function updateTitle() {
    let unread = 0;
    const looking = document.visibilityState === "visible";
    for (const c of state.conversations.values()) {
      if (c.id === state.current && looking) continue;
      unread += c.unread || 0;
    }
    document.title = unread > 0 ? `(${unread}) Chats · Plaza` : "Chats · Plaza";
  }

  function showWelcome() {
    const welcome = el("div", "welcome");
    welcome.id = "welcome";
    if (state.conversations.size === 0) {
      welcome.append(el("h2", "", "No chats yet"));
      const find = el("p");
      const link = el("a", "", "Find a friend");
      link.href = "/people";
      find.append(link, " by their username or name, open their profile and press Message.");
      welcome.append(find);
      welcome.append(el("p", "", "Friends can be put together with New group."));
      const demo = el("p", "hint");
      demo.append("Just trying Plaza out? Run ", el("code", "", "plaza demo"),
        " on the server for sample people and chats.");
      welcome.append(demo);
    } else {
      welcome.append(el("h2", "", "Pick a chat"));
      welcome.append(el("p", "hint", "Choose a conversation from the list to read and reply."));
    }
    box.replaceChildren(welcome);
  }

  // ---------------------------------------------------------------- one conversation

  function showConversationChrome(c) {
    const left = state.left.get(c.id);
    $("conv-title").textContent = titleOf(c);
    $("composer-wrap").hidden = Boolean(left);
    $("left-line").hidden = !left;
    $("left-line").textContent = left || "";
    $("manage").hidden = c.kind !== "group" || Boolean(left);
    if (left) closeMembers();
  }

  async function openConversation(id, { push = false } = {}) {
    state.current = id;
    if (push) history.pushState({ id }, "", "/chat/" + id);
    root.classList.add("has-conversation");
    closeMembers();
    clearReply();
    state.messages.clear();
    state.oldestSeq = null;
    state.hasMore = false;
    state.unseen = 0;
    $("new-pill").hidden = true;
    box.replaceChildren(el("p", "history-edge", "Loading…"));
    renderList();
    let c;
    let page;
    try {
      c = await api("GET", "/conversations/" + id);
      page = await api("GET", `/conversations/${id}/messages?limit=${PAGE}`);
    } catch (error) {
      if (id !== state.current) return;
      state.loadFailed = !(error instanceof ApiError); // a network error: try again when back
      $("conv-title").textContent = "Conversation";
      $("composer-wrap").hidden = true;
      $("manage").hidden = true;
      box.replaceChildren(el("p", "history-edge", error instanceof ApiError && error.status === 404
        ? "This conversation is not available to you." : "Could not load this conversation: " + error.message));
      return;
    }
    if (id !== state.current) return;
    state.loadFailed = false;
    state.conversations.set(id, { ...state.conversations.get(id), ...c });
    remember(c);
    if (!state.revs.has(id)) state.revs.set(id, c.rev);
    showConversationChrome(c);
    const edge = el("p", "history-edge");
    edge.id = "history-edge";
    box.replaceChildren(edge);
    for (const m of page.items) renderMessage(m, { quiet: true });
    state.oldestSeq = page.items.length ? page.items[0].seq : null;
    state.hasMore = page.next_cursor != null;
    await loadChanges(id, state.hasMore ? state.oldestSeq : 0, null);
    for (const entry of state.outbox.values()) {
      if (entry.conversation_id === id) renderPending(entry);
    }
    // The "new messages" divider goes before the first of the messages I have not read.
    const unread = c.unread || 0;
    let divider = null;
    if (unread > 0) {
      const read = c.last_read_seq || 0;
      const first = page.items.find((m) => m.seq > read && m.sender !== me);
      const node = first && box.querySelector(`.msg[data-id="${first.id}"]`);
      if (node) {
        divider = el("div", "unread-divider", "New messages");
        divider.setAttribute("role", "separator");
        node.before(divider);
      }
    }
    updateEdge();
    decorate();
    if (divider && divider.offsetTop - box.offsetTop > box.clientHeight / 2) {
      box.scrollTop = divider.offsetTop - box.offsetTop - 16;
    } else {
      scrollToBottom();
    }
    const conversation = state.conversations.get(id);
    conversation.unread = 0;
    renderList();
    if (!state.left.has(id)) markRead();
    if (matchMedia("(hover: hover)").matches && !$("composer-wrap").hidden) textBox.focus();
    if (box.scrollHeight <= box.clientHeight) loadOlder();
  }

  function showList() {
    state.current = null;
    root.classList.remove("has-conversation");
    $("conv-title").textContent = "Pick a conversation";
    $("composer-wrap").hidden = true;
    $("manage").hidden = true;
    $("left-line").hidden = true;
    closeMembers();
    showWelcome();
    renderList();
  }

  function updateEdge() {
    const edge = $("history-edge");
    if (!edge) return;
    if (state.loadingOlder) edge.textContent = "Loading earlier messages…";
    else if (state.hasMore) edge.textContent = "Scroll up for earlier messages";
    else if (box.querySelector(".msg[data-seq]")) edge.textContent = "This is the start of the conversation.";
    else edge.textContent = state.left.has(state.current) ? "No messages." : "No messages yet. Say hello!";
  }

  async function loadOlder() {
    const id = state.current;
    if (!id || !state.hasMore || state.loadingOlder || state.oldestSeq == null) return;
    state.loadingOlder = true;
    updateEdge();
    let page;
    try {
      page = await api("GET", `/conversations/${id}/messages?before_seq=${state.oldestSeq}&limit=${PAGE}`);
    } catch (error) {
      state.loadingOlder = false;
      if (id === state.current) $("history-edge").textContent = "Could not load earlier messages: " + error.message;
      return;
    }
    if (id !== state.current) {
      state.loadingOlder = false;
      return;
    }
    const height = box.scrollHeight;
    const top = box.scrollTop;
    const below = state.oldestSeq;
    for (const m of page.items) renderMessage(m, { quiet: true });
    if (page.items.length) state.oldestSeq = page.items[0].seq;
    state.hasMore = page.next_cursor != null && page.items.length > 0;
    state.loadingOlder = false;
    updateEdge();
    decorate();
    refreshQuotes();
    box.scrollTop = top + (box.scrollHeight - height); // keep what the reader was looking at
    // The group's changes between these messages follow; the browser keeps the reader's place.
    loadChanges(id, state.hasMore ? state.oldestSeq : 0, below - 1);
    if (box.scrollTop < 200 && state.hasMore) loadOlder();
  }

  async function markRead() {
    const c = state.conversations.get(state.current);
    if (!c || document.visibilityState !== "visible") return;
    c.unread = 0;
    updateTitle();
    try {
      await api("POST", `/conversations/${c.id}/read`, {});
    } catch (_) {
      // Reading again later marks it; nothing for the person to do.
    }
  }

  // Puts a node with a seq in order among the others, before any unsent bubbles.
  function place(node, seq) {
    const nodes = box.querySelectorAll("[data-seq]");
    let before = null;
    for (let i = nodes.length - 1; i >= 0; i--) {
      if (Number(nodes[i].dataset.seq) > seq) before = nodes[i];
      else break;
    }
    if (!before) before = box.querySelector(".msg.pending");
    box.insertBefore(node, before);
  }

  function quoteNode(replyTo) {
    const quoted = state.messages.get(replyTo);
    const quote = el("span", "quote");
    quote.dataset.replyTo = replyTo;
    quote.textContent = quoted ? `${quoted.sender_display_name}: ${snippet(quoted)}` : "Reply to an earlier message";
    quote.addEventListener("click", () => {
      const target = box.querySelector(`.msg[data-id="${replyTo}"]`);
      if (!target) return;
      target.scrollIntoView({ block: "center" });
      target.classList.add("highlight");
      setTimeout(() => target.classList.remove("highlight"), 1500);
    });
    return quote;
  }

  function refreshQuotes() {
    for (const quote of box.querySelectorAll(".quote")) {
      const quoted = state.messages.get(Number(quote.dataset.replyTo));
      if (quoted) quote.textContent = `${quoted.sender_display_name}: ${snippet(quoted)}`;
    }
  }

  // A shared public account article (the message's `card`, which follows the article): a
  // card that opens it, or a line saying it was removed.
  function articleLine(card) {
    return card.state === "published" ? `[Article] ${card.title}` : "[Article removed]";
  }

  function articleCard(card) {
    if (card.state !== "published") {
      const gone = el("span", "article-card gone");
      const text = el("span", "article-card-text");
      text.append(el("strong", "article-card-title", "Article not available"),
        el("span", "article-card-excerpt", "It was removed."));
      gone.append(text);
      return gone;
    }
    const link = el("a", "article-card");
    link.href = card.url;
    if (card.cover) {
      const img = el("img", "article-card-cover");
      img.src = card.cover.thumbnail_url;
      img.alt = "";
      img.loading = "lazy";
      link.append(img);
    }
    const text = el("span", "article-card-text");
    text.append(el("strong", "article-card-title", card.title));
    if (card.account) text.append(el("span", "article-card-account", card.account.name));
    link.append(text);
    return link;
  }

  // Moderation: others see a removed message as this marker in its place; its sender sees it
  // whole, with one of these notes (a held one is theirs alone until it is reviewed).
  const REMOVED_TEXT = "(message removed by a moderator)";
  const MODERATION_NOTES = {
    held: "Under review: only you can see this message for now.",
    removed: "Removed by a moderator: only you can see it.",
  };

  function messageNode(m, pending) {
    const mine = m.sender === me;
    const blank = m.recalled || m.removed;
    const node = el("div", "msg" + (mine ? " mine" : "") + (blank ? " recalled" : ""));
    const c = state.conversations.get(m.conversation_id);
    const name = mine ? root.dataset.meName : m.sender_display_name;
    const avatar = el("div", "avatar", [...(name || "?")][0].toUpperCase());
    avatar.setAttribute("aria-hidden", "true");
    node.append(avatar);
    const body = el("div", "msg-body");
    const group = c && c.kind === "group";
    const who = el("span", mine || !group ? "who visually-hidden" : "who", mine ? "You" : name);
    if (!mine) {
      // The username beside the name: two people may pick the same display name.
      who.append(" ", el("span", "handle", "@" + m.sender));
    }
    body.append(who);
    const bubble = el("div", "bubble");
    if (m.reply_to && !blank) bubble.append(quoteNode(m.reply_to));
    if (m.recalled) bubble.append("(message recalled)");
    else if (m.removed) bubble.append(REMOVED_TEXT);
    else {
      const shown = pending ? pending.previews || [] : m.media || [];
      if (shown.length) bubble.append(picturesNode(shown, Boolean(pending)));
      if (m.text) bubble.append(linkified(m.text));
      if (m.card) bubble.append(articleCard(m.card));
    }
    const created = m.created_at ? new Date(m.created_at) : new Date();
    bubble.title = created.toLocaleString();
    const row = el("div", "bubble-row");
    row.append(bubble);
    body.append(row);
    if (m.moderation && MODERATION_NOTES[m.moderation]) {
      body.append(el("div", "moderation-note", MODERATION_NOTES[m.moderation]));
    }
    if (pending) {
      node.classList.add("pending");
      node.dataset.clientId = m.client_id;
      node.dataset.time = String(created.getTime());
      body.append(deliveryLine(pending));
    } else {
      node.dataset.id = m.id;
      node.dataset.seq = m.seq;
      node.dataset.time = String(created.getTime());
      if (!blank) {
        const actions = el("div", "actions");
        actions.append(button("Reply", "secondary", () => startReply(m)));
        if (mine && Date.now() - created.getTime() < RECALL_WINDOW_MS) {
          actions.append(button("Recall", "secondary", () => recall(m.id)));
        }
        if (!mine) actions.append(reportButton(m, name));
        row.append(actions);
        // On a touch screen the buttons show after a tap on the bubble.
        bubble.addEventListener("click", (event) => {
          if (event.target.closest("a, .quote")) return;
          node.classList.toggle("open");
        });
      }
    }
    node.append(body);
    return node;
  }

  // Opens the report dialog (report.js) for a message someone else sent.
  function reportButton(m, name) {
    const b = el("button", "secondary", "Report");
    b.type = "button";
    b.dataset.report = "message";
    b.dataset.reportId = m.id;
    b.dataset.reportLabel = `Message from ${name}: “${snippet(m)}”`;
    b.setAttribute("aria-label", `Report message from ${name}`);
    b.setAttribute("aria-haspopup", "dialog");
    return b;
  }

  // A message's pictures: thumbnails that open the full picture; while sending, the local
  // previews of the files being uploaded.
  function picturesNode(items, local) {
    const grid = el("div", "pictures" + (items.length === 1 ? " one" : ""));
    for (const item of items) {
      const img = el("img");
      img.alt = local ? "Picture being sent" : "Picture";
      img.loading = "lazy";
      if (local) {
        img.src = item;
        const frame = el("span", "local");
        frame.append(img);
        grid.append(frame);
        continue;
      }
      img.src = item.thumbnail_url;
      img.width = item.width;
      img.height = item.height;
      const link = el("a");
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.setAttribute("aria-label", `Open picture (${item.width}×${item.height})`);
      link.append(img);
      grid.append(link);
    }
    return grid;
  }

  function renderAttachments() {
    const strip = $("previews");
    strip.replaceChildren();
    state.attachments.forEach((a, index) => {
      const tile = el("div", "attach-preview");
      const img = el("img");
      img.alt = a.file.name || "picture";
      img.src = a.url;
      // A browser that cannot show the kind (HEIC, say) shows its name instead.
      img.addEventListener("error", () => img.replaceWith(a.file.name || "picture"));
      tile.append(img);
      const remove = button("×", "secondary small", () => {
        URL.revokeObjectURL(a.url);
        state.attachments.splice(index, 1);
        renderAttachments();
        updateNote();
      });
      remove.setAttribute("aria-label", `Remove ${a.file.name || "picture"}`);
      tile.append(remove);
      strip.append(tile);
    });
    strip.hidden = state.attachments.length === 0;
  }

  function addAttachments(files) {
    const room = MAX_PICTURES - state.attachments.length;
    const picked = [...files].slice(0, Math.max(0, room));
    for (const file of picked) state.attachments.push({ file, url: URL.createObjectURL(file) });
    renderAttachments();
    updateNote();
    if (files.length > picked.length) {
      const note = $("composer-note");
      note.textContent = `A message holds at most ${MAX_PICTURES} pictures.`;
      note.className = "composer-note over";
      note.hidden = false;
    }
  }

  function deliveryLine(entry) {
    const line = el("div", "delivery");
    line.setAttribute("role", "status");
    if (entry.status === "failed") {
      line.append(el("span", "", entry.note ? `not sent: ${entry.note} —` : "not sent —"));
      line.append(button("Retry", "secondary small", () => deliver(entry, true)));
      line.append(button("Discard", "secondary small", () => discard(entry)));
    } else {
      const doing = entry.files && entry.files.length ? "uploading pictures…" : "sending…";
      line.append(el("span", "", entry.note ? `${doing} (${entry.note})` : doing));
    }
    return line;
  }

  function renderPending(entry) {
    if (entry.conversation_id !== state.current) return;
    const fake = {
      sender: me, text: entry.text, reply_to: entry.reply_to, client_id: entry.client_id,
      conversation_id: entry.conversation_id, created_at: entry.created_at,
    };
    const node = messageNode(fake, entry);
    node.classList.toggle("failed", entry.status === "failed");
    const existing = box.querySelector(`.msg.pending[data-client-id="${CSS.escape(entry.client_id)}"]`);
    if (existing) existing.replaceWith(node);
    else box.append(node);
  }

  // Shows a message of the open conversation (or replaces its earlier version).
  function renderMessage(m, { quiet = false } = {}) {
    if (m.conversation_id !== state.current) return;
    const wasAtBottom = atBottom();
    state.messages.set(m.id, m);
    let mineJustSent = false;
    if (m.sender === me && state.outbox.has(m.client_id)) {
      settle(m.client_id);
      mineJustSent = true;
    }
    const pendingNode = box.querySelector(`.msg.pending[data-client-id="${CSS.escape(m.client_id || "")}"]`);
    if (pendingNode && m.sender === me) pendingNode.remove();
    const node = messageNode(m, null);
    const existing = box.querySelector(`.msg[data-id="${m.id}"]`);
    if (existing) {
      existing.replaceWith(node);
      return;
    }
    place(node, m.seq);
    if (quiet) return;
    decorate();
    refreshQuotes();
    updateEdge();
    if (wasAtBottom || mineJustSent || m.sender === me) scrollToBottom();
    else noteUnseen();
  }

  // Group changes between the messages of a page of history, as system lines (seq from..to).
  async function loadChanges(id, fromSeq, toSeq) {
    let cursor = null;
    for (let pages = 0; pages < 20; pages++) {
      const query = new URLSearchParams({ from_seq: String(fromSeq), limit: "200" });
      if (toSeq != null) query.set("to_seq", String(toSeq));
      if (cursor) query.set("cursor", cursor);
      let page;
      try {
        page = await api("GET", `/conversations/${id}/changes?${query}`);
      } catch (_) {
        return; // the lines are a nicety; the messages are already shown
      }
      if (id !== state.current) return;
      for (const change of page.items) {
        for (const [username, name] of Object.entries(change.names || {})) {
          if (!state.names.has(username)) state.names.set(username, name);
        }
        systemLine(change);
      }
      cursor = page.next_cursor;
      if (!cursor) return;
    }
  }

  function systemLine(event) {
    if (event.conversation_id !== state.current) return;
    // Changes that are not messages carry the seq of the last message and their own rev.
    if (event.rev != null && box.querySelector(`.system[data-rev="${event.rev}"]`)) return;
    let text = null;
    const by = event.by;
    if (event.type === "member.added") {
      text = by && by !== event.user ? `${nameOf(by)} added ${nameOf(event.user)}` : `${nameOf(event.user)} joined`;
    } else if (event.type === "member.removed") {
      text = !by || by === event.user ? `${nameOf(event.user)} left the group` : `${nameOf(by)} removed ${nameOf(event.user)}`;
    } else if (event.type === "conversation.updated" && typeof event.title === "string") {
      text = event.title ? `${nameOf(by)} renamed the group to “${event.title}”` : `${nameOf(by)} removed the group name`;
    }
    if (!text) return;
    const wasAtBottom = atBottom();
    const line = el("p", "system", text);
    line.setAttribute("role", "note");
    if (event.rev != null) line.dataset.rev = event.rev;
    if (event.seq != null) {
      line.dataset.seq = event.seq;
      place(line, event.seq);
    } else {
      box.insertBefore(line, box.querySelector(".msg.pending"));
    }
    if (wasAtBottom) scrollToBottom();
  }

  // Date separators between days, a time label where a pause of 5 minutes or more begins.
  function decorate() {
    for (const sep of box.querySelectorAll(".sep")) sep.remove();
    let previous = null;
    for (const node of box.querySelectorAll(".msg")) {
      const time = Number(node.dataset.time);
      if (!time) continue;
      const date = new Date(time);
      let sep = null;
      if (!previous || new Date(previous).toDateString() !== date.toDateString()) {
        sep = el("div", "sep day");
        sep.append(el("span", "", `${dayLabel(date)} ${timeLabel(date)}`));
      } else if (time - previous >= GROUP_GAP_MS) {
        sep = el("div", "sep");
        sep.append(el("span", "", timeLabel(date)));
      }
      if (sep) {
        sep.setAttribute("role", "separator");
        const prev = node.previousElementSibling;
        (prev && prev.classList.contains("unread-divider") ? prev : node).before(sep);
      }
      previous = time;
    }
  }

  // ---------------------------------------------------------------- composing and sending

  function updateNote() {
    const note = $("composer-note");
    const count = charCount(textBox.value);
    const over = count - MAX_CHARS;
    if (over > 0) {
      note.textContent = `${over} over the limit: a message holds at most ${MAX_CHARS} characters. Shorten it to send.`;
      note.className = "composer-note over";
      note.hidden = false;
    } else if (count > MAX_CHARS - 200) {
      note.textContent = `${MAX_CHARS - count} characters left`;
      note.className = "composer-note hint";
      note.hidden = false;
    } else {
      note.hidden = true;
    }
    $("send").disabled = over > 0;
    $("attach").disabled = state.attachments.length >= MAX_PICTURES;
    textBox.setAttribute("aria-invalid", over > 0 ? "true" : "false");
  }

  function startReply(m) {
    state.replyTo = m;
    $("reply-text").textContent = `Replying to ${m.sender === me ? "yourself" : m.sender_display_name}: ${snippet(m)}`;
    $("reply-bar").hidden = false;
    textBox.focus();
  }

  function clearReply() {
    state.replyTo = null;
    $("reply-bar").hidden = true;
  }

  function submitDraft() {
    const text = textBox.value;
    const pictures = state.attachments.splice(0);
    if ((!text.trim() && !pictures.length) || !state.current || state.left.has(state.current)) {
      state.attachments = pictures;
      return;
    }
    if (charCount(text) > MAX_CHARS) {
      state.attachments = pictures;
      updateNote();
      return;
    }
    // One draft = one client_id, kept for every retry, so the server stores it once.
    const entry = {
      client_id: newClientId(),
      conversation_id: state.current,
      text,
      reply_to: state.replyTo ? state.replyTo.id : null,
      created_at: new Date().toISOString(),
      status: "sending",
      note: "",
      inflight: false,
      auto: true,
      // Uploaded first, one by one; each uploaded file's id joins media_ids.
      files: pictures.map((a) => a.file),
      previews: pictures.map((a) => a.url),
      media_ids: [],
    };
    state.outbox.set(entry.client_id, entry);
    saveOutbox();
    renderAttachments();
    textBox.value = "";
    clearReply();
    updateNote();
    renderPending(entry);
    decorate();
    scrollToBottom();
    textBox.focus();
    deliver(entry);
  }

  function refreshEntry(entry) {
    if (state.outbox.has(entry.client_id)) renderPending(entry);
    saveOutbox();
  }

  // Unsent drafts survive a reload of this tab (sessionStorage: gone with the tab, so nothing
  // stays behind on a shared computer); the same client_id goes again, so never twice.
  const OUTBOX_KEY = "plaza.outbox." + me;
  // Pictures not yet uploaded cannot be kept (files stay with the page): such a draft is not.
  const KEPT = ["client_id", "conversation_id", "text", "reply_to", "created_at", "status", "note", "auto",
    "media_ids"];

  function saveOutbox() {
    try {
      const kept = [...state.outbox.values()]
        .filter((e) => !(e.files && e.files.length))
        .map((e) => Object.fromEntries(KEPT.map((k) => [k, e[k]])));
      if (kept.length) sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(kept));
      else sessionStorage.removeItem(OUTBOX_KEY);
    } catch (_) {
      // Storage full or disabled: the outbox still works for this page's life.
    }
  }

  function restoreOutbox() {
    let kept = [];
    try {
      kept = JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "[]");
    } catch (_) {
      kept = [];
    }
    for (const e of kept) {
      if (!e || typeof e.client_id !== "string" || typeof e.text !== "string") continue;
      state.outbox.set(e.client_id, { ...e, status: e.status === "failed" ? "failed" : "sending", inflight: false });
    }
  }

  async function deliver(entry, byHand = false) {
    if (entry.inflight || !state.outbox.has(entry.client_id)) return;
    if (byHand) entry.auto = true;
    clearTimeout(entry.timer);
    entry.inflight = true;
    entry.status = "sending";
    entry.note = "";
    refreshEntry(entry);
    if (entry.files && entry.files.length) {
      try {
        while (entry.files.length) {
          const picture = await upload(entry.files[0]);
          entry.media_ids.push(picture.id);
          entry.files.shift();
        }
      } catch (error) {
        entry.inflight = false;
        sendError(entry, error);
        return;
      }
      refreshEntry(entry);
    }
    const frame = { type: "send", conversation_id: entry.conversation_id, client_id: entry.client_id, text: entry.text };
    if (entry.reply_to) frame.reply_to = entry.reply_to;
    if (entry.media_ids && entry.media_ids.length) frame.media_ids = entry.media_ids;
    if (stream.send(frame)) {
      entry.via = "stream";
      entry.timer = setTimeout(() => {
        if (!entry.inflight || !state.outbox.has(entry.client_id)) return;
        entry.inflight = false;
        failed(entry, "no answer from the server", true);
      }, SEND_TIMEOUT_MS);
      return;
    }
    entry.via = "post";
    const body = { client_id: entry.client_id, text: entry.text };
    if (entry.reply_to) body.reply_to = entry.reply_to;
    if (entry.media_ids && entry.media_ids.length) body.media_ids = entry.media_ids;
    try {
      const message = await api("POST", `/conversations/${entry.conversation_id}/messages`, body);
      entry.inflight = false;
      delivered(message);
    } catch (error) {
      entry.inflight = false;
      sendError(entry, error);
    }
  }

  function failed(entry, note, auto) {
    entry.status = "failed";
    entry.note = note;
    entry.auto = auto;
    refreshEntry(entry);
  }

  function sendError(entry, error) {
    if (!state.outbox.has(entry.client_id)) return;
    if (error instanceof TypeError || !(error instanceof ApiError || error.code)) {
      return failed(entry, navigator.onLine ? "no connection to the server" : "you are offline", true);
    }
    const code = error.code;
    if (code === "rate_limited" || error.status === 429) {
      const wait = Math.max(1, Math.ceil(Number(error.retryAfter) || 5));
      entry.status = "sending";
      entry.note = `sending too fast, trying again in ${wait}s`;
      entry.retryAt = Date.now() + wait * 1000;
      refreshEntry(entry);
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => deliver(entry), wait * 1000);
      return;
    }
    if (code === "unavailable" || (error.status && error.status >= 500)) {
      return failed(entry, "the server is busy", true);
    }
    // invalid, forbidden, not_found...: trying again by itself would not help.
    failed(entry, error.message, false);
  }

  function settle(clientId) {
    const entry = state.outbox.get(clientId);
    if (!entry) return;
    clearTimeout(entry.timer);
    state.outbox.delete(clientId);
    saveOutbox();
    // The sent message shows the server's thumbnails from now on.
    for (const url of entry.previews || []) URL.revokeObjectURL(url);
  }

  function delivered(message) {
    const c = state.conversations.get(message.conversation_id);
    if (c && (!c.last_message || c.last_message.seq <= message.seq)) {
      c.last_message = message;
      bringToTop(c);
      renderList();
    }
    if (message.conversation_id === state.current) renderMessage(message);
    else settle(message.client_id);
  }

  function discard(entry) {
    settle(entry.client_id);
    const node = box.querySelector(`.msg.pending[data-client-id="${CSS.escape(entry.client_id)}"]`);
    if (node) node.remove();
  }

  // Sends again what is waiting: when the stream is back, and every little while.
  function flushOutbox() {
    for (const entry of state.outbox.values()) {
      if (!entry.inflight && entry.auto && !(entry.retryAt > Date.now())) deliver(entry);
    }
  }

  async function recall(id) {
    const node = box.querySelector(`.msg[data-id="${id}"]`);
    try {
      await api("DELETE", `/conversations/${state.current}/messages/${id}`);
    } catch (error) {
      if (node) showMessageError(node, error.message);
    }
  }

  function showMessageError(node, text) {
    let line = node.querySelector(".msg-error");
    if (!line) {
      line = el("div", "delivery msg-error");
      line.setAttribute("role", "alert");
      node.querySelector(".msg-body").append(line);
    }
    line.textContent = text;
    setTimeout(() => line.remove(), 6000);
  }

  // ---------------------------------------------------------------- live events

  function bringToTop(c) {
    state.conversations.delete(c.id);
    state.conversations = new Map([[c.id, c], ...state.conversations]);
  }

  function bumpRev(event) {
    if (event.rev !== undefined && event.conversation_id !== undefined) {
      const known = state.revs.get(event.conversation_id) || 0;
      if (event.rev > known) state.revs.set(event.conversation_id, event.rev);
    }
  }

  function markLeft(conversationId, by) {
    const line = !by || by === me ? "You left this group." : `${nameOf(by)} removed you from this group.`;
    state.left.set(conversationId, line);
    updateEdge();
    if (conversationId === state.current) {
      const c = state.conversations.get(conversationId);
      if (c) showConversationChrome(c);
      else {
        $("composer-wrap").hidden = true;
        $("manage").hidden = true;
        $("left-line").textContent = line;
        $("left-line").hidden = false;
        closeMembers();
      }
    }
    for (const entry of [...state.outbox.values()]) {
      if (entry.conversation_id === conversationId) failed(entry, "you are no longer in this group", false);
    }
  }

  // Moderation held, removed or restored a message (see plaza.chat.service.moderation_state).
  function onModerated(event, c) {
    const known = state.messages.get(event.message_id);
    const shown = event.conversation_id === state.current;
    const node = shown && box.querySelector(`.msg[data-id="${event.message_id}"]`);
    let changed = null; // the message as this person now sees it; null: not at all
    if (event.type === "message.restored") changed = event.message;
    else if (known && known.sender === me) changed = { ...known, moderation: event.type.slice(8) };
    else if (known && event.type === "message.removed") {
      changed = { ...known, removed: true, text: "", media: [], card: null };
    }
    if (changed && shown) renderMessage(changed, { quiet: true });
    else if (node) node.remove();
    if (known && !changed) state.messages.delete(event.message_id);
    refreshQuotes();
    // The conversation's last message as this person sees it may have changed: ask again.
    const last = c && c.last_message;
    if (last && (last.id === event.message_id || (changed && changed.seq > last.seq))) {
      loadConversations().catch(() => {});
    }
  }

  async function onEvent(event) {
    window.Plaza.onCommonEvent(event);
    bumpRev(event);
    const c = state.conversations.get(event.conversation_id);
    switch (event.type) {
      case "resumed": // the server's database is back after a hold
      case "ready":
        flushOutbox();
        if (!state.loaded) loadConversations().catch(() => {});
        if (state.current && state.loadFailed) openConversation(state.current);
        return;
      case "sent": {
        const entry = state.outbox.get(event.client_id);
        if (entry) entry.inflight = false;
        if (event.message) delivered(event.message);
        return;
      }
      case "error": {
        const entry = event.client_id && state.outbox.get(event.client_id);
        if (!entry) return;
        entry.inflight = false;
        clearTimeout(entry.timer);
        sendError(entry, new ApiError(0, event.code, event.message, event.retry_after));
        return;
      }
      case "message.new":
        if (!c) return loadConversations();
        if (!c.last_message || c.last_message.seq <= event.message.seq) c.last_message = event.message;
        if (event.conversation_id === state.current) {
          renderMessage(event.message);
          if (event.message.sender !== me) {
            if (document.visibilityState === "visible") markRead();
            else c.unread = (c.unread || 0) + 1; // counted in the tab title until seen
          }
        } else if (event.message.sender !== me) {
          c.unread = (c.unread || 0) + 1;
        }
        if (event.message.sender === me) settle(event.message.client_id);
        bringToTop(c);
        return renderList();
      case "message.recalled": {
        if (c && c.last_message && c.last_message.id === event.message_id) {
          c.last_message = { ...c.last_message, recalled: true, text: "" };
          renderList();
        }
        const m = state.messages.get(event.message_id);
        if (m && event.conversation_id === state.current) {
          const recalled = { ...m, recalled: true, text: "", media: [] };
          state.messages.set(m.id, recalled);
          const node = box.querySelector(`.msg[data-id="${m.id}"]`);
          if (node) node.replaceWith(messageNode(recalled, null));
          refreshQuotes();
        }
        return;
      }
      case "message.held":
      case "message.removed":
      case "message.restored":
        return onModerated(event, c);
      case "conversation.reset":
        if (event.conversation_id === state.current) return openConversation(state.current);
        return;
      case "member.added":
      case "member.removed":
      case "conversation.updated":
      case "conversation.joined":
        if (event.type === "member.removed" && event.user === me) markLeft(event.conversation_id, event.by);
        if (event.type === "conversation.joined") state.left.delete(event.conversation_id);
        try {
          await loadConversations(); // first, to know the names of people who just joined
        } catch (_) {
          // The line below still says it, with usernames.
        }
        systemLine(event);
        if (event.conversation_id === state.current) {
          const fresh = state.conversations.get(state.current);
          if (fresh) showConversationChrome(fresh);
          if (!$("members-panel").hidden) renderMembers();
        }
        return;
      default:
        return; // read markers, pong and anything new need nothing on this page
    }
  }

  const STATUS_TEXT = { connecting: "connecting…", live: "live", offline: "offline", busy: "server busy, waiting…" };

  function onState(connection, detail) {
    state.connection = connection;
    const status = $("status");
    status.dataset.state = connection;
    status.textContent = connection === "offline" && detail ? `offline: ${detail}` : STATUS_TEXT[connection];
    status.title = detail || "";
    if (connection === "offline") {
      // What was sent over the stream is unanswered: it goes again (same client_id) later.
      for (const entry of state.outbox.values()) {
        if (entry.inflight && entry.via === "stream") {
          entry.inflight = false;
          clearTimeout(entry.timer);
          refreshEntry(entry);
        }
      }
    }
  }

  function resumeFrame() {
    const resume = {};
    for (const [id, rev] of state.revs) resume[id] = rev;
    return { type: "resume", conversations: resume };
  }

  // ---------------------------------------------------------------- members panel

  function closeMembers() {
    $("members-panel").hidden = true;
    $("manage").setAttribute("aria-expanded", "false");
  }

  function membersError(text) {
    const line = $("members-error");
    line.textContent = text || "";
    line.hidden = !text;
  }

  function renderMembers() {
    const c = state.conversations.get(state.current);
    if (!c) return;
    const manager = c.my_role === "owner" || c.my_role === "admin";
    const list = el("ul", "people");
    for (const m of c.members) {
      const item = el("li");
      item.append(el("span", "", `${m.display_name} (@${m.username}) · ${m.role}`));
      if (manager && m.username !== me && m.role !== "owner") {
        item.append(button("Remove", "secondary small", async () => {
          const yes = await window.Plaza.confirmDialog(`Remove ${m.display_name} from the group?`, "Remove");
          if (yes) removeMember(m.username);
        }));
      }
      list.append(item);
    }
    $("member-list").replaceChildren(list);
    $("rename-form").hidden = !manager;
    $("rename").value = c.title;
    const members = new Set(c.members.map((m) => m.username));
    const select = $("add-member");
    select.replaceChildren();
    for (const f of state.friends) {
      if (members.has(f.username)) continue;
      const option = el("option", "", f.label);
      option.value = f.username;
      select.append(option);
    }
    $("add-member-form").hidden = !manager || select.options.length === 0;
    $("add-none").hidden = !manager || select.options.length > 0;
  }

  async function removeMember(username) {
    membersError("");
    const id = state.current;
    try {
      await api("DELETE", `/conversations/${id}/members/${encodeURIComponent(username)}`);
      if (username === me) markLeft(id, me);
    } catch (error) {
      membersError(error.message);
    }
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      submitDraft();
      textBox.focus(); // the Send button must not take the focus away from the box
    });
    $("send").addEventListener("mousedown", (event) => event.preventDefault());
    textBox.addEventListener("compositionstart", () => { state.composing = true; });
    textBox.addEventListener("compositionend", () => { state.composing = false; });
    textBox.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey) return;
      // Enter that picks a word in an input method (Chinese, Japanese...) is not "send".
      if (event.isComposing || event.keyCode === 229 || state.composing) return;
      event.preventDefault();
      submitDraft();
    });
    textBox.addEventListener("input", updateNote);
    $("attach").addEventListener("click", () => $("attach-input").click());
    $("attach-input").addEventListener("change", (event) => {
      addAttachments(event.target.files || []);
      event.target.value = ""; // the same file may be picked again
      textBox.focus();
    });
    $("reply-cancel").addEventListener("click", () => {
      clearReply();
      textBox.focus();
    });
    box.addEventListener("scroll", () => {
      if (box.scrollTop < 200) loadOlder();
      if (atBottom()) {
        state.unseen = 0;
        $("new-pill").hidden = true;
      }
    }, { passive: true });
    $("new-pill").addEventListener("click", scrollToBottom);
    $("back").addEventListener("click", () => {
      history.pushState({ id: null }, "", "/chat");
      showList();
    });
    window.addEventListener("popstate", () => {
      const match = location.pathname.match(/^\/chat\/(\d+)$/);
      if (match) openConversation(Number(match[1]));
      else showList();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && state.current) markRead();
      updateTitle();
    });
    $("manage").addEventListener("click", () => {
      const panel = $("members-panel");
      panel.hidden = !panel.hidden;
      $("manage").setAttribute("aria-expanded", String(!panel.hidden));
      membersError("");
      if (!panel.hidden) {
        renderMembers();
        $("members-close").focus();
      }
    });
    $("members-close").addEventListener("click", () => {
      closeMembers();
      $("manage").focus();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !$("members-panel").hidden) closeMembers();
    });
    $("rename-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      membersError("");
      try {
        await api("PATCH", "/conversations/" + state.current, { title: $("rename").value });
      } catch (error) {
        membersError(error.message);
      }
    });
    $("add-member-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      membersError("");
      try {
        await api("POST", `/conversations/${state.current}/members`, { username: $("add-member").value });
      } catch (error) {
        membersError(error.message);
      }
    });
    $("leave").addEventListener("click", async () => {
      const yes = await window.Plaza.confirmDialog("Leave this group? You will stop getting its messages.", "Leave group");
      if (yes) removeMember(me);
    });
    const dialog = $("group-dialog");
    const groupError = (text) => {
      $("group-error").textContent = text || "";
      $("group-error").hidden = !text;
    };
    $("new-group").addEventListener("click", () => {
      groupError("");
      dialog.showModal();
    });
    $("group-cancel").addEventListener("click", () => dialog.close());
    $("group-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const members = [...document.querySelectorAll('#group-form input[name="member"]:checked')].map((i) => i.value);
      if (members.length === 0) {
        groupError(state.friends.length ? "Pick at least one friend for the group." : "Add friends first: a group needs at least one friend.");
        return;
      }
      groupError("");
      try {
        const c = await api("POST", "/conversations", { kind: "group", members, title: $("group-title").value });
        dialog.close();
        $("group-form").reset();
        await loadConversations();
        await openConversation(c.id, { push: true });
      } catch (error) {
        groupError(error.message);
      }
    });
  }

  let stream = { ready: false, send: () => false };

  async function start() {
    restoreOutbox();
    wire();
    updateNote();
    try {
      await loadConversations();
    } catch (error) {
      box.replaceChildren(el("p", "history-edge", "Could not load your chats: " + error.message));
    }
    stream = window.Plaza.stream({ onEvent, onState, resumeFrame });
    setInterval(() => {
      if (navigator.onLine) flushOutbox();
    }, 10000);
    if (state.current) await openConversation(state.current);
  }

  start();
})();
