/* The print view's "Print" button (no inline handlers: Content-Security-Policy). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print-page]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
