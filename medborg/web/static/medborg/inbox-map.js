/*
 * Medborg staff inbox map: the cases of the current selection as markers.
 *
 *   {{ points|json_script:"inbox-points" }}
 *   <div class="inbox-map" data-inbox-map data-tile-url="…" data-attribution="…"
 *        data-lat="56.87" data-lon="14.80" data-label="Map of the cases"></div>
 *
 * Each point is {reference, lat, lon, service, step, overdue}. A marker is a
 * link to the case (keyboard reachable, named by its reference); overdue cases
 * get a distinct marker class. The table under the map lists the same cases,
 * so the map adds nothing that the page does not say in text.
 */
(function () {
  "use strict";

  var maps = window.MedborgMaps;

  function caseUrl(reference) {
    return window.location.pathname.replace(/\/$/, "") + "/cases/" + encodeURIComponent(reference) + "/";
  }

  function init(container) {
    var L = window.L;
    var source = document.getElementById("inbox-points");
    if (!L || !source || container.dataset.inboxMapReady) return;
    container.dataset.inboxMapReady = "true";
    var points = JSON.parse(source.textContent);
    if (maps.imagePath) L.Icon.Default.imagePath = maps.imagePath;
    var map = L.map(container, { scrollWheelZoom: false });
    if (container.dataset.tileUrl) {
      L.tileLayer(container.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
      if (container.dataset.attribution) {
        var attribution = document.createElement("p");
        attribution.className = "case-map__attribution";
        maps.copyAttribution(container.dataset.attribution, attribution);
        container.parentNode.insertBefore(attribution, container.nextSibling);
      }
    } else {
      maps.gridLayer(L).addTo(map);
    }
    container.setAttribute("aria-label", container.dataset.label || "");
    container.setAttribute("role", "region");

    var bounds = [];
    points.forEach(function (point) {
      var title = point.reference + ": " + point.service + ", " + point.step;
      var marker = L.marker([point.lat, point.lon], {
        title: title,
        alt: title,
        keyboard: true,
      }).addTo(map);
      if (point.overdue) {
        marker.on("add", function () {
          var icon = marker.getElement();
          if (icon) icon.classList.add("inbox-map__marker--overdue");
        });
        var icon = marker.getElement();
        if (icon) icon.classList.add("inbox-map__marker--overdue");
      }
      marker.on("click", function () {
        window.location.href = caseUrl(point.reference);
      });
      marker.on("keypress", function (event) {
        if (event.originalEvent.key === "Enter") window.location.href = caseUrl(point.reference);
      });
      bounds.push([point.lat, point.lon]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView([maps.number(container.dataset.lat), maps.number(container.dataset.lon)], 12);
    }
  }

  function start() {
    document.querySelectorAll("[data-inbox-map]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
