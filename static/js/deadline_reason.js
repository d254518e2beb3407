// A rectification deadline after the county phase's deadline needs a written reason: the
// reason box (with its warning) shows the moment such a date is picked, and hides again for
// a date inside the phase. The server checks the same rule (inspections/services.py).
(function () {
  "use strict";
  document.querySelectorAll("input[data-phase-deadline]").forEach(function (input) {
    var block = document.getElementById(input.getAttribute("data-reason"));
    if (!block) { return; }
    var phaseEnd = input.getAttribute("data-phase-deadline");
    var reason = block.querySelector("textarea");
    function update() {
      // ISO dates compare as strings.
      var late = Boolean(input.value) && input.value > phaseEnd;
      block.hidden = !late;
      if (reason) { reason.required = late; }
    }
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    update();
  });
})();
