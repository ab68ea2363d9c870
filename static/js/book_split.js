// Page-range marking for a whole-book scan: click a thumbnail where a case starts, then write the ranges.
(function () {
  "use strict";
  var thumbs = document.getElementById("thumbs");
  var form = document.getElementById("split-form");
  if (!thumbs || !form) return;
  var total = parseInt(form.dataset.pages, 10);
  function toggle(fig, shared) {
    if (shared) { fig.classList.toggle("shared"); fig.classList.add("start"); }
    else { fig.classList.toggle("start"); fig.classList.remove("shared"); }
  }
  thumbs.addEventListener("click", function (e) {
    var fig = e.target.closest(".thumb");
    if (fig) toggle(fig, e.shiftKey);
  });
  thumbs.addEventListener("keydown", function (e) {
    var fig = e.target.closest(".thumb");
    if (fig && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); toggle(fig, e.shiftKey); }
  });
  document.getElementById("fill-ranges").addEventListener("click", function () {
    var starts = Array.prototype.map.call(thumbs.querySelectorAll(".thumb.start"), function (f) {
      return { page: parseInt(f.dataset.page, 10), shared: f.classList.contains("shared") };
    }).sort(function (a, b) { return a.page - b.page; });
    var entry = parseInt(document.getElementById("first-entry").value, 10) || 1;
    var lines = starts.map(function (s, i) {
      var next = starts[i + 1];
      var last = next ? (next.shared ? next.page : next.page - 1) : total;
      return (entry + i) + ": " + s.page + (last > s.page ? "-" + last : "");
    });
    form.querySelector("textarea[name=ranges]").value = lines.join("\n");
  });
})();
