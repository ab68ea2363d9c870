/* Live dashboard: on a "changed" message, fetch the figures again (now and once more after the
   server's throttle window, so the last change of a burst is shown). Reconnects with backoff and
   falls back to a refresh every minute when the socket is down. No library, nothing external. */
(function () {
  "use strict";
  var box = document.getElementById("live-dashboard");
  if (!box) { return; }
  var fragmentUrl = box.getAttribute("data-fragment");
  var wsPath = box.getAttribute("data-ws");
  var pending = null, again = null, delay = 1000, socket = null, poll = null;

  function refresh() {
    fetch(fragmentUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; box.classList.remove("stale"); })
      .catch(function () { box.classList.add("stale"); });
  }
  function schedule() {
    if (!pending) { pending = setTimeout(function () { pending = null; refresh(); }, 800); }
    clearTimeout(again);
    again = setTimeout(refresh, 7000);
  }
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(proto + location.host + wsPath);
    socket.onopen = function () { delay = 1000; clearInterval(poll); poll = null; box.classList.add("live"); };
    socket.onmessage = function (e) {
      try { if (JSON.parse(e.data).type === "changed") { schedule(); } } catch (err) { /* ignore */ }
    };
    socket.onclose = function (e) {
      box.classList.remove("live");
      if (!poll) { poll = setInterval(refresh, 60000); }
      if (e.code === 4403) { return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    };
  }
  connect();
})();
