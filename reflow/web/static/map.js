// The network map: markers clustered on a pixel grid, flows as lines whose width shows quantity.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var COLOURS = { agent: "#1d6fa5", resource: "#1b7a5a", offer: "#d17a00", request: "#8e3bb0" };
  var CELL = 48; // px: markers closer than this at the current zoom share one cluster

  var map = L.map("map", { zoomSnap: 0.5, maxZoom: 19 });
  if (text.tiles) {
    L.tileLayer(text.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  }
  var points = data.markers.map(function (m) { return [m.lat, m.long]; });
  data.flows.forEach(function (f) { points.push(f.from, f.to); });
  if (points.length) { map.fitBounds(points, { padding: [30, 30], maxZoom: 15 }); }
  else { map.setView([52.37, 4.89], 12); }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function item(m) {
    return '<li><span class="dot" style="background:' + COLOURS[m.kind] + '"></span> ' +
      '<a href="' + escapeHtml(m.href) + '">' + escapeHtml(m.title) + "</a> " +
      '<span class="muted">' + escapeHtml(m.detail) + "</span></li>";
  }
  function popup(members) {
    return "<strong>" + escapeHtml(members[0].place) + "</strong><ul style='padding-left:1rem;margin:.3rem 0'>" +
      members.map(item).join("") + "</ul>";
  }

  // Flows: width grows with the square root of the quantity, so one big flow does not hide the rest.
  var biggest = Math.max.apply(null, [1].concat(data.flows.map(function (f) { return f.quantity; })));
  var flowLayer = L.layerGroup().addTo(map);
  data.flows.forEach(function (f) {
    var w = 2 + 10 * Math.sqrt(f.quantity / biggest);
    L.polyline([f.from, f.to], { color: "#c0392b", weight: w, opacity: 0.7, className: "flow-line" })
      .bindPopup(escapeHtml(f.quantity + " " + f.unit + " · " + f.actions.join(", ")))
      .addTo(flowLayer);
  });

  // Grid clustering: group markers by the pixel cell they fall in; redo it after every zoom.
  var markerLayer = L.layerGroup().addTo(map);
  function draw() {
    markerLayer.clearLayers();
    var cells = {};
    data.markers.forEach(function (m) {
      var p = map.latLngToLayerPoint([m.lat, m.long]);
      var key = Math.floor(p.x / CELL) + ":" + Math.floor(p.y / CELL);
      (cells[key] = cells[key] || []).push(m);
    });
    Object.keys(cells).forEach(function (key) {
      var members = cells[key];
      var lat = 0, lng = 0;
      members.forEach(function (m) { lat += m.lat; lng += m.long; });
      var at = [lat / members.length, lng / members.length];
      if (members.length === 1) {
        var m = members[0];
        // a focusable marker (Tab reaches it, Enter opens its popup), coloured by kind
        var dot = L.divIcon({ className: "marker marker-" + m.kind, iconSize: [18, 18] });
        L.marker(at, { icon: dot, keyboard: true, title: m.title })
          .bindPopup(popup(members)).addTo(markerLayer);
        return;
      }
      var samePlace = members.every(function (x) { return x.lat === members[0].lat && x.long === members[0].long; });
      var icon = L.divIcon({ className: "cluster-icon marker-cluster", html: String(members.length), iconSize: [38, 38] });
      var cluster = L.marker(at, { icon: icon, keyboard: true, title: members.length + " " + text.items });
      if (samePlace || map.getZoom() >= map.getMaxZoom()) {
        cluster.bindPopup(popup(members));
      } else {
        cluster.on("click", function () {
          map.fitBounds(members.map(function (x) { return [x.lat, x.long]; }), { padding: [40, 40] });
        });
      }
      cluster.addTo(markerLayer);
    });
  }
  map.on("zoomend", draw);
  draw();
})();
