/*
 * Shared by Medborg's maps (place-picker.js, map-view.js); load it first:
 *
 *   <script src="{% static 'build/leaflet/leaflet.js' %}" defer></script>
 *   <script src="{% static 'medborg/map-common.js' %}" defer></script>
 *   <script src="{% static 'medborg/place-picker.js' %}" defer></script>
 *
 * Exposes window.MedborgMaps: imagePath, number, safeAttribution, copyAttribution
 * and gridLayer.
 */
(function () {
  "use strict";

  // Marker images live next to leaflet.js: static/build/leaflet/images/.
  // Worked out from this script's URL (static/medborg/map-common.js), which
  // also keeps working with hashed file names from collectstatic.
  var script = document.currentScript;
  var imagePath = script && script.src ? new URL("../build/leaflet/images/", script.src).href : null;

  // A coordinate typed by a person or written in a data attribute: "56,87" is
  // accepted as 56.87; anything else that is not a plain number is NaN.
  function number(value) {
    if (value === null || value === undefined) return NaN;
    var text = String(value).trim().replace(",", ".");
    if (text === "" || !/^[-+]?\d+(\.\d+)?$/.test(text)) return NaN;
    return parseFloat(text);
  }

  // Attribution is configuration, but it ends up as HTML in the page: keep only
  // text and links with http(s) addresses.
  function copyAttribution(html, target) {
    if (!html) return target;
    var parsed = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html").body;
    (function copy(from, to) {
      from.childNodes.forEach(function (node) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(node.textContent));
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          var href = node.tagName === "A" ? node.getAttribute("href") || "" : "";
          if (/^https?:\/\//i.test(href)) {
            var link = document.createElement("a");
            link.href = href;
            to.appendChild(link);
            copy(node, link);
          } else {
            copy(node, to);
          }
        }
      });
    })(parsed, target);
    return target;
  }

  function safeAttribution(html) {
    return copyAttribution(html, document.createElement("div")).innerHTML;
  }

  // Without a tile server the map shows a light grid that pans and zooms, so
  // dragging and zooming still give visible feedback.
  function gridLayer(L) {
    var Grid = L.GridLayer.extend({
      createTile: function () {
        var tile = document.createElement("canvas");
        var size = this.getTileSize();
        tile.width = size.x;
        tile.height = size.y;
        var ctx = tile.getContext("2d");
        if (ctx) {
          ctx.fillStyle = "#f5f5f5";
          ctx.fillRect(0, 0, size.x, size.y);
          ctx.strokeStyle = "#dcdcdc";
          ctx.lineWidth = 1;
          ctx.beginPath();
          for (var i = 0; i < size.x; i += size.x / 4) {
            ctx.moveTo(i + 0.5, 0);
            ctx.lineTo(i + 0.5, size.y);
            ctx.moveTo(0, i + 0.5);
            ctx.lineTo(size.x, i + 0.5);
          }
          ctx.stroke();
        }
        return tile;
      },
    });
    return new Grid({ attribution: "" });
  }

  window.MedborgMaps = {
    imagePath: imagePath,
    number: number,
    copyAttribution: copyAttribution,
    safeAttribution: safeAttribution,
    gridLayer: gridLayer,
  };
})();
