/*
 * Medborg place picker: progressive enhancement of the latitude/longitude inputs
 * of a report form with a Leaflet map. Without JavaScript (or without Leaflet) the
 * server-rendered inputs keep working on their own.
 *
 * Load after Leaflet, both deferred:
 *   <link rel="stylesheet" href="{% static 'build/leaflet/leaflet.css' %}">
 *   <script src="{% static 'build/leaflet/leaflet.js' %}" defer></script>
 *   <script src="{% static 'medborg/map-common.js' %}" defer></script>
 *   <script src="{% static 'medborg/place-picker.js' %}" defer></script>
 *
 * Markup (all configuration in data- attributes: the CSP forbids inline script):
 *   <div class="place-picker" data-place-picker
 *        data-tile-url="https://tiles.example/{z}/{x}/{y}.png"   (empty: no tiles)
 *        data-attribution="&copy; <a href=&quot;https://…&quot;>…</a>"
 *        data-center-lat="56.8777" data-center-lon="14.8091" data-zoom="13"
 *        data-label-map="…" data-label-locate="…" data-label-locating="…"
 *        data-label-locate-failed="…" data-label-chosen="Place chosen: %(lat)s, %(lon)s"
 *        data-label-keyboard="…">                                  (optional hint)
 *     <div class="place-picker__map"></div>
 *     <input name="latitude" …> <input name="longitude" …> <input name="address" …>
 *   </div>
 *
 * Click the map, drag the marker, or focus the map, move it with the arrow keys
 * and press Enter to put the marker at the centre. Coordinates are written with 6
 * decimals and "." as decimal separator; typing coordinates moves the marker.
 * Each change dispatches a bubbling "place-picker:change" event with
 * detail {lat, lon} on the picker element.
 */
(function () {
  "use strict";

  var maps = window.MedborgMaps;
  var imagePath = maps.imagePath;
  var number = maps.number;
  var safeAttribution = maps.safeAttribution;
  var gridLayer = maps.gridLayer;

  var CHOSEN_ZOOM = 16;
  var LOCATED_ZOOM = 17;

  function validLatLon(lat, lon) {
    return isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  }

  function format(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function findInput(root, name) {
    return root.querySelector('input[name="' + name + '"], input[name$="-' + name + '"]');
  }

  function init(root) {
    var L = window.L;
    var container = root.querySelector(".place-picker__map");
    var latInput = findInput(root, "latitude");
    var lonInput = findInput(root, "longitude");
    if (!L || !container || !latInput || !lonInput || root.dataset.placePickerReady) return;
    root.dataset.placePickerReady = "true";

    var data = root.dataset;
    var centerLat = number(data.centerLat);
    var centerLon = number(data.centerLon);
    if (!validLatLon(centerLat, centerLon)) {
      centerLat = 0;
      centerLon = 0;
    }
    var zoom = parseInt(data.zoom, 10);
    if (!isFinite(zoom)) zoom = 13;

    // Controls above the map: "use my location" and the live region.
    var controls = document.createElement("div");
    controls.className = "place-picker__controls";
    var status = document.createElement("p");
    status.className = "place-picker__status";
    status.setAttribute("aria-live", "polite");
    var locateButton = null;
    if ("geolocation" in navigator && data.labelLocate) {
      locateButton = document.createElement("button");
      locateButton.type = "button";
      locateButton.className = "button button-secondary";
      locateButton.textContent = data.labelLocate;
      controls.appendChild(locateButton);
    }
    controls.appendChild(status);
    container.parentNode.insertBefore(controls, container);

    if (data.labelMap) container.setAttribute("aria-label", data.labelMap);
    container.setAttribute("role", "group");
    if (data.labelKeyboard) {
      var hint = document.createElement("p");
      hint.className = "form-hint place-picker__hint";
      hint.id = (latInput.id || "place-picker") + "-map-hint";
      hint.textContent = data.labelKeyboard;
      container.parentNode.insertBefore(hint, container.nextSibling);
      container.setAttribute("aria-describedby", hint.id);
    }

    if (imagePath) L.Icon.Default.imagePath = imagePath;

    var map = L.map(container, {
      center: [centerLat, centerLon],
      zoom: zoom,
      keyboard: true,
    });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, {
        attribution: safeAttribution(data.attribution),
        maxZoom: 19,
      }).addTo(map);
    } else {
      gridLayer(L).addTo(map);
    }

    var marker = null;

    function say(message, isError) {
      status.textContent = message || "";
      status.classList.toggle("place-picker__status--error", Boolean(isError));
    }

    function chosenText(lat, lon) {
      return format(data.labelChosen, { lat: lat.toFixed(6), lon: lon.toFixed(6) });
    }

    function placeMarker(lat, lon) {
      if (marker) {
        marker.setLatLng([lat, lon]);
      } else {
        marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () {
          var point = marker.getLatLng();
          choose(point.lat, point.lng, { announce: true, pan: false });
        });
      }
      var element = marker.getElement();
      if (element) {
        var text = chosenText(lat, lon);
        element.setAttribute("alt", text);
        element.setAttribute("title", text);
      }
    }

    function writeInputs(lat, lon) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
    }

    function choose(lat, lon, options) {
      options = options || {};
      lat = Math.max(-90, Math.min(90, lat));
      lon = L.Util.wrapNum(lon, [-180, 180], true);
      placeMarker(lat, lon);
      if (options.write !== false) writeInputs(lat, lon);
      if (options.pan) map.setView([lat, lon], Math.max(map.getZoom(), options.zoom || CHOSEN_ZOOM));
      if (options.announce) say(chosenText(lat, lon));
      root.dispatchEvent(
        new CustomEvent("place-picker:change", { bubbles: true, detail: { lat: lat, lon: lon } }),
      );
    }

    function fromInputs() {
      var lat = number(latInput.value);
      var lon = number(lonInput.value);
      if (!validLatLon(lat, lon)) return false;
      choose(lat, lon, { write: false, pan: true });
      return true;
    }

    // A re-rendered form (validation error) already holds coordinates.
    fromInputs();

    map.on("click", function (event) {
      choose(event.latlng.lat, event.latlng.lng, { announce: true, pan: false });
    });

    // Keyboard: arrow keys pan (Leaflet), Enter or Space puts the marker at the centre.
    container.addEventListener("keydown", function (event) {
      if (event.target !== container) return;
      if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        var centre = map.getCenter();
        choose(centre.lat, centre.lng, { announce: true, pan: false });
      }
    });

    [latInput, lonInput].forEach(function (input) {
      input.addEventListener("input", fromInputs);
      input.addEventListener("change", fromInputs);
    });

    if (locateButton) {
      locateButton.addEventListener("click", function () {
        locateButton.disabled = true;
        say(data.labelLocating);
        navigator.geolocation.getCurrentPosition(
          function (position) {
            locateButton.disabled = false;
            choose(position.coords.latitude, position.coords.longitude, {
              announce: true,
              pan: true,
              zoom: LOCATED_ZOOM,
            });
          },
          function () {
            locateButton.disabled = false;
            say(data.labelLocateFailed, true);
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
        );
      });
    }

    // The map may have been laid out while hidden (e.g. in a collapsed section).
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        map.invalidateSize();
      }).observe(container);
    }

    root.placePicker = { map: map, choose: choose };
  }

  function start() {
    document.querySelectorAll("[data-place-picker]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
