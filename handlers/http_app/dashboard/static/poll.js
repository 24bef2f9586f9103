// Keeps each [data-poll] part of a page current: fetch its fragment every data-every ms
// with If-None-Match, swap it in on 200, leave it on 304, stop on 401 (signed out).
// API Gateway's HTTP API has no server push, so the dashboard polls.
(function () {
  "use strict";
  // A <details> the reader opened (an output tail, the files changed) stays open across swaps.
  function swap(el, html) {
    var open = Array.prototype.map.call(el.querySelectorAll("details[id][open]"), function (d) { return d.id; });
    el.innerHTML = html;
    open.forEach(function (id) {
      var details = document.getElementById(id);
      if (details && el.contains(details)) { details.open = true; }
    });
  }
  function start(el) {
    var url = el.getAttribute("data-poll");
    var every = parseInt(el.getAttribute("data-every"), 10) || 3000;
    var etag = null;
    var status = document.createElement("p");
    status.className = "live";
    status.setAttribute("aria-live", "off");
    el.after(status);
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (reply) {
          if (reply.status === 401) { status.textContent = "Signed out: reload to sign in."; return null; }
          if (reply.status === 200) {
            etag = reply.headers.get("ETag");
            return reply.text().then(function (html) { swap(el, html); return true; });
          }
          return true;
        })
        .then(function (goOn) {
          if (goOn === null) { return; }
          status.textContent = "Updated " + new Date().toLocaleTimeString();
          el.setAttribute("data-polled", String(Number(el.getAttribute("data-polled") || 0) + 1));
          setTimeout(tick, every);
        })
        .catch(function () { status.textContent = "Cannot reach the dashboard; retrying."; setTimeout(tick, every * 2); });
    }
    setTimeout(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(start);
  });
})();
