// jangkau map page: travel-time layers, for a region measured on a road network.
// The road network is a folium GeoJson styled here by speed; the desa layer of
// median travel time to the chosen service is filled here from the desa
// geometry, with a legend in minutes. Every text value in DATA was HTML-escaped
// when the page was written.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data-peta").textContent);
  var T = DATA.waktu;
  if (!T) { return; }
  var K = T.kata;

  function warnaMenit(menit) {
    if (menit === null || menit === undefined) { return K.warna_kosong; }
    for (var i = 0; i < K.batas_menit.length; i++) {
      if (menit <= K.batas_menit[i]) { return K.warna[i]; }
    }
    return K.warna[K.warna.length - 1];
  }
  function teksMenit(menit) {
    return (menit === null || menit === undefined) ? K.tak_terjangkau :
      String(menit).replace(".", ",") + " " + K.menit;
  }

  window.jangkauPlugin.gayaJalan = function (f) {
    return { color: "#555", weight: f.properties.km_per_jam >= 40 ? 3 : 1.5, opacity: 0.8 };
  };
  window.jangkauPlugin.fiturJalan = function (f, lapis) {
    lapis.bindTooltip(f.properties.kelas + ": " + String(f.properties.km_per_jam).replace(".", ",") + " " + K.km_per_jam,
      { sticky: true });
  };

  window.jangkauWaktuPasang = function (P, lapisan) {
    var waktu = lapisan.waktu;
    function gaya(f) {
      var menit = (T.median[f.properties.urutan] || {})[P.layananAktif()];
      return { fillColor: warnaMenit(menit), color: "#444", weight: 0.5, fillOpacity: 0.75 };
    }
    function warnai() { waktu.eachLayer(function (l) { l.setStyle(gaya(l.feature)); }); }
    var fitur = P.desa.toGeoJSON();
    fitur.features.forEach(function (f, i) { f.properties.urutan = i; });
    L.geoJSON(fitur, {
      style: gaya,
      onEachFeature: function (f, lapis) {
        lapis.bindTooltip(function () {
          var i = f.properties.urutan, s = P.layananAktif();
          return "<b>" + f.properties.desa + "</b><br>" + K.median + ": " + teksMenit((T.median[i] || {})[s]) +
            "<br>" + K.p90 + ": " + teksMenit((T.p90[i] || {})[s]);
        }, { sticky: true });
      }
    }).eachLayer(function (l) { waktu.addLayer(l); });

    var legenda = L.control({ position: "bottomright" });
    legenda.onAdd = function () {
      var div = L.DomUtil.create("div", "kotak legenda");
      var teks = "<h2>" + K.legenda + "</h2>";
      var bawah = 0;
      K.batas_menit.forEach(function (batas, i) {
        teks += "<div><i style='background:" + K.warna[i] + "'></i> " + bawah + "–" + batas + "</div>";
        bawah = batas;
      });
      teks += "<div><i style='background:" + K.warna[K.warna.length - 1] + "'></i> &gt; " + bawah + "</div>";
      teks += "<div><i style='background:" + K.warna_kosong + "'></i> " + K.tak_terjangkau + "</div>";
      div.innerHTML = teks;
      div.id = "legenda-waktu";
      return div;
    };
    var pilih = document.getElementById("pilih-layanan");
    if (pilih) { pilih.addEventListener("change", warnai); }
    P.peta.on("overlayadd", function (e) { if (e.layer === waktu) { legenda.addTo(P.peta); warnai(); } });
    P.peta.on("overlayremove", function (e) { if (e.layer === waktu) { legenda.remove(); } });
    window.jangkauWaktu = { jalan: lapisan.jalan, waktu: waktu, legenda: legenda };
  };
})();
