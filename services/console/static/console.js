// Progressive enhancement only: every page works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // filters apply as soon as a choice changes
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // a command form is sent once: the button is disabled while the page reloads
    document.querySelectorAll("form.command").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) { button.disabled = true; button.classList.add("busy"); }
      });
    });
  });
})();
