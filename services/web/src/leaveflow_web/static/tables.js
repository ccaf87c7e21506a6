// On a narrow screen a table.list shows each row as a small card (app.css); every cell then
// needs its column's name in front of it. The header cells give it: copied to data-label,
// again after every htmx swap, as rows arrive in partials.
(function () {
  "use strict";
  function label(root) {
    root.querySelectorAll("table.list").forEach(function (table) {
      var heads = Array.prototype.map.call(
        table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      if (!heads.length) { return; }
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (!cell.hasAttribute("data-label") && heads[i]) {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }
  function all() { label(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
  document.addEventListener("htmx:afterSettle", all);
})();
