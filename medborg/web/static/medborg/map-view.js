/*
 * Medborg read-only case map: shows one place with a marker, nothing to operate.
 *
 *   <link rel="stylesheet" href="{% static 'build/leaflet/leaflet.css' %}">
 *   <script src="{% static 'build/leaflet/leaflet.js' %}" defer></script>
 *   <script src="{% static 'medborg/map-common.js' %}" defer></script>
 *   <script src="{% static 'medborg/map-view.js' %}" defer></script>
 *
 *   <div class="case-map" data-case-map
 *        data-tile-url="https://tiles.example/{z}/{x}/{y}.png"   (empty: no tiles)
 *        data-attribution="&copy; <a href=&quot;https://…&quot;>…</a>"
 *        data-lat="56.877700" data-lon="14.809100" data-zoom="16"  (zoom optional)
 *        data-label="Map showing the reported place"></div>
 *
 * The map is a picture (role="img" with data-label as its name), so the page must
 * give the place in text as well (address or coordinates). Tile attribution is
 * shown in a paragraph after the map, outside the picture, so its links stay
 * reachable. The script never changes the page without a valid data-lat/data-lon.
 */
(function () {
  "use strict";

  var maps = window.MedborgMaps;
  var imagePath = maps.imagePath;
  var number = maps.number;
  var attributionNodes = maps.copyAttribution;
  var gridLayer = maps.gridLayer;


  function init(container) {
    var L = window.L;
    var data = container.dataset;
    var lat = number(data.lat);
    var lon = number(data.lon);
    if (!L || container.dataset.caseMapReady) return;
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
    container.dataset.caseMapReady = "true";
    var zoom = parseInt(data.zoom, 10);
    if (!isFinite(zoom)) zoom = 16;

    if (imagePath) L.Icon.Default.imagePath = imagePath;

    var map = L.map(container, {
      center: [lat, lon],
      zoom: zoom,
      zoomControl: false,
      attributionControl: false,
      dragging: false,
      touchZoom: false,
      doubleClickZoom: false,
      scrollWheelZoom: false,
      boxZoom: false,
      keyboard: false,
    });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { maxZoom: 19 }).addTo(map);
      if (data.attribution) {
        var attribution = document.createElement("p");
        attribution.className = "case-map__attribution";
        attributionNodes(data.attribution, attribution);
        container.parentNode.insertBefore(attribution, container.nextSibling);
      }
    } else {
      gridLayer(L).addTo(map);
    }
    L.marker([lat, lon], { interactive: false, keyboard: false }).addTo(map);

    container.setAttribute("role", "img");
    if (data.label) container.setAttribute("aria-label", data.label);

    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        map.invalidateSize();
        map.setView([lat, lon], zoom, { animate: false });
      }).observe(container);
    }
  }

  function start() {
    document.querySelectorAll("[data-case-map]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
