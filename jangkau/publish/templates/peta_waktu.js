// jangkau map page: travel-time layers, for a region measured on a road network.
// Adds, beside the main page's layers, the road network and each desa's median
// travel time to the chosen service, with a legend in minutes. Every text value
// in DATA was HTML-escaped when the page was written.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data-peta").textContent);
  var T = DATA.waktu;
  var P = window.jangkauPeta;
  if (!T || !P) { return; }
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
  var pilih = document.getElementById("pilih-layanan");
  function aktif() { return pilih ? pilih.value : null; }

  var jalan = L.layerGroup(T.jalan.map(function (k) {
    var garis = k.garis.map(function (g) { return g.map(function (p) { return [p[1], p[0]]; }); });
    return L.polyline(garis, { color: "#555", weight: k.km_per_jam >= 40 ? 3 : 1.5, opacity: 0.8 })
      .bindTooltip(k.kelas + ": " + String(k.km_per_jam).replace(".", ",") + " " + K.km_per_jam, { sticky: true });
  }));

  var fitur = P.desa.toGeoJSON();
  fitur.features.forEach(function (f, i) { f.properties.urutan = i; });
  function gaya(f) {
    var menit = (T.median[f.properties.urutan] || {})[aktif()];
    return { fillColor: warnaMenit(menit), color: "#444", weight: 0.5, fillOpacity: 0.75 };
  }
  var waktu = L.geoJSON(fitur, {
    style: gaya,
    onEachFeature: function (f, lapis) {
      lapis.bindTooltip(function () {
        var i = f.properties.urutan, s = aktif();
        return "<b>" + f.properties.desa + "</b><br>" + K.median + ": " + teksMenit((T.median[i] || {})[s]) +
          "<br>" + K.p90 + ": " + teksMenit((T.p90[i] || {})[s]);
      }, { sticky: true });
    }
  });

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

  if (pilih) { pilih.addEventListener("change", function () { waktu.setStyle(gaya); }); }
  P.peta.on("overlayadd", function (e) { if (e.layer === waktu) { legenda.addTo(P.peta); waktu.setStyle(gaya); } });
  P.peta.on("overlayremove", function (e) { if (e.layer === waktu) { legenda.remove(); } });
  var lapisan = {};
  lapisan[K.lapisan_jalan] = jalan;
  lapisan[K.lapisan_waktu] = waktu;
  L.control.layers(null, lapisan, { collapsed: false, position: "topright" }).addTo(P.peta);
  window.jangkauWaktu = { jalan: jalan, waktu: waktu, legenda: legenda };
})();
