// pay.js — two conveniences on the customer pages, which work without it:
//  * a form marked data-once is sent once: a second click while the first is on its way does
//    nothing (the server is safe against double submits anyway; this spares the round trip);
//  * the time left to pay counts down, and the page reloads when it runs out, to show the
//    order expired.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.querySelectorAll("button").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
      });
    });
  });

  var timer = document.querySelector(".countdown[data-left-ms]");
  if (!timer) {
    return;
  }
  // Count from the server's own figure, not the device clock, which may be wrong (and the
  // sandbox's clock can be moved).
  var left = parseInt(timer.getAttribute("data-left-ms"), 10);
  var start = Date.now();
  var text = timer.querySelector("bdi") || timer;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var ms = left - (Date.now() - start);
    if (ms <= 0) {
      text.textContent = "0:00";
      if (left > 0) {
        window.location.reload();
      }
      return;
    }
    var s = Math.ceil(ms / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor(s / 60) % 60;
    text.textContent = (h > 0 ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
    window.setTimeout(tick, (ms % 1000 || 1000) + 20);
  }
  tick();
})();
