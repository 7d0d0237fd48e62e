/* Assessment form: progressive enhancement only. The server re-checks every rule
   and recomputes every total; without JavaScript the form still works. */
(function () {
  "use strict";
  const form = document.getElementById("assessment-form");
  if (!form) return;

  // Items, bands and flagged items come from the question catalogue
  // (intake/catalogue.py), rendered by the page with json_script.
  const scoringEl = document.getElementById("instrument-scoring");
  const SCORING = scoringEl ? JSON.parse(scoringEl.textContent) : {};

  function checkedValue(name) {
    const input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function updateInstrument(name) {
    const items = SCORING[name].items;
    let total = 0;
    let answered = 0;
    for (let i = 1; i <= items; i++) {
      const value = checkedValue(name + "_" + i);
      if (value !== null) { total += parseInt(value, 10); answered += 1; }
    }
    const totalEl = form.querySelector('[data-total="' + name + '"]');
    const bandEl = form.querySelector('[data-band="' + name + '"]');
    const countEl = form.querySelector('[data-answered="' + name + '"]');
    if (!totalEl) return;
    if (answered === items) {
      totalEl.textContent = String(total);
      bandEl.textContent = SCORING[name].bands.find(([top]) => total <= top)[1];
      countEl.textContent = "";
    } else {
      totalEl.textContent = answered ? total + " so far" : "—";
      bandEl.textContent = "";
      countEl.textContent = "(" + answered + " of " + items + " answered)";
    }
  }

  function clearInputs(container) {
    container.querySelectorAll("input").forEach((input) => {
      if (input.type === "radio" || input.type === "checkbox") input.checked = false;
      else input.value = "";
    });
  }

  // Questions that apply only after "yes" to another (C-SSRS 3-5 and 6b; history counts).
  function updateGates() {
    form.querySelectorAll("[data-gate]").forEach((el) => {
      const open = checkedValue(el.dataset.gate) === "yes";
      if (!open && !el.hidden) clearInputs(el);
      el.hidden = !open;
    });
  }

  // A flagged item above 0 (PHQ-9 item 9: thoughts of death or self-harm) shows
  // its instrument's safety banner.
  function updateBanners() {
    document.querySelectorAll("[data-flag]").forEach((banner) => {
      const name = banner.dataset.flag;
      const item = SCORING[name] && SCORING[name].flagItem;
      if (!item) return;
      const value = checkedValue(name + "_" + item);
      banner.hidden = !(value !== null && parseInt(value, 10) > 0);
    });
  }

  function questionAnswered(wrapper) {
    const radios = wrapper.querySelectorAll('input[type="radio"]');
    if (radios.length) return Array.from(radios).some((r) => r.checked);
    const other = wrapper.querySelector("input, textarea, select");
    return !other || other.value !== "";
  }

  function updateProgress() {
    const list = document.getElementById("section-progress");
    if (!list) return;
    list.innerHTML = "";
    form.querySelectorAll('fieldset[id^="section-"]').forEach((fieldset) => {
      const legend = fieldset.querySelector(":scope > legend");
      if (!legend || fieldset.id === "section-notes") return;
      let total = 0;
      let open = 0;
      fieldset.querySelectorAll('[id^="div_id_"]').forEach((wrapper) => {
        if (wrapper.closest("[hidden]")) return;
        total += 1;
        if (!questionAnswered(wrapper)) {
          open += 1;
          wrapper.classList.add("unanswered");
        } else {
          wrapper.classList.remove("unanswered");
        }
      });
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#" + fieldset.id;
      link.textContent = legend.textContent.trim();
      li.appendChild(link);
      li.appendChild(document.createTextNode(open ? ": " + open + " of " + total + " unanswered" : ": complete"));
      if (!open) li.classList.add("text-success");
      list.appendChild(li);
    });
  }

  function update() {
    updateGates();
    Object.keys(SCORING).forEach(updateInstrument);
    updateBanners();
    updateProgress();
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
