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
