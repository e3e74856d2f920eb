/* Maps: the directory's clustered map (from the GeoJSON API) and a place's own map.
   Everything here is an enhancement: the list and the filters work without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function newMap(el, center, zoom) {
    var map = L.map(el, { scrollWheelZoom: false, zoomControl: false }).setView(center, zoom);
    L.control.zoom({
      zoomInTitle: el.dataset.zoomIn || "+",
      zoomOutTitle: el.dataset.zoomOut || "-"
    }).addTo(map);
    tiles(map, el);
    return map;
  }

  function tiles(map, el) {
    L.tileLayer(el.dataset.tiles, {
      maxZoom: 19,
      attribution: el.dataset.attribution || ""
    }).addTo(map);
  }

  function popup(feature) {
    var p = feature.properties;
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;
    var title = document.createElement("strong");
    title.appendChild(link);
    box.appendChild(title);
    if (p.town) {
      var town = document.createElement("div");
      town.textContent = p.town;
      box.appendChild(town);
    }
    return box;
  }

  function directoryMap(el) {
    var map = newMap(el, [46.6, 2.4], 5);
    var label = el.dataset.clusterLabel || "";
    var cluster = L.markerClusterGroup({
      chunkedLoading: true,
      // the default cluster icon, with a name screen readers can announce
      iconCreateFunction: function (group) {
        var count = group.getChildCount();
        var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
        var text = document.createElement("span");
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = label + " ";
        text.appendChild(hidden);
        text.appendChild(document.createTextNode(String(count)));
        var inner = document.createElement("div");
        inner.appendChild(text);
        return L.divIcon({
          html: inner.outerHTML,
          className: "marker-cluster marker-cluster-" + size,
          iconSize: L.point(40, 40)
        });
      }
    });
    map.addLayer(cluster);
    fetch(el.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return L.marker(latlng, { title: feature.properties.name, alt: feature.properties.name });
          },
          onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature)); }
        });
        cluster.addLayer(layer);
        if (data.features.length) {
          map.fitBounds(layer.getBounds(), { maxZoom: 13, padding: [20, 20] });
        }
      })
      .catch(function () { /* the list below stays the reference */ });
  }

  function placeMap(el) {
    var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    var map = newMap(el, [lat, lon], 15);
    // Nothing happens on activating this marker: an image, not a button in the tab order.
    L.marker([lat, lon], {
      title: el.dataset.name, alt: el.dataset.name, keyboard: false, interactive: false
    }).addTo(map);
  }

  function nearMe() {
    var button = document.getElementById("near-me");
    var field = document.getElementById("id_near");
    if (!button || !field || !navigator.geolocation) { return; }
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        field.value = pos.coords.latitude.toFixed(5) + "," + pos.coords.longitude.toFixed(5);
        document.getElementById("id_town").value = "";
        button.form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof L === "undefined") { return; }
    L.Icon.Default.imagePath = (document.querySelector('link[href*="leaflet.css"]') || {}).href
      ? document.querySelector('link[href*="leaflet.css"]').href.replace("leaflet.css", "images/")
      : undefined;
    var dir = document.getElementById("map");
    if (dir && dir.dataset.geojson) { directoryMap(dir); }
    var one = document.getElementById("place-map");
    if (one) { placeMap(one); }
    nearMe();
  });
})();
