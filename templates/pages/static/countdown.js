// Live countdowns: every element with data-countdown="<RFC 3339 instant>" shows the time left,
// updated each second; at the instant it says so (data-countdown-done overrides the words).
// Reading the page needs no JavaScript: the instant itself is always printed beside it.
(function () {
  "use strict";
  function two(n) { return n < 10 ? "0" + n : String(n); }
  function left(ms) {
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return (d > 0 ? d + " d " : "") + two(h) + ":" + two(m) + ":" + two(s) + " left";
  }
  // The server's clock decides when an embargo ends: count from the instant the page was made
  // (data-server-now on <body>), so a visitor whose computer clock is wrong still sees the right time left.
  var served = Date.parse(document.body ? document.body.getAttribute("data-server-now") || "" : "");
  var skew = isNaN(served) ? 0 : served - Date.now();
  function tick() {
    var now = Date.now() + skew;
    var nodes = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var at = Date.parse(el.getAttribute("data-countdown"));
      if (isNaN(at)) { continue; }
      var text = at - now > 0 ? left(at - now) : (el.getAttribute("data-countdown-done") || "the instant has come");
      if (el.textContent !== text) { el.textContent = text; }
    }
  }
  function start() { tick(); window.setInterval(tick, 1000); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
