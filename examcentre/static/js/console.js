// The invigilator's exam console: re-fetch the live grid every few seconds, and ask before
// forms marked data-confirm are sent. Without this script the page still works (reload).
(function () {
  "use strict";
  const grid = document.getElementById("console-grid");
  if (grid) {
    const url = grid.dataset.refreshUrl;
    const seconds = Number(grid.dataset.refreshSeconds || 5);
    async function refresh() {
      // Don't swap the table under a keyboard user who is on one of its buttons.
      if (!grid.contains(document.activeElement) || document.activeElement === document.body) {
        try {
          const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
          if (response.ok) {
            grid.innerHTML = await response.text();
          } else if (response.status === 401 || response.status === 403) {
            window.location.reload();
          }
        } catch (error) {
          // The network blipped: keep showing the last grid and try again next time.
        }
      }
      window.setTimeout(refresh, seconds * 1000);
    }
    window.setTimeout(refresh, seconds * 1000);
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
