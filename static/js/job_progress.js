// Live progress bars of long jobs (templates/jobs/_progress.html): each active bar polls its job's
// JSON until the job ends; a bar with data-reload reloads its page then, to show the results.
(function () {
  "use strict";
  var ACTIVE = { queued: true, running: true };
  function update(box, p) {
    var bar = box.querySelector("progress");
    bar.value = p.percent;
    bar.setAttribute("aria-valuenow", p.percent);
    bar.textContent = p.percent_text;
    Object.keys(p).forEach(function (k) {
      var el = box.querySelector('[data-j="' + k + '"]');
      if (el && typeof p[k] === "string") el.textContent = p[k];
    });
    var label = box.querySelector('[data-j="state_label"]');
    if (label) label.className = "state job-st-" + p.state;
    var form = box.querySelector(".job-cancel"), stopping = box.querySelector(".job-stopping");
    if (form) form.hidden = !p.cancellable;
    if (stopping) stopping.hidden = !p.cancel_requested;
    box.dataset.state = p.state;
  }
  function watch(box) {
    var delay = 700;
    function poll() {
      fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (p) {
          update(box, p);
          if (ACTIVE[p.state]) { delay = Math.min(delay * 1.3, 3000); setTimeout(poll, delay); }
          else if (box.dataset.reload) { setTimeout(function () { window.location.reload(); }, 600); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, delay);
  }
  document.querySelectorAll(".job-progress[data-url]").forEach(function (box) {
    if (ACTIVE[box.dataset.state]) watch(box);
  });
})();
