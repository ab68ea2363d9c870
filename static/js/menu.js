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
