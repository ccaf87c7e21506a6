// Live updates: the web relays the requests service's event stream (the browser never
// holds an API token). Each event makes the page's live parts (hx-trigger="lf-live from:body")
// fetch themselves again. Without a stream upstream, they refresh every few seconds instead.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var pending = null;
  function refresh() {
    // Several events in a burst (LeaveRequested, LeavePending, ...) cause one refresh.
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      document.body.dispatchEvent(new CustomEvent("lf-live"));
    }, 150);
  }
  function poll() {
    document.body.dataset.live = "polling";
    setInterval(refresh, 3000);
  }
  if (!window.EventSource) { poll(); return; }
  var source = new EventSource("/live/stream");
  source.addEventListener("open", function () {
    document.body.dataset.live = "stream";
  });
  source.addEventListener("unavailable", function () {
    source.close();
    poll();
  });
  source.addEventListener("ended", function () {
    source.close();
    window.location.assign("/signin?reason=ended");
  });
  source.onmessage = refresh;
  ["LeaveRequested", "LeavePending", "LeaveRejected", "LeaveApproved", "LeaveDenied",
   "LeaveRepriced", "LeaveCancelled", "LeaveLevelApproved"].forEach(function (type) {
    source.addEventListener(type, function () {
      if (status) { status.textContent = "Updated: " + type.replace(/^Leave/, "").toLowerCase(); }
      refresh();
    });
  });
})();
