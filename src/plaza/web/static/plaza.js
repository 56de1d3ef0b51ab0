// Plaza's shared page script (every page): JSON API calls, the live stream with its close
// codes, confirmation dialogs for destructive buttons, and the friend-request badge.
// User text is only ever put into the page with textContent, never as HTML.
"use strict";

window.Plaza = (() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const signedIn = Boolean(document.getElementById("nav-friends"));

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  function toSignIn() {
    const next = location.pathname + location.search;
    location.assign("/signin?next=" + encodeURIComponent(next));
  }

  // Throws TypeError when the network is down, ApiError for an HTTP error. A 401 means the
  // session ended (signed out elsewhere, revoked, expired): back to sign-in. A 403 "csrf"
  // means the page's token is stale (it is derived from the session): reload the page.
  async function api(method, path, body) {
    const response = await fetch("/api/v1" + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.ok) return data;
    const error = (data && data.error) || {};
    if (response.status === 401) {
      toSignIn();
    } else if (response.status === 403 && error.code === "csrf") {
      location.reload();
    }
    const retry = Number(response.headers.get("Retry-After")) || error.retry_after;
    throw new ApiError(response.status, error.code || "http_" + response.status,
      error.message || response.statusText || "request failed", retry);
  }

  // Uploads a picture (POST /api/v1/media, multipart field `file`); answers its MediaOut.
  async function upload(file) {
    const form = new FormData();
    form.append("file", file, file.name || "picture");
    const response = await fetch("/api/v1/media", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": meta ? meta.content : "" },
      body: form,
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.ok) return data;
    const error = (data && data.error) || {};
    if (response.status === 401) toSignIn();
    const retry = Number(response.headers.get("Retry-After")) || error.retry_after;
    throw new ApiError(response.status, error.code || "http_" + response.status,
      error.message || response.statusText || "upload failed", retry);
  }

  // The live stream: reconnects with backoff, resumes, and reports a truthful state:
  // "connecting" | "live" | "offline" | "busy". Close codes (live/api.py): 4401 session
  // ended -> sign-in; 4403 origin refused -> stop; 1013 database unavailable -> long backoff;
  // anything else (4008 too slow, 1012/1001 restarting, network) -> reconnect and resume.
  function stream({ onEvent, onState, resumeFrame }) {
    const s = { socket: null, ready: false, backoff: 500, timer: null, stopped: false };
    const report = (state, detail) => onState && onState(state, detail || "");

    function schedule(delay, why) {
      clearTimeout(s.timer);
      const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
      report("offline", why);
      s.timer = setTimeout(open, wait);
    }

    function open() {
      clearTimeout(s.timer);
      if (s.stopped) return;
      if (!navigator.onLine) {
        report("offline", "");
        return; // the "online" event opens it again
      }
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + "/api/v1/stream");
      s.socket = socket;
      s.ready = false;
      report("connecting");
      socket.onmessage = (message) => {
        let event;
        try {
          event = JSON.parse(message.data);
        } catch (_) {
          return;
        }
        if (event.type === "ready") {
          s.ready = true;
          s.backoff = 500;
          const frame = resumeFrame ? resumeFrame() : null;
          if (frame) socket.send(JSON.stringify(frame));
          report("live");
        } else if (event.type === "hold") {
          report("busy", event.reason || "");
          return;
        } else if (s.ready) {
          report("live");
        }
        if (onEvent) onEvent(event);
      };
      socket.onclose = (close) => {
        if (s.socket !== socket) return;
        s.socket = null;
        s.ready = false;
        if (s.stopped) return;
        if (close.code === 4401) {
          s.stopped = true;
          report("offline", "signed out");
          toSignIn();
          return;
        }
        if (close.code === 4403) {
          s.stopped = true;
          report("offline", "this address may not open the live stream");
          return;
        }
        if (close.code === 1013) {
          s.backoff = Math.max(s.backoff, 5000);
          schedule(s.backoff, "server unavailable, trying again soon");
          s.backoff = Math.min(s.backoff * 2, 60000);
          return;
        }
        const quick = close.code === 4008 || close.code === 1012 || close.code === 1001;
        schedule(quick ? 300 : s.backoff, "");
        s.backoff = Math.min(s.backoff * 2, 15000);
      };
    }

    // Leaving the page (or signing out from it) closes the socket on purpose: no reconnect,
    // no detour to the sign-in page. A page restored from the back/forward cache reconnects.
    const stop = () => {
      s.stopped = true;
      clearTimeout(s.timer);
    };
    window.addEventListener("pagehide", stop);
    document.addEventListener("submit", (event) => {
      if (event.target instanceof HTMLFormElement && event.target.action.endsWith("/signout")) stop();
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted && s.stopped) {
        s.stopped = false;
        open();
      }
    });
    window.addEventListener("offline", () => {
      // Chromium keeps a socket "open" for a while after the network goes; say it truthfully.
      clearTimeout(s.timer);
      const socket = s.socket;
      s.socket = null;
      s.ready = false;
      if (socket) socket.close();
      report("offline", "");
    });
    window.addEventListener("online", () => {
      s.backoff = 500;
      if (!s.socket) open();
    });
    open();
    return {
      get ready() {
        return Boolean(s.socket && s.ready && s.socket.readyState === WebSocket.OPEN);
      },
      send(frame) {
        if (!this.ready) return false;
        s.socket.send(JSON.stringify(frame));
        return true;
      },
    };
  }

  // <form data-confirm="..."> asks first, in a <dialog>; without JavaScript it just submits.
  function confirmDialog(text, okLabel) {
    const dialog = document.getElementById("confirm-dialog");
    if (!dialog || !dialog.showModal) return Promise.resolve(window.confirm(text));
    document.getElementById("confirm-text").textContent = text;
    const ok = document.getElementById("confirm-ok");
    ok.textContent = okLabel || "OK";
    return new Promise((resolve) => {
      const finish = (answer) => {
        ok.onclick = null;
        document.getElementById("confirm-cancel").onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      ok.onclick = () => finish(true);
      document.getElementById("confirm-cancel").onclick = () => finish(false);
      dialog.onclose = () => finish(false);
      dialog.showModal();
      document.getElementById("confirm-cancel").focus();
    });
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.confirmed === "yes") return;
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    const yes = await confirmDialog(form.dataset.confirm, button ? button.textContent : "OK");
    if (yes) {
      form.dataset.confirmed = "yes";
      form.requestSubmit();
    }
  });

  function setFriendRequests(count) {
    const badge = document.getElementById("friend-badge");
    if (!badge || typeof count !== "number") return;
    badge.dataset.count = String(count);
    badge.textContent = count > 0 ? String(count) : "";
    badge.title = count === 1 ? "1 friend request" : `${count} friend requests`;
    badge.hidden = count <= 0;
  }

  // The badge: the server may render the count (friend_requests); otherwise ask the API.
  async function loadFriendRequests() {
    const badge = document.getElementById("friend-badge");
    if (!badge || badge.dataset.count !== undefined) return;
    try {
      const page = await api("GET", "/friend-requests?direction=incoming&limit=100");
      setFriendRequests(page.items.length);
    } catch (_) {
      // Not worth an error on every page; the friends page lists them anyway.
    }
  }

  // The "new from friends" count of moments on the nav link (99 means 99 or more).
  function setMomentsUnseen(count) {
    const badge = document.getElementById("moments-badge");
    if (!badge || typeof count !== "number") return;
    badge.dataset.count = String(count);
    badge.textContent = count >= 99 ? "99+" : count > 0 ? String(count) : "";
    badge.title = count === 1 ? "1 new moment" : `${count >= 99 ? "99+" : count} new moments`;
    badge.hidden = count <= 0;
  }

  async function loadMomentsUnseen() {
    if (!document.getElementById("moments-badge") || document.getElementById("new-moments")) return;
    try {
      setMomentsUnseen((await api("GET", "/moments/unseen")).count);
    } catch (_) {
      // A badge is a courtesy; the moments page is one click away.
    }
  }

  // Unread notices on the navigation's bell (`notice.new` carries the count).
  function setUnreadNotices(count) {
    const badge = document.getElementById("notices-badge");
    if (!badge || typeof count !== "number") return;
    badge.dataset.count = String(count);
    badge.textContent = count > 0 ? String(count) : "";
    badge.title = count === 1 ? "1 unread notice" : `${count} unread notices`;
    badge.hidden = count <= 0;
  }

  // Events that every page understands (chat.js and moments.js forward theirs here too).
  function onCommonEvent(event) {
    if (event.type === "notice.new") {
      setUnreadNotices(event.unread);
    } else if (typeof event.type === "string" && event.type.startsWith("friend_request.")) {
      setFriendRequests(event.count);
    } else if (event.type === "moments.unseen" && !document.getElementById("new-moments")) {
      setMomentsUnseen(event.count);
    }
  }

  // Find people as one types: GET /users?q= (the start of a username or a display name).
  // Until the server has that route, the form's own search (submit) is all there is.
  function peopleSearch() {
    const input = document.getElementById("q");
    const live = document.getElementById("live-results");
    if (!input || !live) return;
    let timer = null;
    let composing = false;
    let asked = "";
    const render = (q, items) => {
      live.replaceChildren();
      document.getElementById("server-results").hidden = true;
      if (!items.length) {
        const none = document.createElement("p");
        none.textContent = `Nobody found for “${q}”.`;
        live.append(none);
        return;
      }
      const list = document.createElement("ul");
      list.className = "people";
      list.setAttribute("aria-label", "People found");
      for (const p of items) {
        const item = document.createElement("li");
        const who = document.createElement("span");
        const name = document.createElement("strong");
        name.textContent = p.display_name;
        const handle = document.createElement("span");
        handle.className = "hint";
        handle.textContent = "@" + p.username;
        who.append(name, " ", handle);
        const view = document.createElement("a");
        view.className = "button";
        view.href = "/u/" + encodeURIComponent(p.username);
        view.textContent = "View";
        view.setAttribute("aria-label", `View ${p.display_name} (@${p.username})`);
        item.append(who, view);
        list.append(item);
      }
      live.append(list);
    };
    const search = async () => {
      const q = input.value.trim();
      if (!q || q === asked) return;
      asked = q;
      try {
        const page = await api("GET", "/users?q=" + encodeURIComponent(q) + "&limit=20");
        if (q === input.value.trim() && page && Array.isArray(page.items)) render(q, page.items);
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
          input.removeEventListener("input", schedule); // no such route on this server
        }
      }
    };
    const schedule = () => {
      if (composing) return;
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    };
    input.addEventListener("compositionstart", () => { composing = true; });
    input.addEventListener("compositionend", () => { composing = false; schedule(); });
    input.addEventListener("input", schedule);
    if (input.value !== input.defaultValue) schedule(); // typed before this script ran
  }

  if (signedIn) loadFriendRequests();
  if (signedIn) loadMomentsUnseen();
  if (signedIn) peopleSearch();
  // Pages other than the chat, moments and my articles feed (which open their own) keep a
  // stream too, for the badges and to follow a sign-out in another tab (close code 4401)
  // back to the sign-in page.
  if (signedIn && !document.getElementById("chat") && !document.getElementById("moments") &&
      !document.getElementById("articles-feed")) {
    stream({ onEvent: onCommonEvent });
  }

  return {
    api, upload, ApiError, stream, toSignIn, confirmDialog, setFriendRequests, setMomentsUnseen,
    onCommonEvent,
  };
})();
