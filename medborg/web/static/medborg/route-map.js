/*
 * Medborg route map: the day's routes (operator) or one route (driver).
 *
 *   {{ map_points|json_script:"route-map-data" }}
 *   <div class="inbox-map" data-route-map data-tile-url="…" data-attribution="…"
 *        data-lat="56.87" data-lon="14.80" data-label="Map of the routes"></div>
 *
 * The data is {routes: [{label, colour, depot: [lat, lon], stops: [{lat, lon,
 * position, name, done}]}]}. Each route is a line from its depot through its
 * stops back to the depot, each stop a numbered circle (grey once emptied or
 * skipped). The markers are not interactive: the table or list beside the map
 * says everything the map shows, and is what keyboard and screen reader users
 * work with.
 */
(function () {
  "use strict";

  var maps = window.MedborgMaps;
  var DONE = "#6f6f6f";

  function baseLayer(L, map, container) {
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
  }

  function stopMarker(L, stop, colour) {
    var marker = L.circleMarker([stop.lat, stop.lon], {
      radius: 9,
      color: "#ffffff",
      weight: 2,
      fillColor: stop.done ? DONE : colour,
      fillOpacity: 1,
      interactive: false,
    });
    marker.bindTooltip(String(stop.position), {
      permanent: true,
      direction: "center",
      className: "route-map__number",
      interactive: false,
    });
    return marker;
  }

  function drawRoute(L, map, route, bounds) {
    var line = [route.depot];
    route.stops.forEach(function (stop) {
      line.push([stop.lat, stop.lon]);
      bounds.push([stop.lat, stop.lon]);
    });
    line.push(route.depot);
    bounds.push(route.depot);
    L.polyline(line, { color: route.colour, weight: 4, opacity: 0.8, interactive: false }).addTo(map);
    L.circleMarker(route.depot, {
      radius: 7,
      color: route.colour,
      weight: 3,
      fillColor: "#ffffff",
      fillOpacity: 1,
      interactive: false,
    }).addTo(map);
    route.stops.forEach(function (stop) {
      stopMarker(L, stop, route.colour).addTo(map);
    });
  }

  function init(container) {
    var L = window.L;
    var source = document.getElementById("route-map-data");
    if (!L || !maps || !source || container.dataset.routeMapReady) return;
    container.dataset.routeMapReady = "true";
    var data = JSON.parse(source.textContent);
    var map = L.map(container, { scrollWheelZoom: false });
    baseLayer(L, map, container);
    container.setAttribute("aria-label", container.dataset.label || "");
    container.setAttribute("role", "region");

    var bounds = [];
    (data.routes || []).forEach(function (route) {
      drawRoute(L, map, route, bounds);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView([maps.number(container.dataset.lat), maps.number(container.dataset.lon)], 12);
    }
  }

  function start() {
    document.querySelectorAll("[data-route-map]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
