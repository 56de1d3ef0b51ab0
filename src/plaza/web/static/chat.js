// Plaza chat client: the JSON API for commands, the live stream for events.
// User text is only ever put into the page with textContent, never as HTML.
"use strict";

const root = document.getElementById("chat");
const me = root.dataset.me;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const RECALL_WINDOW_MS = 120 * 1000;
const state = {
  conversations: new Map(), // id -> conversation from the API
  revs: new Map(),          // id -> last revision seen on the stream
  current: root.dataset.conversation ? Number(root.dataset.conversation) : null,
  shown: new Set(),         // message ids shown in the open conversation
  socket: null,
  backoff: 500,
};
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const response = await fetch("/api/v1" + path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json();
  if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function titleOf(c) {
  if (c.title) return c.title;
  const others = c.members.filter((m) => m.username !== me).map((m) => m.display_name);
  return others.join(", ") || "Just me";
}

async function loadConversations() {
  const page = await api("GET", "/conversations?limit=200");
  state.conversations.clear();
  for (const c of page.items) {
    state.conversations.set(c.id, c);
    if (!state.revs.has(c.id)) state.revs.set(c.id, c.rev);
  }
  renderList();
}

function renderList() {
  const list = $("conversations");
  list.replaceChildren();
  for (const c of state.conversations.values()) {
    const link = el("a", c.id === state.current ? "active" : "");
    link.href = "/chat/" + c.id;
    link.dataset.id = c.id;
    const title = el("div", "title");
    title.append(el("span", "", titleOf(c)));
    if (c.unread > 0 && c.id !== state.current) title.append(el("span", "badge", String(c.unread)));
    link.append(title);
    const last = c.last_message;
    link.append(el("div", "preview", last ? (last.recalled ? "(message recalled)" : last.sender_display_name + ": " + last.text) : ""));
    link.addEventListener("click", (event) => {
      event.preventDefault();
      openConversation(c.id);
    });
    list.append(link);
  }
}

function renderMessage(m) {
  const existing = document.querySelector(`.msg[data-id="${m.id}"]`);
  const node = el("div", "msg" + (m.sender === me ? " mine" : "") + (m.recalled ? " recalled" : ""));
  node.dataset.id = m.id;
  node.dataset.seq = m.seq;
  node.append(el("span", "who", `${m.sender_display_name} (@${m.sender}) · ${new Date(m.created_at).toLocaleTimeString()}`));
  node.append(el("div", "bubble", m.recalled ? "(message recalled)" : m.text));
  if (m.sender === me && !m.recalled && Date.now() - new Date(m.created_at).getTime() < RECALL_WINDOW_MS) {
    const actions = el("div", "actions");
    const button = el("button", "secondary", "Recall");
    button.type = "button";
    button.addEventListener("click", () => recall(m.id));
    actions.append(button);
    node.append(actions);
  }
  const box = $("messages");
  if (existing) {
    existing.replaceWith(node);
    return;
  }
  // Keep seq order even if a replayed message arrives after a newer one.
  const later = [...box.querySelectorAll(".msg")].find((n) => Number(n.dataset.seq) > m.seq);
  box.insertBefore(node, later || null);
  state.shown.add(m.id);
  box.scrollTop = box.scrollHeight;
}

async function openConversation(id) {
  state.current = id;
  history.replaceState(null, "", "/chat/" + id);
  const c = await api("GET", "/conversations/" + id);
  state.conversations.set(id, c);
  $("conv-title").textContent = titleOf(c);
  $("composer").hidden = false;
  $("manage").hidden = c.kind !== "group";
  $("members-panel").hidden = true;
  $("messages").replaceChildren();
  state.shown.clear();
  const page = await api("GET", `/conversations/${id}/messages?limit=100`);
  page.items.forEach(renderMessage);
  await markRead();
  renderList();
  $("text").focus();
}

async function markRead() {
  const c = state.conversations.get(state.current);
  if (!c) return;
  await api("POST", `/conversations/${c.id}/read`, {});
  c.unread = 0;
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim() || !state.current) return;
  const clientId = crypto.randomUUID();
  $("send").disabled = true;
  try {
    // Retried with the same client_id on a network error: the server answers with the first.
    let message = null;
    for (let attempt = 0; attempt < 3 && !message; attempt++) {
      try {
        message = await api("POST", `/conversations/${state.current}/messages`, { client_id: clientId, text });
      } catch (error) {
        if (!(error instanceof TypeError) || attempt === 2) throw error;
      }
    }
    $("text").value = "";
    renderMessage(message);
  } catch (error) {
    setStatus("not sent: " + error.message);
  } finally {
    $("send").disabled = false;
  }
}

async function recall(id) {
  try {
    await api("DELETE", `/conversations/${state.current}/messages/${id}`);
  } catch (error) {
    setStatus(error.message);
  }
}

function setStatus(text) {
  $("status").textContent = text;
}

function bumpRev(event) {
  if (event.rev !== undefined && event.conversation_id !== undefined) {
    const known = state.revs.get(event.conversation_id) || 0;
    if (event.rev > known) state.revs.set(event.conversation_id, event.rev);
  }
}

async function onEvent(event) {
  bumpRev(event);
  const c = state.conversations.get(event.conversation_id);
  switch (event.type) {
    case "ready": {
      const resume = {};
      for (const [id, rev] of state.revs) resume[id] = rev;
      state.socket.send(JSON.stringify({ type: "resume", conversations: resume }));
      setStatus("live");
      return;
    }
    case "message.new":
      if (!c) return loadConversations();
      c.last_message = event.message;
      if (event.conversation_id === state.current) {
        renderMessage(event.message);
        if (event.message.sender !== me) markRead();
      } else if (event.message.sender !== me) {
        c.unread += 1;
      }
      // Most recent activity first.
      state.conversations.delete(c.id);
      state.conversations = new Map([[c.id, c], ...state.conversations]);
      return renderList();
    case "message.recalled":
      if (c && c.last_message && c.last_message.id === event.message_id) {
        c.last_message = { ...c.last_message, recalled: true, text: "" };
        renderList();
      }
      if (event.conversation_id === state.current) {
        const node = document.querySelector(`.msg[data-id="${event.message_id}"]`);
        if (node) {
          node.classList.add("recalled");
          node.querySelector(".bubble").textContent = "(message recalled)";
          const actions = node.querySelector(".actions");
          if (actions) actions.remove();
        }
      }
      return;
    case "conversation.reset":
      if (event.conversation_id === state.current) return openConversation(state.current);
      return;
    case "member.added":
    case "member.removed":
    case "conversation.updated":
    case "conversation.joined":
      await loadConversations();
      if (event.type === "member.removed" && event.user === me && event.conversation_id === state.current) {
        state.current = null;
        $("messages").replaceChildren(el("p", "hint", "You are no longer in this group."));
        $("composer").hidden = true;
        return;
      }
      if (event.conversation_id === state.current) {
        const fresh = state.conversations.get(state.current);
        if (fresh) $("conv-title").textContent = titleOf(fresh);
        if (!$("members-panel").hidden) renderMembers();
      }
      return;
    default:
      return; // read markers and pong need nothing on this page
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/api/v1/stream");
  state.socket = socket;
  socket.onopen = () => { state.backoff = 500; };
  socket.onmessage = (message) => onEvent(JSON.parse(message.data));
  socket.onclose = () => {
    setStatus("reconnecting…");
    setTimeout(connect, state.backoff);
    state.backoff = Math.min(state.backoff * 2, 10000);
  };
}

function renderMembers() {
  const c = state.conversations.get(state.current);
  if (!c) return;
  const list = el("ul", "people");
  const mine = c.members.find((m) => m.username === me);
  const manager = mine && (mine.role === "owner" || mine.role === "admin");
  for (const m of c.members) {
    const item = el("li");
    item.append(el("span", "", `${m.display_name} (@${m.username}) · ${m.role}`));
    if (manager && m.username !== me && m.role !== "owner") {
      const remove = el("button", "secondary", "Remove");
      remove.type = "button";
      remove.addEventListener("click", () => removeMember(m.username));
      item.append(remove);
    }
    list.append(item);
  }
  $("member-list").replaceChildren(list);
  $("rename").value = c.title;
}

async function removeMember(username) {
  try {
    await api("DELETE", `/conversations/${state.current}/members/${encodeURIComponent(username)}`);
  } catch (error) {
    setStatus(error.message);
  }
}

function wire() {
  $("composer").addEventListener("submit", send);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) send(event);
  });
  $("manage").addEventListener("click", () => {
    $("members-panel").hidden = !$("members-panel").hidden;
    renderMembers();
  });
  $("rename-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await api("PATCH", "/conversations/" + state.current, { title: $("rename").value }); }
    catch (error) { setStatus(error.message); }
  });
  $("add-member-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await api("POST", `/conversations/${state.current}/members`, { username: $("add-member").value }); }
    catch (error) { setStatus(error.message); }
  });
  $("leave").addEventListener("click", () => removeMember(me));
  $("new-group").addEventListener("click", () => $("group-dialog").showModal());
  $("group-cancel").addEventListener("click", () => $("group-dialog").close());
  $("group-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const members = [...document.querySelectorAll('#group-form input[name="member"]:checked')].map((i) => i.value);
    try {
      const c = await api("POST", "/conversations", { kind: "group", members, title: $("group-title").value });
      $("group-dialog").close();
      await loadConversations();
      await openConversation(c.id);
    } catch (error) {
      setStatus(error.message);
    }
  });
}

async function start() {
  wire();
  await loadConversations();
  connect();
  if (state.current) await openConversation(state.current);
}

start();
