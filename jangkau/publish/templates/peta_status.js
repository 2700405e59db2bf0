// jangkau map page: "Status terkini" — the live state written by `jangkau pantau`
// (status.json beside the page). Served over HTTP (the service serves the page at
// "/"), the layer and panel read status.json at once and every 30 s: assets closed
// or damaged, open events with their radius, desa that lost coverage, alerts and
// the time of the last update. Opened from a file, no request is made: the panel
// says the page shows the state at publishing time. Every value from status.json
// is escaped here before it becomes HTML (reports carry any text people type).
// peta.js calls window.jangkauStatusPasang with its page API once the layers exist.
window.jangkauStatusPasang = function (P) {
  "use strict";
  var SETIAP_MS = 30000;
  var lewatHttp = location.protocol === "http:" || location.protocol === "https:";

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function persen(v) { return (v * 100).toFixed(1).replace(".", ",") + " %"; }
  function waktu(v) {
    if (!v) { return "-"; }
    var d = new Date(v);
    return isNaN(d) ? esc(v) : esc(d.toLocaleString("id-ID"));
  }

  var lapis = L.layerGroup();
  var desaKehilangan = {};
  function gayaDesa(lapisDesa) {
    var p = lapisDesa.feature.properties;
    var kena = desaKehilangan[p.desa + "|" + p.kecamatan];
    if (kena) { lapisDesa.setStyle({ color: "#b71c1c", weight: 3, dashArray: "4 3" }); }
  }

  var panel = L.control({ position: "topleft" });
  panel.onAdd = function () {
    var div = L.DomUtil.create("div", "kotak status-terkini");
    div.id = "status-terkini";
    div.style.maxWidth = "22rem";
    div.style.maxHeight = "40vh";
    div.style.overflow = "auto";
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  panel.addTo(P.peta);

  // The panel folds to its title (folded at first on a phone, where it would cover the
  // map); a refresh keeps whatever the reader chose.
  var terbuka = window.innerWidth >= 700;
  function isiPanel(isi) {
    var div = document.getElementById("status-terkini");
    var lipat = div.querySelector("details");
    if (lipat) { terbuka = lipat.open; }
    div.innerHTML = "<details" + (terbuka ? " open" : "") + "><summary><b>Status terkini</b></summary>" + isi + "</details>";
  }

  function tampilkan(s) {
    lapis.clearLayers();
    desaKehilangan = {};
    (s.aset || []).forEach(function (a) {
      var warna = a.melayani ? "#ef6c00" : "#b71c1c";
      L.circleMarker([a.lintang, a.bujur], { radius: 9, color: warna, weight: 3, fillOpacity: 0.2 })
        .bindPopup("<b>" + esc(a.nama) + "</b><br>" + esc(a.label_status) + " sejak " + waktu(a.waktu) +
          (a.catatan ? "<br>" + esc(a.catatan) : ""))
        .addTo(lapis);
    });
    (s.kejadian || []).forEach(function (k) {
      var teks = "<b>" + esc(k.jenis) + "</b> (" + waktu(k.waktu) + ")<br>" + esc(k.keterangan);
      if (k.radius_m) {
        L.circle([k.lintang, k.bujur], { radius: k.radius_m, color: "#1565c0", weight: 2, fillOpacity: 0.1 })
          .bindPopup(teks).addTo(lapis);
      }
      L.circleMarker([k.lintang, k.bujur], { radius: 5, color: "#1565c0", fillOpacity: 0.9 }).bindPopup(teks).addTo(lapis);
    });
    (s.desa || []).forEach(function (d) {
      if (d.cakupan_sesudah < d.cakupan_sebelum) { desaKehilangan[esc(d.desa) + "|" + esc(d.kecamatan)] = d; }
    });
    P.desa.eachLayer(function (l) { P.desa.resetStyle(l); gayaDesa(l); });

    var html = "";
    html += lewatHttp ? "<div>Diperbarui: " + waktu(s.diperbarui) + "</div>" :
      "<div>Dibuka dari berkas: menampilkan keadaan saat peta diterbitkan, tanpa laporan langsung. " +
      "Buka peta lewat layanan pantau untuk status terkini.</div>";
    if (s.peringatan && s.peringatan.length) {
      html += "<h3>Peringatan</h3><ul>" + s.peringatan.map(function (p) { return "<li>" + esc(p.pesan) + "</li>"; }).join("") + "</ul>";
    }
    html += "<h3>Fasilitas tutup atau rusak (" + (s.aset || []).length + ")</h3><ul>" +
      (s.aset || []).map(function (a) {
        return "<li>" + esc(a.nama) + ": " + esc(a.label_status) + "</li>";
      }).join("") + "</ul>";
    html += "<h3>Kejadian berlangsung (" + (s.kejadian || []).length + ")</h3><ul>" +
      (s.kejadian || []).map(function (k) { return "<li>" + esc(k.jenis) + ": " + esc(k.keterangan) + "</li>"; }).join("") + "</ul>";
    // Desa may also gain, when an asset the published run left out serves again.
    var hilang = (s.desa || []).filter(function (d) { return d.cakupan_sesudah < d.cakupan_sebelum; });
    html += "<h3>Desa kehilangan layanan (" + hilang.length + ")</h3><ul>" +
      hilang.map(function (d) {
        return "<li>" + esc(d.desa) + " (" + esc(d.layanan) + "): " + persen(d.cakupan_sebelum) + " → " + persen(d.cakupan_sesudah) + "</li>";
      }).join("") + "</ul>";
    isiPanel(html);
  }

  function muat() {
    fetch("status.json", { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(tampilkan)
      .catch(function () {
        isiPanel("<div>Status belum tersedia dari layanan pantau.</div>");
      });
  }

  lapis.addTo(P.peta);
  P.statusTerkini = { lapis: lapis, tampilkan: tampilkan };
  if (lewatHttp) {
    muat();
    setInterval(muat, SETIAP_MS);
  } else {
    tampilkan({ aset: [], kejadian: [], desa: [], peringatan: [] });
  }
};
