// Filtering, sorting, the healthy toggle, copy buttons and links to records; works offline on
// the DOM already there (the report reads the same without it, filters and sorting aside).
(function () {
  var filter = document.getElementById("filter");
  var healthy = document.getElementById("show-healthy");
  var toggle = document.getElementById("toggle-healthy");
  var shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.triage tr[data-release]"));
  // everything else that belongs to one release: incident list items, plan steps, release details
  var others = Array.prototype.slice.call(document.querySelectorAll("[data-release]:not(tr)"));
  function setHealthy(on) {
    healthy.checked = on;
    document.body.classList.toggle("show-healthy", on);
    if (toggle) { toggle.textContent = toggle.textContent.replace(/^(show|hide) /, "").replace(/^/, on ? "hide " : "show "); }
  }
  function apply() {
    var q = (filter.value || "").trim().toLowerCase();
    var match = {};
    var n = 0;
    rows.forEach(function (tr) {
      var hit = !q || tr.textContent.toLowerCase().indexOf(q) >= 0;
      match[tr.dataset.release] = hit;
      tr.classList.toggle("filtered-out", !hit);
      // a filter reaches collapsed healthy releases too
      tr.classList.toggle("matched", !!q && hit);
      if (hit && (!tr.classList.contains("healthy") || healthy.checked || q)) { n += 1; }
    });
    others.forEach(function (el) {
      var hit = match[el.dataset.release];
      el.classList.toggle("filtered-out", hit === false);
      el.classList.toggle("matched", !!q && hit === true);
    });
    shown.textContent = q ? n + " of " + rows.length + " releases match" : "";
  }
  filter.addEventListener("input", apply);
  healthy.addEventListener("change", function () { setHealthy(healthy.checked); apply(); });
  if (toggle) { toggle.addEventListener("click", function () { setHealthy(!healthy.checked); apply(); }); }

  // Sorting: a header's button (keyboard-reachable) sorts by the cells' data-sort (severity and
  // confidence ranks, ISO times) or text; a second press reverses; aria-sort tells the order.
  function key(cell) { return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim(); }
  function compare(a, b) {
    if (a !== "" && b !== "" && !isNaN(a) && !isNaN(b)) { return Number(a) - Number(b); }
    return a.localeCompare(b);
  }
  document.querySelectorAll("table.sortable th button").forEach(function (button) {
    var th = button.parentNode;
    var table = th.closest("table");
    button.addEventListener("click", function () {
      var now = th.getAttribute("aria-sort");
      var dir = now === "ascending" ? "descending" : now === "descending" ? "ascending" : (th.dataset.first || "ascending");
      table.querySelectorAll("th[aria-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var sign = dir === "ascending" ? 1 : -1;
      var col = th.cellIndex;
      table.querySelectorAll("tbody.broken-rows, tbody.healthy-rows").forEach(function (body) {
        Array.prototype.slice.call(body.rows).sort(function (a, b) {
          return sign * compare(key(a.cells[col]), key(b.cells[col])) || a.dataset.release.localeCompare(b.dataset.release);
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
  // A link to a record or a release (a timeline mark, the incident's bars) opens what holds it.
  function reveal() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) { return; }
    var release = target.closest("details.release");
    if (release && release.classList.contains("healthy")) { setHealthy(true); apply(); }
    for (var el = target; el; el = el.parentElement) { if (el.tagName === "DETAILS") { el.open = true; } }
    target.scrollIntoView({ block: target.tagName === "TR" ? "center" : "start" });
  }
  window.addEventListener("hashchange", reveal);
  setHealthy(false);
  reveal();
})();
// Printed or saved as PDF: open the broken releases (their findings and timelines).
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.release:not(.healthy)").forEach(function (d) { d.open = true; });
});
