// Scan viewer: page images with zoom, rotation, keyboard flipping and preloading of the next page.
(function () {
  "use strict";
  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var pages = parseInt(root.dataset.pages, 10) || 1;
    var pattern = root.dataset.pageUrl; // .../pages/1/
    var img = root.querySelector(".sv-img");
    var current = root.querySelector("[data-sv-current]");
    var state = { page: 1, zoom: 1, rotate: 0 };
    function url(n, w) { return pattern.replace(/\/pages\/1\/$/, "/pages/" + n + "/") + "?w=" + w; }
    function width() { return state.zoom > 1.3 ? 1600 : 1200; }
    function show() {
      img.src = url(state.page, width());
      img.alt = img.alt.replace(/\d+$/, state.page);
      img.style.width = (100 * state.zoom) + "%";
      img.style.transform = "rotate(" + state.rotate + "deg)";
      img.classList.toggle("sv-sideways", state.rotate % 180 !== 0);
      current.textContent = state.page;
      if (state.page < pages) { new Image().src = url(state.page + 1, width()); }
    }
    var actions = {
      prev: function () { if (state.page > 1) { state.page--; } },
      next: function () { if (state.page < pages) { state.page++; } },
      "in": function () { state.zoom = Math.min(4, state.zoom * 1.25); },
      out: function () { state.zoom = Math.max(0.3, state.zoom / 1.25); },
      fit: function () { state.zoom = 1; },
      rotate: function () { state.rotate = (state.rotate + 90) % 360; }
    };
    root.addEventListener("click", function (e) {
      var b = e.target.closest("[data-sv]");
      if (!b) return;
      actions[b.dataset.sv]();
      show();
    });
    root.addEventListener("keydown", function (e) {
      var key = { PageDown: "next", PageUp: "prev", ArrowRight: "next", ArrowLeft: "prev",
                  "+": "in", "=": "in", "-": "out", "0": "fit", r: "rotate", R: "rotate" }[e.key];
      if (!key || e.target.matches("input, textarea, select")) return;
      e.preventDefault();
      actions[key]();
      show();
    });
  }
  function init() { document.querySelectorAll(".scan-viewer").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
