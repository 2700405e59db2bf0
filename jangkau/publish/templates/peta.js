// jangkau map page. Every text value in DATA was HTML-escaped when the page was
// written, so it may be placed into HTML as it is.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data-peta").textContent);
  var W = DATA.kata;
  var KELAS = DATA.kelas_warna;

  function warna(nilai) {
    if (nilai === null || nilai === undefined) { return KELAS.tanpa_data; }
    for (var i = 0; i < KELAS.batas.length; i++) {
      if (nilai * 100 < KELAS.batas[i]) { return KELAS.warna[i]; }
    }
    return KELAS.warna[KELAS.warna.length - 1];
  }
  function persen(nilai) {
    return (nilai === null || nilai === undefined) ? "–" : (100 * nilai).toFixed(1).replace(".", ",") + " %";
  }
  function angka(nilai) {
    return (nilai === null || nilai === undefined) ? "–" : Math.round(nilai).toLocaleString("id-ID");
  }

  var layananJarak = DATA.layanan.filter(function (l) { return l.jarak; });
  var kodeLayanan = {};
  DATA.layanan.forEach(function (l) { kodeLayanan[l.kode] = l; });
  var aktif = layananJarak.length ? layananJarak[0].kode : null;

  // Clustering needs a maximum zoom even when no tile layer is shown (offline).
  var peta = L.map("peta", { preferCanvas: true, zoomControl: true, minZoom: 5, maxZoom: 18 });
  var renderer = L.canvas({ padding: 0.3 });
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(peta);

  var petaDasar = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap"
  });

  function gaya(fitur) {
    return { fillColor: warna(fitur.properties.cakupan[aktif]), color: "#444", weight: 1, fillOpacity: 0.72, renderer: renderer };
  }

  function rincianKecamatan(p) {
    var baris = DATA.layanan.map(function (l) {
      var g = p.layanan[l.kode] || {};
      return "<tr><td>" + l.nama + "</td><td>" + persen(g.cakupan) + "</td><td>" + angka(g.jumlah_fasilitas) +
        "</td><td>" + angka(g.kekurangan) + "</td><td>" + (g.peringkat === undefined || g.peringkat === null ? "–" : g.peringkat) + "</td></tr>";
    }).join("");
    var peringatan = DATA.layanan.filter(function (l) { return p.layanan[l.kode] && p.layanan[l.kode].catatan; })
      .map(function (l) { return "<div class='peringatan'>&#9888; " + l.nama + ": " + p.layanan[l.kode].catatan + "</div>"; }).join("");
    var tanpaKoordinat = p.tanpa_koordinat ? "<div class='tanpa-koordinat'>" + W.tanpa_koordinat + ": " + p.tanpa_koordinat + "</div>" : "";
    return "<b>" + W.kecamatan + " " + p.kecamatan + "</b><br>" + W.penduduk + ": " + angka(p.penduduk) +
      "<table class='rincian'><tr><th>" + W.layanan + "</th><th>" + W.cakupan + "</th><th>" + W.jumlah_fasilitas +
      "</th><th>" + W.kekurangan + "</th><th>" + W.peringkat + "</th></tr>" + baris + "</table>" + tanpaKoordinat + peringatan;
  }

  // Warnings of the gap table (facilities whose location is doubted) per kecamatan and service.
  var catatanKecamatan = {};
  DATA.kecamatan.features.forEach(function (f) { catatanKecamatan[f.properties.kode_kec] = f.properties.layanan; });
  function catatanLayanan(kodeKec) {
    var g = (catatanKecamatan[kodeKec] || {})[aktif];
    return g && g.catatan ? "<div class='peringatan'>&#9888; " + g.catatan + "</div>" : "";
  }

  function tooltip(p, jenis) {
    var nama = jenis === "desa" ? p.desa + " (" + p.kecamatan + ")" : p.kecamatan;
    var l = kodeLayanan[aktif];
    return "<b>" + nama + "</b><br>" + W.penduduk + ": " + angka(p.penduduk) +
      (l ? "<br>" + W.cakupan + " " + l.nama + ": " + persen(p.cakupan[aktif]) + catatanLayanan(p.kode_kec) : "");
  }

  var lapisKecamatan = L.geoJSON(DATA.kecamatan, {
    style: gaya,
    onEachFeature: function (fitur, lapis) {
      lapis.bindTooltip(function () { return tooltip(fitur.properties, "kecamatan"); }, { sticky: true });
      lapis.bindPopup(function () { return rincianKecamatan(fitur.properties); }, { maxWidth: 520 });
    }
  });
  var lapisDesa = L.geoJSON(DATA.desa, {
    style: gaya,
    onEachFeature: function (fitur, lapis) {
      lapis.bindTooltip(function () { return tooltip(fitur.properties, "desa"); }, { sticky: true });
    }
  });

  function ikon(l) {
    return L.divIcon({ className: "aset-ikon", html: "<span style='background:" + l.warna + "'>" + l.singkatan + "</span>",
      iconSize: [20, 20], iconAnchor: [10, 10] });
  }
  var ikonLayanan = {};
  DATA.layanan.forEach(function (l) { ikonLayanan[l.kode] = ikon(l); });
  var ikonLain = ikon({ warna: "#555", singkatan: "•" });
  // A doubted location: dashed outline, yellow halo and a "?" badge, so it stands out in any colour.
  function ikonRagu(l) {
    return L.divIcon({ className: "aset-ikon diragukan", iconSize: [20, 20], iconAnchor: [10, 10],
      html: "<span style='background:" + l.warna + ";position:relative'>" + l.singkatan + "<b>?</b></span>" });
  }

  function penanda(a) {
    var l = kodeLayanan[a.layanan];
    var ikonnya = a.diragukan ? ikonRagu(l || { warna: "#555", singkatan: "•" }) : (l ? ikonLayanan[a.layanan] : ikonLain);
    var m = L.marker([a.y, a.x], { icon: ikonnya, zIndexOffset: a.diragukan ? 1000 : 0 });
    var teks = "<b>" + a.nama + "</b><br>" + a.jenis + "<br>" + W.desa + ": " + a.desa +
      (a.diragukan ? "<div class='peringatan'>&#9888; " + a.diragukan + "</div>" : "");
    m.bindTooltip(teks);
    if (a.diragukan) { m.bindPopup(teks, { maxWidth: 420 }); }
    return m;
  }
  function ikonKelompok(kelompok) {
    var l = kodeLayanan[aktif];
    return L.divIcon({ className: "aset-ikon", iconSize: [30, 30], iconAnchor: [15, 15],
      html: "<span style='background:" + (l ? l.warna : "#555") + ";min-width:26px;height:26px;line-height:26px;" +
        "border-radius:13px;font-size:11px;opacity:.85'>" + kelompok.getChildCount() + "</span>" });
  }
  var kelompokAset = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 45, iconCreateFunction: ikonKelompok });
  var kelompokLain = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 45 });
  var semuaLain = DATA.aset.filter(function (a) { return !(kodeLayanan[a.layanan] && kodeLayanan[a.layanan].jarak); });
  kelompokLain.addLayers(semuaLain.map(penanda));
  var lapisJangkauan = L.layerGroup();
  var lapisUsulan = L.layerGroup();

  function isiAset() {
    kelompokAset.clearLayers();
    lapisJangkauan.clearLayers();
    var milik = DATA.aset.filter(function (a) { return a.layanan === aktif; });
    kelompokAset.addLayers(milik.map(penanda));
    var l = kodeLayanan[aktif];
    milik.forEach(function (a) {
      L.circle([a.y, a.x], { radius: a.radius, color: l.warna, weight: 1, fillOpacity: 0.12, renderer: renderer, interactive: false })
        .addTo(lapisJangkauan);
    });
    lapisUsulan.clearLayers();
    DATA.usulan.filter(function (u) { return u.layanan === aktif; }).forEach(function (u) {
      L.marker([u.y, u.x], {
        icon: L.divIcon({ className: "usulan-ikon", html: "<span><b>" + u.urutan + "</b></span>", iconSize: [24, 24], iconAnchor: [12, 12] })
      }).bindTooltip("<b>" + W.usulan + " " + u.urutan + " – " + l.nama + "</b><br>" + W.kecamatan + " " + u.kecamatan +
        "<br>" + W.tambahan + ": " + angka(u.tambahan) + "<br>" + W.cakupan_setelah + ": " + persen(u.cakupan_setelah)).addTo(lapisUsulan);
    });
  }

  function pilihLayanan(kode) {
    aktif = kode;
    lapisKecamatan.setStyle(gaya);
    lapisDesa.setStyle(gaya);
    isiAset();
    perbaruiLegenda();
  }

  // Desa detail replaces kecamatan shading when zoomed in.
  var ZOOM_DESA = DATA.zoom_desa;
  function aturZoom() {
    if (!tampilCakupan) { return; }
    if (peta.getZoom() >= ZOOM_DESA) {
      if (peta.hasLayer(lapisKecamatan)) { peta.removeLayer(lapisKecamatan); }
      if (!peta.hasLayer(lapisDesa)) { lapisDesa.addTo(peta); lapisDesa.bringToBack(); }
    } else {
      if (peta.hasLayer(lapisDesa)) { peta.removeLayer(lapisDesa); }
      if (!peta.hasLayer(lapisKecamatan)) { lapisKecamatan.addTo(peta); lapisKecamatan.bringToBack(); }
    }
  }
  var tampilCakupan = true;
  var lapisCakupan = L.layerGroup();
  lapisCakupan.onAdd = function () { tampilCakupan = true; aturZoom(); };
  lapisCakupan.onRemove = function () {
    tampilCakupan = false;
    peta.removeLayer(lapisKecamatan);
    peta.removeLayer(lapisDesa);
  };

  // Panel: title, service switch, how to read, legend.
  var panel = L.control({ position: "topright" });
  var legenda;
  panel.onAdd = function () {
    var div = L.DomUtil.create("div", "kotak");
    var pilihan = layananJarak.map(function (l) {
      return "<option value='" + l.kode + "'>" + l.nama + "</option>";
    }).join("");
    div.innerHTML = "<h1>" + DATA.judul + "</h1><div>" + W.tanggal_data + ": " + DATA.tanggal + "</div>" +
      "<h2>" + W.pilih_layanan + "</h2><select id='pilih-layanan'>" + pilihan + "</select>" +
      "<div class='legenda' id='legenda'></div>" +
      "<details><summary>" + W.cara_membaca_judul + "</summary><p>" + W.cara_membaca + "</p></details>" +
      ringkasanPerubahan();
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    div.querySelector("select").addEventListener("change", function (e) { pilihLayanan(e.target.value); });
    legenda = div.querySelector("#legenda");
    return div;
  };
  function ringkasanPerubahan() {
    if (!DATA.proses_sebelumnya) { return "<div><small>" + W.proses_pertama + "</small></div>"; }
    if (!DATA.perubahan.length) {
      return "<div><small>" + W.tanpa_perubahan + " (" + DATA.proses_sebelumnya + ")</small></div>";
    }
    var baris = DATA.perubahan.map(function (c) {
      var f = c.fasilitas ? (c.fasilitas > 0 ? "+" : "") + c.fasilitas : "";
      return "<tr><td>" + c.kecamatan + "</td><td>" + c.layanan + "</td><td>" + persen(c.sebelum) + " → " +
        persen(c.sekarang) + "</td><td>" + f + "</td></tr>";
    }).join("");
    return "<details id='perubahan'><summary>" + W.perubahan_judul + " (" + DATA.proses_sebelumnya + ")</summary>" +
      "<table class='rincian'><tr><th>" + W.kecamatan + "</th><th>" + W.layanan + "</th><th>" + W.cakupan +
      "</th><th>" + W.jumlah_fasilitas + "</th></tr>" + baris + "</table></details>";
  }

  function perbaruiLegenda() {
    if (!legenda) { return; }
    var l = kodeLayanan[aktif];
    var teks = "<h2>" + W.legenda_cakupan + "</h2>";
    for (var i = 0; i < KELAS.warna.length; i++) {
      var bawah = i === 0 ? 0 : KELAS.batas[i - 1];
      var atas = i < KELAS.batas.length ? KELAS.batas[i] : 100;
      teks += "<div><i style='background:" + KELAS.warna[i] + "'></i>" + bawah + "–" + atas + " %</div>";
    }
    teks += "<div><i style='background:" + KELAS.tanpa_data + "'></i>" + W.tanpa_data + "</div>";
    if (l) {
      teks += "<div><i class='titik' style='background:" + l.warna + "'></i>" + W.aset + " " + l.nama +
        " (" + W.radius + " " + angka(l.radius_kelurahan) + " m " + W.kelurahan + ", " + angka(l.radius_desa) + " m " + W.desa_kata + ")</div>";
    }
    teks += "<div><i class='titik' style='background:#555'></i>" + W.aset_lain + "</div>";
    if (DATA.aset.some(function (a) { return a.diragukan; })) {
      teks += "<div><i class='titik' style='background:#fff;border:2px dashed #000;box-shadow:0 0 0 2px #ff0'></i>" +
        W.aset_diragukan + "</div>";
    }
    teks += "<div><i style='background:#6a00a8;transform:rotate(45deg);width:10px;height:10px;margin:0 8px 0 3px'></i>" +
      W.usulan + "</div>";
    legenda.innerHTML = teks;
  }
  panel.addTo(peta);

  var layarPenuh = L.control({ position: "topleft" });
  layarPenuh.onAdd = function () {
    var tombol = L.DomUtil.create("div", "leaflet-bar layar-penuh");
    tombol.title = W.layar_penuh;
    tombol.innerHTML = "<svg width='16' height='16' viewBox='0 0 16 16' style='margin-top:7px'>" +
      "<path d='M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5' fill='none' stroke='#333' stroke-width='2'/></svg>";
    L.DomEvent.on(tombol, "click", function (e) {
      L.DomEvent.stop(e);
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
    });
    return tombol;
  };
  layarPenuh.addTo(peta);

  var overlays = {};
  overlays[W.lapisan_cakupan] = lapisCakupan;
  overlays[W.lapisan_aset] = kelompokAset;
  overlays[W.lapisan_aset_lain] = kelompokLain;
  overlays[W.lapisan_jangkauan] = lapisJangkauan;
  overlays[W.lapisan_usulan] = lapisUsulan;
  overlays[W.peta_dasar] = petaDasar;
  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(peta);

  lapisCakupan.addTo(peta);
  kelompokAset.addTo(peta);
  lapisUsulan.addTo(peta);
  peta.on("zoomend", aturZoom);
  // Leave room for the panel and layer list on the right.
  peta.fitBounds(lapisKecamatan.getBounds(), { paddingTopLeft: [50, 20], paddingBottomRight: [360, 20] });
  pilihLayanan(aktif);
  aturZoom();
  window.jangkauPeta = { peta: peta, kecamatan: lapisKecamatan, desa: lapisDesa, aset: kelompokAset, pilihLayanan: pilihLayanan };
})();
