// Inside the Teams tab the dashboard's own pages refuse to be framed (only /teams/tab... may
// be): links to "My leave" and the team calendar stay in the tab's versions of them, any
// other page of the dashboard opens in the browser, and signing out is Teams' business.
(function () {
  "use strict";
  var IN_TAB = { "/": "/teams/tab/my-leave", "/team": "/teams/tab/team" };

  function mapped(url) {
    if (url.origin !== window.location.origin) return null;
    if (url.pathname.indexOf("/teams/tab") === 0) return url.pathname + url.search;
    var tab = IN_TAB[url.pathname];
    return tab ? tab + url.search : undefined;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented) return;
    var url = new URL(link.href, window.location.href);
    var target = mapped(url);
    if (target === null) return; // another site: the browser (and Teams) handle it
    event.preventDefault();
    if (target === undefined) window.open(url.href, "_blank", "noopener");
    else window.location.assign(target);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.method || "get").toLowerCase() !== "get") return;
    var url = new URL(form.action, window.location.href);
    var target = mapped(url);
    if (!target || event.defaultPrevented) return;
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form)).toString();
    window.location.assign(target.split("?")[0] + (query ? "?" + query : ""));
  });

  document.addEventListener("DOMContentLoaded", function () {
    var signout = document.querySelector("form.signout button");
    if (signout) signout.hidden = true;
  });
})();
