/* Maps: the directory's clustered map (from the GeoJSON API) and a place's own map.
   Everything here is an enhancement: the list and the filters work without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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
    var map = L.map(el, { scrollWheelZoom: false }).setView([46.6, 2.4], 5);
    tiles(map, el);
    var cluster = L.markerClusterGroup({ chunkedLoading: true });
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
    var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 15);
    tiles(map, el);
    L.marker([lat, lon], { title: el.dataset.name, alt: el.dataset.name }).addTo(map);
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
