// jangkau map page: the whole asset inventory (points, lines, polygons of every class),
// coloured by written condition, with a class filter and a legend counting each
// condition (issue 16). Drawn on a canvas and only when the layer is switched on: a
// province holds tens of thousands of assets. Points are the page's facility rows
// (their source, condition and status at positions 9-11); lines and polygons come
// from DATA.inventaris.bentuk, coordinates as 1e-5 degree steps. Every text value
// was HTML-escaped when the page was written.
(function () {
  "use strict";

  // Flat [x0, y0, dx1, dy1, ...] in 1e-5 degree → Leaflet [lat, lon] pairs.
  function dekode(datar) {
    var titik = [], x = 0, y = 0;
    for (var i = 0; i < datar.length; i += 2) {
      x += datar[i]; y += datar[i + 1];
      titik.push([y / 1e5, x / 1e5]);
    }
    return titik;
  }
  function kosong(v) { return v === null || v === undefined; }

  window.jangkauAsetPasang = function (api, P) {
    var DATA = api.data, A = DATA.inventaris, W = DATA.kata;
    if (!A || !P.inventaris) { return; }
    var TANPA = A.kondisi.length;  // colour and legend line of "no condition written"
    var WARNA = A.warna.warna;
    P.peta.createPane("inventaris").style.zIndex = 450;  // above coverage, below markers
    var kanvas = L.canvas({ pane: "inventaris", padding: 0.2 });
    var fitur = null, perKelas = {}, kelasAktif = -1, legenda = null;

    // Polygons first, then lines, then points: on a canvas the last drawn lies on top.
    function semuaFitur() {
      if (fitur) { return fitur; }
      var area = [], garis = [], titik = [];
      A.bentuk.forEach(function (b) {
        var f = { kelas: b[1], kondisi: kosong(b[5]) ? TANPA : b[5], status: b[6], sumber: b[2], nama: b[3], b: b };
        (b[0] === "g" ? garis : area).push(f);
      });
      api.baris.forEach(function (r) {
        titik.push({ kelas: r[4], kondisi: kosong(r[10]) ? TANPA : r[10], status: r[11], sumber: r[9], nama: r[3], r: r });
      });
      fitur = area.concat(garis, titik);
      return fitur;
    }
    function teks(f) {
      return "<b>" + f.nama + "</b><br>" + W.kelas + ": " + DATA.jenis[f.kelas] +
        "<br>" + W.kondisi + ": " + (f.kondisi === TANPA ? W.kondisi_kosong : A.kondisi[f.kondisi]) +
        "<br>" + W.status_operasi + ": " + (kosong(f.status) ? W.status_kosong : A.status[f.status]) +
        "<br>" + W.sumber + ": " + (kosong(f.sumber) ? "–" : A.sumber[f.sumber]);
    }
    function opsiPopup() {
      return { maxWidth: Math.min(360, window.innerWidth - 90), autoPanPadding: [12, 12] };
    }
    function lapisFitur(f) {
      var warna = WARNA[f.kondisi], lapis;
      if (f.r) {
        lapis = L.circleMarker([f.r[0], f.r[1]], { renderer: kanvas, radius: 5, color: "#222", weight: 1,
          fillColor: warna, fillOpacity: 0.95 });
      } else if (f.b[0] === "g") {
        lapis = L.polyline(f.b[4].map(dekode), { renderer: kanvas, color: warna, weight: 3, opacity: 0.95 });
      } else {
        lapis = L.polygon(f.b[4].map(function (bagian) { return bagian.map(dekode); }),
          { renderer: kanvas, color: "#222", weight: 1, fillColor: warna, fillOpacity: 0.55 });
      }
      lapis.options.kondisi = f.kondisi;
      lapis.options.kelas = f.kelas;
      lapis.bindPopup(function () { return teks(f); }, opsiPopup());
      return lapis;
    }
    // One layer group per class, built the first time the class is shown.
    function kelompokKelas(k) {
      if (!perKelas[k]) {
        perKelas[k] = L.layerGroup(semuaFitur().filter(function (f) { return f.kelas === k; }).map(lapisFitur));
      }
      return perKelas[k];
    }
    function daftarKelas() {
      var ada = {};
      semuaFitur().forEach(function (f) { ada[f.kelas] = (ada[f.kelas] || 0) + 1; });
      return Object.keys(ada).map(Number).sort(function (a, b) {
        return DATA.jenis[a].localeCompare(DATA.jenis[b], "id");
      }).map(function (k) { return { kelas: k, jumlah: ada[k] }; });
    }
    function hitung(k) {
      var n = WARNA.map(function () { return 0; });
      semuaFitur().forEach(function (f) { if (k === -1 || f.kelas === k) { n[f.kondisi] += 1; } });
      return n;
    }
    function isiLegenda() {
      if (!legenda) { return; }
      var n = hitung(kelasAktif), teksBaris = "";
      var nama = A.kondisi.concat([W.kondisi_kosong]);
      nama.forEach(function (k, i) {
        teksBaris += "<div data-kondisi='" + i + "'><i style='background:" + WARNA[i] + "'></i>" + k +
          ": <b>" + n[i].toLocaleString("id-ID") + "</b></div>";
      });
      legenda.getContainer().querySelector(".isi-kondisi").innerHTML = teksBaris;
    }
    function tampilkan(k) {
      kelasAktif = k;
      P.inventaris.clearLayers();
      daftarKelas().forEach(function (e) {
        if (k === -1 || e.kelas === k) { P.inventaris.addLayer(kelompokKelas(e.kelas)); }
      });
      isiLegenda();
    }
    function buatLegenda() {
      var kontrol = L.control({ position: "bottomright" });
      kontrol.onAdd = function () {
        var div = L.DomUtil.create("div", "kotak legenda legenda-aset");
        div.id = "legenda-aset";
        var pilihan = "<option value='-1'>" + W.semua_kelas + " (" + semuaFitur().length.toLocaleString("id-ID") +
          ")</option>" + daftarKelas().map(function (e) {
            return "<option value='" + e.kelas + "'>" + DATA.jenis[e.kelas] + " (" + e.jumlah.toLocaleString("id-ID") + ")</option>";
          }).join("");
        div.innerHTML = "<h2>" + W.inventaris_judul + "</h2><select id='pilih-kelas' aria-label='" + W.kelas + "'>" +
          pilihan + "</select><div class='isi-kondisi'></div><small>" + W.inventaris_catatan + "</small>";
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        div.querySelector("select").value = String(kelasAktif);
        div.querySelector("select").addEventListener("change", function (e) { tampilkan(+e.target.value); });
        return div;
      };
      return kontrol;
    }

    P.peta.on("overlayadd", function (e) {
      if (e.layer !== P.inventaris) { return; }
      legenda = legenda || buatLegenda();
      legenda.addTo(P.peta);
      tampilkan(kelasAktif);
    });
    P.peta.on("overlayremove", function (e) {
      if (e.layer !== P.inventaris) { return; }
      P.inventaris.clearLayers();
      if (legenda) { legenda.remove(); }
    });
    window.jangkauAset = {
      lapis: P.inventaris, pilihKelas: tampilkan, hitung: hitung,
      kelas: function () { return daftarKelas().map(function (e) { return DATA.jenis[e.kelas]; }); }
    };
  };
})();
