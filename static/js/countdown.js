/* 查看结果: the button counts down the seconds the server still refuses the result.
   The server sent the number (data-countdown); htmx fetches the next state when it ends
   (hx-trigger="load delay:Ns" on the same element). Without JavaScript the link opens the
   授权结果 page, which says how many seconds remain. */
(function () {
  "use strict";

  function start(el) {
    if (el.dataset.countdownRunning) { return; }
    el.dataset.countdownRunning = "1";
    var left = parseInt(el.getAttribute("data-countdown"), 10) || 0;
    var label = el.querySelector("[data-countdown-label]");
    var timer = setInterval(function () {
      left -= 1;
      if (!document.body.contains(el) || left <= 0) {
        clearInterval(timer);
        left = Math.max(left, 0);
      }
      if (label) { label.textContent = String(left); }
    }, 1000);
  }

  function scan(root) {
    if (root.matches && root.matches("[data-countdown]")) { start(root); }
    if (root.querySelectorAll) {
      root.querySelectorAll("[data-countdown]").forEach(start);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
