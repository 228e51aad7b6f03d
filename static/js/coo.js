
// A new print dialog replaces the previous one (the server sends HX-Trigger: coo:replace-dialog).
document.addEventListener("coo:replace-dialog", function () {
  document.querySelectorAll("dialog.print-dialog").forEach(function (d) { d.remove(); });
});
