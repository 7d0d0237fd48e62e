/* Review page, progressively enhanced: without JavaScript every field of the
   decision form is shown (each says when it applies) and the answers stay folded.
   - The level, reason and safety acknowledgement are shown only when another
     level is chosen (or there is no recommended level to accept); the
     acknowledgement also with a service gap (which places the client lower). The rationale
     and the program stay visible: a correction needs a rationale whichever
     choice is made, and an accepted level can name its program.
   - The program's own fields (a name outside the directory, a service gap)
     show only while that choice is made.
   - On wide screens the answer sections open: the decision form sits beside
     them there, so nothing has to be scrolled past. */
(function () {
  "use strict";
  const form = document.getElementById("decision-form");
  const extra = document.getElementById("override-fields");
  const safety = document.getElementById("safety-fields");
  if (form && extra) {
    const update = function () {
      const checked = form.querySelector('input[name="action"]:checked');
      const program = form.querySelector('input[name="program_choice"]:checked');
      extra.hidden = !checked || checked.value === "accept";
      if (safety) {
        // A service gap may place the client below inpatient care too.
        safety.hidden = extra.hidden && !(program && program.value === "gap");
      }
    };
    form.addEventListener("change", update);
    update();
  }
  // The program: the name of one outside the directory, and the service gap's
  // fields, only while that choice is made.
  const other = document.getElementById("program-other-fields");
  const gap = document.getElementById("program-gap-fields");
  if (form && other && gap) {
    const showProgram = function () {
      const checked = form.querySelector('input[name="program_choice"]:checked');
      const value = checked ? checked.value : "";
      const typed = form.querySelector('input[name="program"]');
      other.hidden = value !== "other" && !(typed && typed.value && value === "");
      gap.hidden = value !== "gap";
    };
    form.addEventListener("change", showProgram);
    showProgram();
  }
  if (window.matchMedia("(min-width: 992px)").matches) {
    document.querySelectorAll("details.answer-section").forEach(function (d) {
      d.open = true;
    });
  }
})();
