// Progress bar of a book split: polls the job's JSON until it is finished or stopped.
(function () {
  "use strict";
  var box = document.getElementById("split-progress");
  if (!box) return;
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (p) {
      box.querySelector("progress").value = p.percent;
      Object.keys(p).forEach(function (k) {
        var el = box.querySelector('[data-p="' + k + '"]');
        if (el) el.textContent = p[k];
      });
      if (p.status === "running" || p.status === "pending") { setTimeout(poll, 2000); }
      else if (box.dataset.status !== p.status) { window.location.reload(); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  if (box.dataset.status === "running" || box.dataset.status === "pending") setTimeout(poll, 1000);
})();
