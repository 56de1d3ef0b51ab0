// The "Export my data" page (exports/templates/exports.html): every second, asks
// GET /api/v1/exports/{id} about each export still queued or running, moves its progress bar,
// and shows the download link once it is done. Builds on plaza.js.
"use strict";

(() => {
  const { api } = window.Plaza;
  const POLL_MS = 1000;

  function stateText(e) {
    if (e.state === "done" && e.download_url) {
      const kib = ((e.size_bytes || 0) / 1024).toFixed(1);
      return `Ready · ${kib} KiB · until ${e.expires_at.slice(0, 10)}`;
    }
    if (e.state === "done") return "Expired: its zip was deleted";
    if (e.state === "failed") return "Failed: " + (e.error || "unknown error");
    if (e.state === "running") return `Building: ${e.done_steps} of ${e.total_steps} steps`;
    return "Waiting to start";
  }

  function show(item, e) {
    item.dataset.state = e.state;
    item.querySelector(".export-state").textContent = stateText(e);
    const bar = item.querySelector("progress");
    if (bar) {
      bar.max = e.total_steps || 1;
      bar.value = e.done_steps;
      if (e.state === "done" || e.state === "failed") bar.remove();
    }
    const link = item.querySelector(".export-download");
    if (e.download_url) {
      link.href = e.download_url;
      link.hidden = false;
    }
  }

  async function poll() {
    const waiting = document.querySelectorAll('.export[data-state="queued"], .export[data-state="running"]');
    for (const item of waiting) {
      try {
        show(item, await api("GET", `/exports/${item.dataset.id}`));
      } catch (_) {
        // Offline for a moment, or a restart: the next poll tries again.
      }
    }
    if (document.querySelector('.export[data-state="queued"], .export[data-state="running"]')) {
      setTimeout(poll, POLL_MS);
    }
  }

  setTimeout(poll, POLL_MS);
})();
