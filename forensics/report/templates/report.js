// Filtering, sorting and copy buttons; works offline on the DOM that is already there.
(function () {
  var filter = document.getElementById("filter");
  var healthy = document.getElementById("show-healthy");
  function apply() {
    var q = (filter.value || "").toLowerCase();
    document.querySelectorAll("table.triage tbody tr").forEach(function (tr) {
      tr.style.display = !q || tr.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
    });
  }
  filter.addEventListener("input", apply);
  healthy.addEventListener("change", function () { document.body.classList.toggle("show-healthy", healthy.checked); });
  document.querySelectorAll("table.sortable th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = th.closest("table").tBodies[0];
      var dir = th.dataset.dir === "asc" ? -1 : 1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      Array.prototype.slice.call(body.rows).sort(function (a, b) {
        return dir * a.cells[col].textContent.localeCompare(b.cells[col].textContent);
      }).forEach(function (row) { body.appendChild(row); });
    });
  });
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.parentNode.querySelector("pre").textContent;
      if (navigator.clipboard) { navigator.clipboard.writeText(text); button.textContent = "copied"; }
    });
  });
  if (location.hash) {
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.classList.contains("healthy")) { healthy.checked = true; document.body.classList.add("show-healthy"); }
  }
})();
