// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // A scan over the upload limit is refused before it is sent (the server refuses it too).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    input.setCustomValidity(file && file.size > limit ? input.getAttribute("data-too-large") : "");
    input.reportValidity();
  });
})();

// 证书打印: the 全选 checkbox ticks every enabled row checkbox of its form (delegated, so it
// keeps working after htmx swaps the result list).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-check-all]") || !box.form) { return; }
  box.form.querySelectorAll('input[type="checkbox"][name="ids"]:not(:disabled)').forEach(function (row) {
    row.checked = box.checked;
  });
});

// A new print dialog replaces the previous one (the server sends HX-Trigger: coo:replace-dialog).
document.addEventListener("coo:replace-dialog", function () {
  document.querySelectorAll("dialog.print-dialog").forEach(function (d) { d.remove(); });
});

// A list's results are replaced whole on every query, so a live region inside them announces
// nothing: a region that stays (role=status, data-announces="<selector>") is given the new
// result's text (共 N 条) after each swap.
document.addEventListener("htmx:afterSettle", function () {
  document.querySelectorAll("[data-announces]").forEach(function (region) {
    var source = document.querySelector(region.getAttribute("data-announces"));
    region.textContent = source ? source.textContent.trim() : "";
  });
});
