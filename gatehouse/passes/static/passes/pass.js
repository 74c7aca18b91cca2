/* The pass page: fetch a fresh QR at each token step, and say plainly when it could not.
   Never leaves an old code looking current: a failed refresh veils it at once, and once the code's
   validity has run out it is hidden. */
(function () {
  "use strict";
  var box = document.getElementById("pass");
  if (!box) return;
  var statusLine = document.getElementById("pass-status");
  var clock = document.getElementById("pass-clock");
  var url = box.dataset.refreshUrl;
  var refreshTimer = null, expiryTimer = null, stopped = false;

  // The district's clock, not the phone's: a gate volunteer compares it with their own watch, and
  // the server-rendered times on this page are in the district's zone too.
  var clockFormat = new Intl.DateTimeFormat("en-GB", {
    timeZone: box.dataset.timeZone || undefined, hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  function hhmmss(d) {
    return clockFormat.format(d);
  }
  function say(kind, text) {
    if (!statusLine) return;
    statusLine.className = "pass-status " + kind;
    statusLine.textContent = text;
  }
  function expire() {
    box.classList.add("stale", "expired");
    say("expired", box.dataset.textExpired);
  }
  function schedule(seconds) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, Math.max(0.5, seconds) * 1000);
  }
  function arm() {
    var live = box.querySelector(".pass-live");
    if (!live || live.dataset.stop) { stopped = true; if (statusLine) statusLine.hidden = true; if (clock) clock.parentNode.hidden = true; return; }
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(expire, parseFloat(live.dataset.validFor) * 1000);
    schedule(parseFloat(live.dataset.refreshIn));
  }
  function failed() {
    if (!box.classList.contains("expired")) {
      box.classList.add("stale");
      say("offline", box.dataset.textOffline);
    }
    schedule(3);
  }
  function refresh() {
    if (stopped) return;
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = setTimeout(function () { if (controller) controller.abort(); }, 8000);
    fetch(url, { credentials: "same-origin", cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (response.status === 401) {
          stopped = true;
          box.classList.add("stale", "expired");
          say("signed-out", box.dataset.textSignedOut);
          return;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text().then(function (html) {
          box.innerHTML = html;
          box.classList.remove("stale", "expired");
          say("fresh", box.dataset.textFresh + " " + hhmmss(new Date()));
          arm();
        });
      })
      .catch(failed)
      .then(function () { clearTimeout(timeout); });
  }

  if (clock) setInterval(function () { clock.textContent = hhmmss(new Date()); }, 1000);
  // A phone that slept or lost the network fetches at once when it is back.
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  window.addEventListener("online", refresh);
  window.addEventListener("offline", failed);
  arm();
})();
