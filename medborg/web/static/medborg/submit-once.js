// Keep a double click from sending a form twice. The server is idempotent on the
// form's submission key anyway; this only spares the citizen a second wait.
(function () {
  "use strict";
  document.querySelectorAll("form").forEach(function (form) {
    var button = form.querySelector("[data-submit-once]");
    if (!button) { return; }
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter !== button) { return; }
      if (form.dataset.submitting === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "true";
      button.setAttribute("aria-disabled", "true");
    });
  });
})();
