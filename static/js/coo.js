
// 证书打印: the 全选 checkbox ticks every enabled row checkbox of its form (delegated, so it
// keeps working after htmx swaps the result list).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-check-all]") || !box.form) { return; }
  box.form.querySelectorAll('input[type="checkbox"][name="ids"]:not(:disabled)').forEach(function (row) {
    row.checked = box.checked;
  });
});
