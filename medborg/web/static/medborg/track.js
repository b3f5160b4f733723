// Keep the citizen's tracking page current without a reload.
// Polls status.json with If-None-Match (the server answers 304 while nothing
// changed); when the case's version moves on, fetches the status part of the
// page and swaps it in, then says so in a polite live region.
(function () {
  "use strict";
  var region = document.querySelector("[data-live-status]");
  if (!region || !window.fetch) { return; }
  var announcer = document.querySelector("[data-live-announcer]");
  var statusUrl = region.dataset.statusUrl;
  var partUrl = region.dataset.partUrl;
  var version = region.dataset.version;
  var etag = null;
  var interval = 4000;
  var timer = null;

  function schedule() {
    window.clearTimeout(timer);
    timer = document.hidden ? null : window.setTimeout(poll, interval);
  }

  function refresh() {
    return fetch(partUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        region.innerHTML = html;
        if (announcer) {
          announcer.textContent = "";
          announcer.textContent = region.dataset.labelUpdated;
        }
      });
  }

  function poll() {
    timer = 0;
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        if (data && String(data.version) !== String(version)) {
          version = String(data.version);
          region.dataset.version = version;
          return refresh();
        }
      })
      .catch(function () { /* offline or rate-limited: try again next round */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null) { poll(); }
  });
  schedule();
})();
