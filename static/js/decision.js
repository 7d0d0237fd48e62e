/* Decision form: show the override fields only when another level is chosen.
   Progressive enhancement: without JavaScript every field stays visible. */
(function () {
  "use strict";
  const form = document.getElementById("decision-form");
  const extra = document.getElementById("override-fields");
  if (!form || !extra) return;
  function update() {
    const checked = form.querySelector('input[name="action"]:checked');
    const accept = checked && checked.value === "accept";
    extra.hidden = !!accept && !form.querySelector(".is-invalid");
  }
  form.addEventListener("change", update);
  update();
})();
