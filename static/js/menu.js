// The menu's groups are <details>: one open at a time, closed by a click elsewhere or Escape.
(function () {
  const groups = () => document.querySelectorAll(".menu-group[open]");
  document.addEventListener("click", (event) => {
    groups().forEach((group) => { if (!group.contains(event.target)) group.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") groups().forEach((group) => { group.open = false; });
  });
})();

/* Wide tables scroll inside themselves on narrow screens: make such a table reachable by keyboard. */
(function () {
  "use strict";
  function focusableWhenScrolling() {
    document.querySelectorAll("table.list").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) { table.tabIndex = 0; } else { table.removeAttribute("tabindex"); }
    });
  }
  focusableWhenScrolling();
  window.addEventListener("resize", focusableWhenScrolling);
})();
