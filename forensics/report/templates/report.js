// Filtering, sorting, the healthy toggle and copy buttons; works offline on the DOM already there.
(function () {
  var filter = document.getElementById("filter");
  var healthy = document.getElementById("show-healthy");
  var toggle = document.getElementById("toggle-healthy");
  var shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.triage tr[data-release]"));
  function setHealthy(on) {
    healthy.checked = on;
    document.body.classList.toggle("show-healthy", on);
    if (toggle) { toggle.textContent = toggle.textContent.replace(/^(show|hide) /, "").replace(/^/, on ? "hide " : "show "); }
  }
  function apply() {
    var q = (filter.value || "").trim().toLowerCase();
    var n = 0;
    rows.forEach(function (tr) {
      var match = !q || tr.textContent.toLowerCase().indexOf(q) >= 0;
      tr.classList.toggle("filtered-out", !match);
      // a filter reaches collapsed healthy releases too
      tr.classList.toggle("matched", !!q && match);
      if (match && (!tr.classList.contains("healthy") || healthy.checked || q)) { n += 1; }
    });
    shown.textContent = q ? n + " of " + rows.length + " releases match" : "";
  }
  filter.addEventListener("input", apply);
  healthy.addEventListener("change", function () { setHealthy(healthy.checked); apply(); });
  if (toggle) { toggle.addEventListener("click", function () { setHealthy(!healthy.checked); apply(); }); }
  document.querySelectorAll("table.sortable th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var dir = th.dataset.dir === "asc" ? -1 : 1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      th.closest("table").querySelectorAll("tbody.broken-rows, tbody.healthy-rows").forEach(function (body) {
        Array.prototype.slice.call(body.rows).sort(function (a, b) {
          return dir * a.cells[col].textContent.trim().localeCompare(b.cells[col].textContent.trim());
        }).forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.parentNode.querySelector("pre").textContent;
      if (navigator.clipboard) { navigator.clipboard.writeText(text).then(function () { button.textContent = "copied"; }); }
    });
  });
  function reveal() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.classList.contains("healthy")) { setHealthy(true); target.open = true; }
  }
  window.addEventListener("hashchange", reveal);
  setHealthy(false);
  reveal();
})();
// Printed or saved as PDF: open the broken releases (their findings and timelines).
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.release:not(.healthy)").forEach(function (d) { d.open = true; });
});
