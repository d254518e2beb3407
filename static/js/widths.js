// Progress bars carry their width as data-width="42" (a percentage) instead of a style
// attribute, which the Content-Security-Policy refuses; setting it through the DOM is allowed.
(function () {
  "use strict";
  function apply(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      var value = parseFloat(el.dataset.width);
      if (!isNaN(value)) { el.style.width = Math.max(0, Math.min(100, value)) + "%"; }
    });
  }
  if (window.htmx) {
    // Runs for the first page and for every piece htmx swaps in (the import progress polls).
    window.htmx.onLoad(apply);
  } else {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  }
})();
