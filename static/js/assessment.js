/* Assessment form: progressive enhancement only. The server re-checks every rule
   and recomputes every total; without JavaScript the form still works. */
(function () {
  "use strict";
  const form = document.getElementById("assessment-form");
  if (!form) return;

  // Items, bands and flagged items, and the names of the questions in a list, come
  // from the question catalogue (intake/catalogue.py), rendered with json_script.
  function jsonScript(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }
  const SCORING = jsonScript("instrument-scoring");
  const LABELS = jsonScript("question-labels");
  const WRAPPER = "div_id_";

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

  // --- questions ------------------------------------------------------------------

  // Every question's wrapper (crispy-forms' div#div_id_<field>), notes excluded.
  const questions = Array.from(
    form.querySelectorAll('fieldset[id^="section-"]:not(#section-notes) [id^="' + WRAPPER + '"]')
  );

  function fieldOf(wrapper) {
    return wrapper.id.slice(WRAPPER.length);
  }

  // The question's own label: a radio group's legend, or an input's label.
  function labelOf(wrapper) {
    return wrapper.querySelector(":scope > fieldset > legend, :scope > label");
  }

  function isAnswered(wrapper) {
    const radios = wrapper.querySelectorAll('input[type="radio"]');
    if (radios.length) return Array.from(radios).some((r) => r.checked);
    const other = wrapper.querySelector("input, textarea, select");
    return !other || other.value !== "";
  }

  function isShown(wrapper) {
    return !wrapper.closest("[hidden]");
  }

  // The questions that are asked (not behind a closed gate) and not answered.
  function unansweredQuestions() {
    return questions.filter((wrapper) => isShown(wrapper) && !isAnswered(wrapper));
  }

  // "Not answered" marker: words and a style, never colour alone. Each question's
  // label carries one; the stylesheet shows it while the question is unanswered.
  questions.forEach((wrapper) => {
    const label = labelOf(wrapper);
    if (!label) return;
    const marker = document.createElement("span");
    marker.className = "unanswered-marker";
    marker.textContent = "Not answered";
    label.appendChild(document.createTextNode(" "));
    label.appendChild(marker);
  });

  function updateMarkers() {
    questions.forEach((wrapper) => {
      wrapper.classList.toggle("unanswered", isShown(wrapper) && !isAnswered(wrapper));
    });
  }

  // --- skip logic -------------------------------------------------------------------

  function clearInputs(container) {
    container.querySelectorAll("input").forEach((input) => {
      if (input.type === "radio" || input.type === "checkbox") input.checked = false;
      else input.value = "";
    });
    dropCarriedForward(container);
  }

  // Questions that apply only after "yes" to another (C-SSRS 3-5 and 6b; history counts).
  function updateGates() {
    form.querySelectorAll("[data-gate]").forEach((el) => {
      const open = checkedValue(el.dataset.gate) === "yes";
      if (!open && !el.hidden) clearInputs(el);
      el.hidden = !open;
      if (open) dropGateHint(document.getElementById(WRAPPER + el.dataset.gate));
    });
  }

  // A question behind a closed gate is reached through its gate: the gate says
  // (data-gate-hint, from the catalogue) which answer opens the question.
  function showGateHint(gate, text) {
    let hint = gate.querySelector(".gate-hint");
    if (!hint) {
      hint = document.createElement("p");
      hint.className = "gate-hint alert alert-info small py-1 px-2 mt-2 mb-0";
      hint.id = "gate-hint-" + fieldOf(gate);
      (gate.querySelector(":scope > fieldset") || gate).appendChild(hint);
      gate.querySelectorAll("input").forEach((input) => {
        const ids = (input.getAttribute("aria-describedby") || "").split(" ");
        input.setAttribute("aria-describedby", ids.concat(hint.id).join(" ").trim());
      });
    }
    hint.textContent = text;
  }

  function dropGateHint(gate) {
    const hint = gate && gate.querySelector(".gate-hint");
    if (!hint) return;
    gate.querySelectorAll("input").forEach((input) => {
      const ids = (input.getAttribute("aria-describedby") || "")
        .split(" ")
        .filter((id) => id && id !== hint.id);
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    });
    hint.remove();
  }

  // Scroll to a question and focus its answer. A question that is not asked yet
  // (its gate is closed) brings its gate instead, with the hint.
  function goToQuestion(id) {
    if (!id.startsWith(WRAPPER)) return false;
    let target = document.getElementById(id);
    if (!target || !form.contains(target)) return false;
    let gated = target.closest("[data-gate]");
    while (gated && gated.hidden) {
      const gate = document.getElementById(WRAPPER + gated.dataset.gate);
      if (!gate) break;
      showGateHint(gate, gated.dataset.gateHint);
      target = gate;
      gated = target.closest("[data-gate]");
    }
    target.scrollIntoView({ block: "center" });
    const input =
      target.querySelector("input:checked") || target.querySelector("input, textarea, select");
    if (input) input.focus({ preventScroll: true });
    return true;
  }

  function hashTarget() {
    try {
      return decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {
      return "";
    }
  }

  window.addEventListener("hashchange", () => goToQuestion(hashTarget()));
  // Following the link of the question already in the address bar fires no
  // hashchange: go there all the same.
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#' + WRAPPER + '"]');
    if (link && link.getAttribute("href") === window.location.hash) {
      if (goToQuestion(hashTarget())) event.preventDefault();
    }
  });

  // --- carried forward (a progress review) -------------------------------------------

  function dropCarriedForward(container) {
    container.querySelectorAll("[data-carried-forward]").forEach((marker) => marker.remove());
  }

  function answerChanged(event) {
    const wrapper = event.target.closest && event.target.closest('[id^="' + WRAPPER + '"]');
    if (wrapper) dropCarriedForward(wrapper);
  }

  // --- safety banners ------------------------------------------------------------------

  // A flagged item above 0 (PHQ-9 item 9: thoughts of death or self-harm) shows
  // its instrument's safety banners: next to the item and in the progress summary.
  // The one at the top of the page is shown by the server only (this only hides it).
  function updateBanners() {
    document.querySelectorAll("[data-flag]").forEach((banner) => {
      const name = banner.dataset.flag;
      const item = SCORING[name] && SCORING[name].flagItem;
      if (!item) return;
      const value = checkedValue(name + "_" + item);
      const positive = value !== null && parseInt(value, 10) > 0;
      if (positive && banner.hasAttribute("data-flag-hide-only")) return;
      banner.hidden = !positive;
    });
  }

  // --- progress per section ------------------------------------------------------------

  // The list shows every section's count; a separate polite live region says only
  // what changed ("Risk of self-harm: 2 of 9 unanswered").
  const progressList = document.getElementById("section-progress");
  const announcer = document.getElementById("progress-announcer");
  const sections = Array.from(form.querySelectorAll('fieldset[id^="section-"]'))
    .filter((fieldset) => fieldset.id !== "section-notes" && fieldset.querySelector(":scope > legend"))
    .map((fieldset) => {
      const title = fieldset.querySelector(":scope > legend").textContent.trim();
      return {
        fieldset: fieldset,
        title: title,
        name: title.replace(/^\d+\.\s*/, ""),
        item: null,
        status: null,
      };
    });

  if (progressList) {
    progressList.innerHTML = "";
    sections.forEach((section) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#" + section.fieldset.id;
      link.textContent = section.title;
      li.appendChild(link);
      li.appendChild(document.createTextNode(""));
      progressList.appendChild(li);
      section.item = li;
    });
  }

  function updateProgress() {
    const changed = [];
    sections.forEach((section) => {
      let total = 0;
      let open = 0;
      questions.forEach((wrapper) => {
        if (!section.fieldset.contains(wrapper) || !isShown(wrapper)) return;
        total += 1;
        if (!isAnswered(wrapper)) open += 1;
      });
      const status = open ? open + " of " + total + " unanswered" : "complete";
      if (section.item) {
        section.item.lastChild.textContent = ": " + status;
        section.item.classList.toggle("text-success", !open);
      }
      if (section.status !== null && section.status !== status) {
        changed.push(section.name + ": " + status + ".");
      }
      section.status = status;
    });
    if (announcer && changed.length) announcer.textContent = changed.join(" ");
  }

  // --- "Submit anyway?" --------------------------------------------------------------

  const confirmBox = document.getElementById("confirm-unanswered");

  function showConfirm(open) {
    const count = confirmBox.querySelector("[data-confirm-count]");
    const list = confirmBox.querySelector("[data-confirm-list]");
    count.textContent =
      open.length + (open.length === 1 ? " question is" : " questions are") + " unanswered";
    list.innerHTML = "";
    open.forEach((wrapper) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.className = "alert-link";
      link.href = "#" + wrapper.id;
      const label = labelOf(wrapper);
      link.textContent =
        LABELS[fieldOf(wrapper)] || (label ? label.firstChild.textContent.trim() : fieldOf(wrapper));
      li.appendChild(link);
      list.appendChild(li);
    });
    confirmBox.querySelector('input[name="confirm_unanswered"]').disabled = false;
    confirmBox.hidden = false;
    confirmBox.scrollIntoView({ block: "start" });
    confirmBox.focus({ preventScroll: true });
  }

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (!confirmBox || !button || button.name !== "submit") return; // a draft never asks
    if (button.hasAttribute("data-confirm-submit") && !confirmBox.hidden) return;
    const open = unansweredQuestions();
    if (!open.length) return;
    event.preventDefault();
    showConfirm(open);
  });

  // --- wiring ---------------------------------------------------------------------------

  function update() {
    updateGates();
    Object.keys(SCORING).forEach(updateInstrument);
    updateBanners();
    updateMarkers();
    updateProgress();
  }

  form.addEventListener("change", (event) => { answerChanged(event); update(); });
  form.addEventListener("input", (event) => { answerChanged(event); update(); });
  update();
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  else if (confirmBox && !confirmBox.hidden) confirmBox.focus();
  else if (window.location.hash) {
    goToQuestion(hashTarget());
    // Once the page has loaded, Chromium clears the focus when the address names
    // an element that cannot take it (a question behind a closed gate): go again.
    window.addEventListener(
      "load",
      () => window.requestAnimationFrame(() => goToQuestion(hashTarget())),
      { once: true }
    );
  }
})();
