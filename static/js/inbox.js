/* Live inboxes: menu counters, rows that disappear when someone claims them, new work,
   and a toast when work is returned to me. Plain script; the lists refresh through htmx. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var countsUrl = script.dataset.countsUrl;
  var t = script.dataset;
  var timer = null;
  var delay = 1000;

  function setCount(name, n, more) {
    document.querySelectorAll('[data-count="' + name + '"]').forEach(function (el) {
      el.textContent = more ? n + "+" : String(n);
      el.hidden = !n;
    });
  }

  function refreshCounts() {
    fetch(countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c) return;
        setCount("queue", c.queue, c.queue_more);
        setCount("mine", c.mine);
        setCount("returned", c.returned);
      })
      .catch(function () {});
  }

  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      refreshCounts();
      if (document.getElementById("inbox-list") && window.htmx) {
        window.htmx.trigger(document.body, "inbox-refresh");
      }
    }, 300);
  }

  function removeRow(taskId) {
    document.querySelectorAll('#inbox-list tr[data-task="' + taskId + '"]').forEach(function (row) {
      row.remove();
    });
  }

  function toast(text, href) {
    var box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.className = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var item = document.createElement("div");
    item.className = "toast";
    item.textContent = text + " ";
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = t.tOpen;
      item.appendChild(link);
    }
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 15000);
  }

  function onEvent(msg) {
    var list = document.getElementById("inbox-list");
    var which = list ? list.dataset.which : "";
    if (msg.event === "claimed" && which === "queue") removeRow(msg.task);
    if ((msg.event === "done" || msg.event === "cancelled") && which && which !== "done") removeRow(msg.task);
    if (msg.event === "returned") toast(t.tReturned + ": " + msg.label + " — " + msg.reason, "/work/tasks/" + msg.task + "/");
    if (msg.event === "assigned") toast(t.tAssigned + " " + msg.by, "/work/tasks/" + msg.task + "/");
    refreshSoon();
  }

  function connect() {
    if (!window.WebSocket) return;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + script.dataset.socketPath);
    ws.onopen = function () { delay = 1000; document.documentElement.dataset.live = "on"; refreshCounts(); };
    ws.onmessage = function (e) {
      try { onEvent(JSON.parse(e.data)); } catch (err) { /* ignore malformed */ }
    };
    ws.onclose = function () {
      document.documentElement.dataset.live = "off";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    };
  }

  window.civregInbox = { onEvent: onEvent, refreshCounts: refreshCounts };
  refreshCounts();
  connect();
})();
