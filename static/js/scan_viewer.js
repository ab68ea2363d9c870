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
    var stage = root.querySelector(".sv-stage");
    // Size the (unrotated) layout box so that the rotated page is exactly as wide as asked, never clipped.
    function layout() {
      var visual = Math.max(100, stage.clientWidth - 4) * state.zoom;
      var ratio = (img.naturalHeight || 1414) / (img.naturalWidth || 1000);
      img.style.transform = "rotate(" + state.rotate + "deg)";
      if (state.rotate % 180 === 0) {
        img.style.width = visual + "px";
        img.style.margin = "0 auto";
      } else {
        var w = visual / ratio, d = (visual - w) / 2;
        img.style.width = w + "px";
        img.style.margin = (-d) + "px 0 " + (-d) + "px " + d + "px";
      }
    }
    function show() {
      var next = url(state.page, width());
      if (img.getAttribute("src") !== next) { img.src = next; }
      img.alt = img.alt.replace(/\d+$/, state.page);
      current.textContent = state.page;
      layout();
      if (state.page < pages) { new Image().src = url(state.page + 1, width()); }
    }
    img.addEventListener("load", layout);
    window.addEventListener("resize", layout);
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
  function init() {
    document.querySelectorAll(".scan-viewer").forEach(function (root) {
      setup(root);
      var img = root.querySelector(".sv-img");
      if (img.complete) img.dispatchEvent(new Event("load"));
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
