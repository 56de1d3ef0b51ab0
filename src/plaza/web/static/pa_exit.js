// A publisher's exit (issue #13), for a public account's owner: closing it (after the
// confirmation box is ticked) on its page, and its "moved to" notice on its tombstone. Both go
// through the JSON API, whose messages are shown as they are; the page is then drawn again.
"use strict";

(() => {
  const { api, ApiError } = window.Plaza;
  const $ = (id) => document.getElementById(id);

  function fail(node, error) {
    node.textContent = error instanceof ApiError
      ? error.message
      : "Plaza cannot be reached; check the connection and try again.";
    node.hidden = false;
  }

  const close = $("close-form");
  if (close) {
    const handle = $("pa-account").dataset.handle;
    close.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!$("close-confirm").checked) {
        return fail($("close-error"), new ApiError(422, "invalid", "Tick the box to confirm first."));
      }
      try {
        await api("POST", `/public-accounts/${handle}/close`);
        location.reload();
      } catch (failure) {
        fail($("close-error"), failure);
      }
    });
  }

  const moved = $("moved-form");
  if (moved) {
    const handle = $("pa-exit").dataset.handle;
    moved.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("PUT", `/public-accounts/${handle}/moved`, { to: $("moved-to").value.trim() });
        location.reload();
      } catch (failure) {
        fail($("moved-error"), failure);
      }
    });
  }
})();
