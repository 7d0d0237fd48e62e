/* The idle-timeout warning (locatr.middleware.SessionTimeoutMiddleware signs a user
   out after SESSION_IDLE_MINUTES without a request). The numbers come from the
   dialog's data- attributes (templates/_session_timeout.html). Asking how long is
   left (GET) does not count as activity; "Stay signed in" (POST) does. */
(function () {
  "use strict";
  const dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const warning = Number(dialog.dataset.warningSeconds);
  const statusUrl = dialog.dataset.statusUrl;
  let timer = null;

  function signedOut() {
    const here = window.location.pathname + window.location.search;
    window.location.assign(dialog.dataset.loginUrl + "?next=" + encodeURIComponent(here));
  }

  // Warn `warning` seconds before the end; at the end, ask again: another tab may
  // have kept the session alive, else the server has signed us out (401).
  function schedule(secondsLeft) {
    window.clearTimeout(timer);
    if (secondsLeft > warning) {
      if (dialog.open) dialog.close();
      timer = window.setTimeout(check, (secondsLeft - warning) * 1000);
    } else {
      if (!dialog.open) dialog.showModal();
      timer = window.setTimeout(check, (secondsLeft + 1) * 1000);
    }
  }

  function ask(method) {
    const headers = {"Accept": "application/json"};
    if (method === "POST") headers["X-CSRFToken"] = dialog.dataset.csrfToken;
    return fetch(statusUrl, {method: method, credentials: "same-origin", headers: headers})
      .then(function (response) {
        if (response.status === 401) { signedOut(); return null; }
        if (!response.ok) throw new Error("session status " + response.status);
        return response.json();
      })
      .then(function (body) { if (body) schedule(body.idle_seconds_left); })
      .catch(function () { timer = window.setTimeout(check, 5000); });
  }

  function check() { ask("GET"); }
  function stay() { ask("POST"); }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", stay);
  // Escape is activity too: it answers the question the same way.
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); stay(); });
  schedule(Number(dialog.dataset.idleSeconds));
})();
