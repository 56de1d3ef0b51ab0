// Plaza moments composer (the timeline's top): pictures uploaded as soon as they are picked,
// with a preview, progress and the API's message when one is refused, each removable; who
// can see it (all friends, only..., all except..., private) with friends and labels from the
// API; then POST /moments and the new moment drawn by the server at the top of the feed.
// Builds on plaza.js and moments.js.
"use strict";

(() => {
  const { api, ApiError } = window.Plaza;
  const { prepend, announce, messageOf } = window.PlazaMoments;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }


  const composer = {
    pictures: [], // {file, url, media, upload (a promise), node}
    friendsLoaded: null,
  };

  function uploadFile(file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/media");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        if (xhr.status === 201 || xhr.status === 200) return resolve(xhr.response);
        if (xhr.status === 401) window.Plaza.toSignIn();
        const error = (xhr.response && xhr.response.error) || {};
        reject(new ApiError(xhr.status, error.code || "http_" + xhr.status,
          error.message || `the upload failed (${xhr.status})`));
      };
      xhr.onerror = () => reject(new TypeError("network"));
      const body = new FormData();
      body.append("file", file);
      xhr.send(body);
    });
  }

  function renumber() {
    composer.pictures.forEach((p, i) => {
      p.node.querySelector("img").alt = `Picture ${i + 1} to post`;
      p.node.querySelector(".remove").setAttribute("aria-label", `Remove picture ${i + 1}`);
    });
    $("previews").hidden = composer.pictures.length === 0;
    const max = Number($("moment-form").dataset.maxPictures) || 9;
    $("pick-pictures").disabled = composer.pictures.length >= max;
    $("pictures-note").textContent = composer.pictures.length
      ? `${composer.pictures.length} of ${max}` : `Up to ${max}`;
  }

  function startUpload(picture) {
    const { node } = picture;
    const status = node.querySelector(".picked-status");
    const maxBytes = Number($("moment-form").dataset.maxBytes) || Infinity;
    if (picture.file.size > maxBytes) {
      // Said at once, instead of after sending megabytes the server will refuse anyway.
      node.dataset.state = "failed";
      status.textContent = `Too large: pictures are up to ${Math.floor(maxBytes / 1048576)} MB`;
      picture.upload = Promise.resolve();
      return;
    }
    node.dataset.state = "uploading";
    status.textContent = "Uploading…";
    picture.media = null;
    picture.upload = uploadFile(picture.file, (share) => {
      status.textContent = `Uploading ${Math.round(share * 100)}%`;
    }).then((media) => {
      picture.media = media;
      node.dataset.state = "done";
      status.textContent = "";
    }, (error) => {
      node.dataset.state = "failed";
      status.textContent = error instanceof ApiError ? error.message : "Not uploaded: no connection";
      const retry = el("button", "secondary small", "Try again");
      retry.type = "button";
      retry.addEventListener("click", () => {
        retry.remove();
        startUpload(picture);
      });
      status.append(" ", retry);
    });
  }

  function addPictures(files) {
    const max = Number($("moment-form").dataset.maxPictures) || 9;
    const room = max - composer.pictures.length;
    const taken = [...files].slice(0, Math.max(room, 0));
    const error = $("composer-error");
    error.hidden = taken.length === files.length;
    error.textContent = `A moment holds up to ${max} pictures: ${files.length - taken.length} left out.`;
    for (const file of taken) {
      const picture = { file, url: URL.createObjectURL(file), media: null, upload: null };
      const node = el("li", "picked-picture");
      const img = el("img");
      img.src = picture.url;
      img.onerror = () => {
        // HEIC and the like: the browser cannot show it; the server's thumbnail can.
        if (picture.media && img.src !== picture.media.thumbnail_url) {
          img.src = picture.media.thumbnail_url || picture.media.url;
        }
      };
      const status = el("span", "picked-status");
      status.setAttribute("aria-live", "polite");
      const remove = el("button", "remove", "×");
      remove.type = "button";
      remove.addEventListener("click", () => {
        composer.pictures = composer.pictures.filter((p) => p !== picture);
        URL.revokeObjectURL(picture.url);
        node.remove();
        renumber();
        $("pick-pictures").focus();
      });
      node.append(img, status, remove);
      picture.node = node;
      $("previews").append(node);
      composer.pictures.push(picture);
      startUpload(picture);
      picture.upload.then(() => {
        if (img.naturalWidth === 0 && picture.media) img.onerror();
      });
    }
    renumber();
  }

  const mode = () => document.querySelector('input[name="mode"]:checked').value;

  async function loadAudience() {
    const friends = [];
    let cursor = null;
    for (let pages = 0; pages < 10; pages++) {
      const page = await api("GET", "/friends?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      friends.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    const labels = (await api("GET", "/labels")).items;
    const labelBox = $("picker-labels");
    labelBox.replaceChildren();
    if (labels.length) {
      const group = el("div", "label-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Labels");
      for (const l of labels) {
        const label = el("label", "choice");
        const box = el("input");
        box.type = "checkbox";
        box.name = "label";
        box.value = String(l.id);
        label.append(box, ` ${l.name} `, el("span", "hint", `label, ${l.members.length} ${l.members.length === 1 ? "friend" : "friends"}`));
        group.append(label);
      }
      labelBox.append(group);
    }
    const friendBox = $("picker-friends");
    friendBox.replaceChildren();
    for (const f of friends) {
      const label = el("label", "choice");
      label.dataset.search = (f.display_name + " " + f.username).toLowerCase();
      const box = el("input");
      box.type = "checkbox";
      box.name = "friend";
      box.value = f.username;
      const handle = el("span", "hint", "@" + f.username);
      label.append(box, ` ${f.display_name} `, handle);
      friendBox.append(label);
    }
    if (!friends.length) friendBox.append(el("p", "hint", "You have no friends to choose yet."));
  }

  async function showPicker() {
    const which = mode();
    const picker = $("audience-picker");
    picker.hidden = which !== "only" && which !== "except";
    $("audience-hint").textContent = which === "only"
      ? "Only the friends and labels you tick will see it."
      : "Everyone but the friends and labels you tick will see it.";
    if (picker.hidden || composer.friendsLoaded) return;
    composer.friendsLoaded = loadAudience().catch((error) => {
      composer.friendsLoaded = null;
      $("audience-hint").textContent = "Could not load your friends: " + messageOf(error);
    });
  }

  function chosen(name) {
    return [...document.querySelectorAll(`#audience-picker input[name="${name}"]:checked`)].map((b) => b.value);
  }

  function resetComposer() {
    $("moment-text").value = "";
    $("composer-check").hidden = true;
    for (const p of composer.pictures) URL.revokeObjectURL(p.url);
    composer.pictures = [];
    $("previews").replaceChildren();
    for (const box of document.querySelectorAll("#audience-picker input[type=checkbox]")) box.checked = false;
    document.querySelector('input[name="mode"][value="friends"]').checked = true;
    $("audience-picker").hidden = true;
    renumber();
  }

  async function postMoment(event) {
    event.preventDefault();
    const button = $("post-moment");
    const error = $("composer-error");
    const busy = $("composer-busy");
    if (button.disabled) return;
    error.hidden = true;
    const text = $("moment-text").value.trim();
    if (!text && !composer.pictures.length) {
      error.textContent = "Write something or add a picture first.";
      error.hidden = false;
      return $("moment-text").focus();
    }
    const visibility = { mode: mode(), usernames: [], labels: [] };
    if (visibility.mode === "only" || visibility.mode === "except") {
      visibility.usernames = chosen("friend");
      visibility.labels = chosen("label").map(Number);
      if (visibility.mode === "only" && !visibility.usernames.length && !visibility.labels.length) {
        error.textContent = "Tick at least one friend or label to share it with, or choose Private.";
        error.hidden = false;
        return;
      }
    }
    button.disabled = true;
    try {
      if (composer.pictures.some((p) => !p.media)) {
        busy.textContent = "Waiting for the pictures to upload…";
        await Promise.all(composer.pictures.map((p) => p.upload));
      }
      if (composer.pictures.some((p) => !p.media)) {
        throw new ApiError(0, "upload", "Some pictures did not upload: try them again or remove them.");
      }
      busy.textContent = "Posting…";
      const moment = await api("POST", "/moments", {
        text,
        media_ids: composer.pictures.map((p) => p.media.id),
        visibility,
      });
      resetComposer();
      await prepend(moment.id);
      announce("Moment posted.");
    } catch (failure) {
      error.textContent = messageOf(failure);
      error.hidden = false;
    } finally {
      busy.textContent = "";
      button.disabled = false;
    }
  }

  // What posting would meet (POST /policy-check: the checks posting runs, nothing stored):
  // each rule the text or a picture would trip, with the words as written.
  async function checkMoment() {
    const button = $("check-moment");
    const out = $("composer-check");
    const text = $("moment-text").value;
    const media = composer.pictures.filter((p) => p.media).map((p) => p.media.id);
    button.disabled = true;
    out.hidden = false;
    out.replaceChildren(el("p", "hint", "Checking…"));
    try {
      const answer = await api("POST", "/policy-check", { surface: "moment", text, media_ids: media });
      out.replaceChildren();
      if (!answer.findings.length) {
        out.append(el("p", "hint", "Nothing in it matches a rule."));
        return;
      }
      const list = el("ul", "composer-check-list");
      for (const f of answer.findings) {
        const item = el("li", "", `${f.policy_title}, clause ${f.clause}: ${f.clause_text}`);
        if (f.evidence.matched) item.append(" ", el("mark", "", f.evidence.matched));
        if (f.evidence.media_id) item.append(" ", el("span", "hint", "(a picture)"));
        list.append(item);
      }
      const says = answer.outcome === "hold" ? "Posting it would hold it for review:" : "Posting it would remove it:";
      out.append(el("p", "composer-check-says", says), list);
    } catch (failure) {
      out.replaceChildren(el("p", "field-error", messageOf(failure)));
    } finally {
      button.disabled = false;
    }
  }

  function wireComposer() {
    const form = $("moment-form");
    if (!form) return;
    $("pick-pictures").addEventListener("click", () => $("moment-files").click());
    $("moment-files").addEventListener("change", (event) => {
      addPictures(event.target.files);
      event.target.value = ""; // the same file may be picked again after removing it
    });
    for (const radio of document.querySelectorAll('input[name="mode"]')) {
      radio.addEventListener("change", showPicker);
    }
    $("friend-filter").addEventListener("input", (event) => {
      const q = event.target.value.trim().toLowerCase();
      for (const label of $("picker-friends").querySelectorAll("label")) {
        label.hidden = Boolean(q) && !label.dataset.search.includes(q);
      }
    });
    form.addEventListener("submit", postMoment);
    $("check-moment").addEventListener("click", checkMoment);
  }

  wireComposer();
})();
