// The Teams tab's sign-in: Teams hands the person's SSO token to this frame, the web checks
// it and opens the tab's session, and the frame (never the top-level window) moves on.
(function () {
  "use strict";
  var root = document.getElementById("teams-tab");
  if (!root) return;
  var status = document.getElementById("teams-tab-status");
  var problem = document.getElementById("teams-tab-problem");

  function refuse(message) {
    if (status) status.hidden = true;
    problem.textContent = message;
    problem.hidden = false;
  }

  function outside() {
    if (status) status.hidden = true;
    document.getElementById("teams-tab-outside").hidden = false;
  }

  if (typeof microsoftTeams === "undefined") {
    outside();
    return;
  }
  microsoftTeams.app
    .initialize()
    .then(function () {
      return microsoftTeams.authentication.getAuthToken();
    }, function () {
      outside();
      throw null;
    })
    .then(function (token) {
      return fetch(root.dataset.sessionUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: token, page: root.dataset.page }),
      });
    })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || response.statusText);
        microsoftTeams.app.notifySuccess();
        window.location.replace(body.next);
      });
    })
    .catch(function (error) {
      if (error === null) return;
      var message = error && error.message ? error.message : String(error);
      refuse(message);
      microsoftTeams.app.notifyFailure({ reason: "AuthFailed", message: message });
    });
})();
