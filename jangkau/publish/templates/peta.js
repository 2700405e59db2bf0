// jangkau map page: the plugin beside folium's layers (service switch, legend, place
// names, search, ranked lists, desa detail on zoom). folium's GeoJson layers call
// jangkauPlugin.gaya / fitur_* while they are built; jangkauPlugin.mulai() gets
// the layers once they exist. Every text value in the data was HTML-escaped when
// the page was written, so it may be placed into HTML as it is.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data-peta").textContent);
  var W = DATA.kata;
  var KELAS = DATA.kelas_warna;
  var LAYANAN = DATA.layanan;
  var urutan = {};
  LAYANAN.forEach(function (l, i) { urutan[l.kode] = i; });
  var layananJarak = LAYANAN.filter(function (l) { return l.jarak; });
  var aktif = DATA.layanan_awal || (layananJarak.length ? layananJarak[0].kode : null);
  var iAktif = aktif === null ? -1 : urutan[aktif];
  var SEMPIT = window.innerWidth < 700;
  var P = null;       // folium's layers, from mulai()
  var api = null;     // window.jangkauPeta

  function warna(nilai) {
    if (nilai === null || nilai === undefined) { return KELAS.tanpa_data; }
    for (var i = 0; i < KELAS.batas.length; i++) {
      if (nilai * 100 < KELAS.batas[i]) { return KELAS.warna[i]; }
    }
    return KELAS.warna[KELAS.warna.length - 1];
  }
  // A service without any asset in the region: its coverage is unknown, never 0 %.
  function cakupanLayanan(l, nilai) { return l && l.tanpa_data ? W.tidak_ada_data : persen(nilai); }
  function persen(nilai) {
    return (nilai === null || nilai === undefined) ? "–" : (100 * nilai).toFixed(1).replace(".", ",") + " %";
  }
  function angka(nilai) {
    return (nilai === null || nilai === undefined) ? "–" : Math.round(nilai).toLocaleString("id-ID");
  }
  function jarak(m) {
    if (m === null || m === undefined) { return "–"; }
    return m < 1000 ? angka(m) + " m" : (m / 1000).toFixed(1).replace(".", ",") + " km";
  }
  // Names arrive escaped: decode them for searching only (a textarea runs nothing).
  var pengurai = document.createElement("textarea");
  function polos(teks) { pengurai.innerHTML = teks; return pengurai.value; }
  function wilayah(p) {
    return p.kabupaten ? " (" + (p.kecamatan && p.desa ? p.kecamatan + ", " : "") + p.kabupaten + ")" :
      (p.desa ? " (" + p.kecamatan + ")" : "");
  }
  function opsiPopup() {
    return { maxWidth: Math.min(520, window.innerWidth - 90), minWidth: Math.min(240, window.innerWidth - 90),
      maxHeight: Math.max(200, window.innerHeight - 140), autoPanPadding: [12, 12] };
  }

  function gaya(fitur) {
    return { fillColor: warna(fitur.properties.c[iAktif]), color: "#444", weight: 1, fillOpacity: 0.72 };
  }

  function rincianKecamatan(p) {
    var baris = LAYANAN.map(function (l) {
      var g = p.layanan[l.kode] || {};
      return "<tr><td>" + l.nama + "</td><td>" + cakupanLayanan(l, g.cakupan) + "</td><td>" + angka(g.jumlah_fasilitas) +
        "</td><td>" + (l.tanpa_data ? W.tidak_ada_data : angka(g.kekurangan)) + "</td><td>" + (g.peringkat === undefined || g.peringkat === null ? "–" : g.peringkat) + "</td></tr>";
    }).join("");
    var peringatan = LAYANAN.filter(function (l) { return p.layanan[l.kode] && p.layanan[l.kode].catatan; })
      .map(function (l) { return "<div class='peringatan'>&#9888; " + l.nama + ": " + p.layanan[l.kode].catatan + "</div>"; }).join("");
    var tanpaKoordinat = p.tanpa_koordinat ? "<div class='tanpa-koordinat'>" + W.tanpa_koordinat + ": " + p.tanpa_koordinat + "</div>" : "";
    return "<b>" + W.kecamatan + " " + p.kecamatan + "</b>" + (p.kabupaten ? "<br>" + p.kabupaten : "") +
      "<br>" + W.penduduk + ": " + angka(p.penduduk) +
      "<table class='rincian'><tr><th>" + W.layanan + "</th><th>" + W.cakupan + "</th><th>" + W.jumlah_fasilitas +
      "</th><th>" + W.kekurangan + "</th><th>" + W.peringkat + "</th></tr>" + baris + "</table>" + tanpaKoordinat + peringatan;
  }
  function rincianDesa(p) {
    var baris = LAYANAN.map(function (l, i) {
      if (!l.jarak) { return ""; }
      return "<tr><td>" + l.nama + "</td><td>" + cakupanLayanan(l, p.c[i]) + "</td><td>" + jarak(p.j[i]) + "</td></tr>";
    }).join("");
    return "<b>" + (p.kelurahan ? W.kelurahan : W.desa_kata) + " " + p.desa + "</b><br>" + W.kecamatan + " " + p.kecamatan +
      (p.kabupaten ? ", " + p.kabupaten : "") + "<br>" + W.penduduk + ": " + angka(p.penduduk) +
      "<table class='rincian'><tr><th>" + W.layanan + "</th><th>" + W.cakupan + "</th><th>" + W.fasilitas_terdekat +
      "</th></tr>" + baris + "</table>";
  }
  function catatanLayanan(p) {
    var g = p.layanan ? p.layanan[aktif] : null;
    return g && g.catatan ? "<div class='peringatan'>&#9888; " + g.catatan + "</div>" : "";
  }
  function tooltip(p) {
    var l = LAYANAN[iAktif];
    return "<b>" + (p.desa || p.kecamatan) + "</b>" + wilayah(p) + "<br>" + W.penduduk + ": " + angka(p.penduduk) +
      (l ? "<br>" + W.cakupan + " " + l.nama + ": " + cakupanLayanan(l, p.c[iAktif]) + catatanLayanan(p) : "");
  }
  function fitur(rincian) {
    return function (f, lapis) {
      lapis.bindTooltip(function () { return tooltip(f.properties); }, { sticky: true });
      lapis.bindPopup(function () { return rincian(f.properties); }, opsiPopup());
    };
  }

  // Facilities: rows [lat, lon, service index, name, jenis, desa, radius, id, doubt?].
  function ikon(l, ragu) {
    return L.divIcon({ className: "aset-ikon" + (ragu ? " diragukan" : ""), iconSize: [20, 20], iconAnchor: [10, 10],
      html: "<span style='background:" + l.warna + ";position:relative'>" + l.singkatan + (ragu ? "<b>?</b>" : "") + "</span>" });
  }
  var ikonLayanan = {}, ikonRagu = {};
  var LAIN = { warna: "#555", singkatan: "•" };
  // Every facility row, as folium's clusters hand them over (a cluster being filled in
  // chunks does not list all its markers yet).
  var semuaBaris = [];
  function penanda(r) {
    semuaBaris.push(r);
    var l = LAYANAN[r[2]] || LAIN, k = r[2];
    if (!ikonLayanan[k]) { ikonLayanan[k] = ikon(l, false); ikonRagu[k] = ikon(l, true); }
    return L.marker([r[0], r[1]], { icon: r[8] ? ikonRagu[k] : ikonLayanan[k], zIndexOffset: r[8] ? 1000 : 0, r: r,
      pane: LAYANAN[k] && LAYANAN[k].jarak ? "aset-" + k : "aset-lain" });
  }
  function teksAset(r) {
    return "<b>" + r[3] + "</b><br>" + DATA.jenis[r[4]] + (r[7] ? "<br>NPSN/ID: " + r[7] : "") + "<br>" + W.desa + ": " +
      DATA.desa_aset[r[5]] + (r[8] ? "<div class='peringatan'>&#9888; " + r[8] + "</div>" : "");
  }
  function ikonKelompok(kelompok) {
    var l = LAYANAN[+kelompok._group.options.clusterPane.split("-")[1]];
    return L.divIcon({ className: "aset-ikon", iconSize: [30, 30], iconAnchor: [15, 15],
      html: "<span class='kelompok' style='background:" + (l ? l.warna : "#555") + "'>" + kelompok.getChildCount() + "</span>" });
  }
  function pasangSentuh(kelompok) {
    // Tooltips and popups are made when a marker is touched, not for 40,000 markers at load.
    kelompok.on("mouseover", function (e) {
      if (!e.layer.getTooltip()) { e.layer.bindTooltip(teksAset(e.layer.options.r)).openTooltip(); }
    });
    kelompok.on("click", function (e) {
      if (!e.layer.getPopup()) { e.layer.bindPopup(teksAset(e.layer.options.r), opsiPopup()).openPopup(); }
    });
  }

  // Place names: only those in view, and only when few enough to read.
  function lapisNama(fiturFitur, kelas, syarat) {
    var lapis = L.layerGroup(), penanda = {};
    function perbarui() {
      lapis.clearLayers();
      if (!syarat()) { return; }
      var batas = P.peta.getBounds(), terlihat = [];
      fiturFitur.forEach(function (f, i) { if (batas.contains(f.properties.t)) { terlihat.push(i); } });
      if (terlihat.length > 80) { return; }
      terlihat.forEach(function (i) {
        var p = fiturFitur[i].properties;
        penanda[i] = penanda[i] || L.marker(p.t, { interactive: false, keyboard: false,
          icon: L.divIcon({ className: "nama-tempat " + kelas, html: "<span>" + (p.desa || p.kecamatan) + "</span>", iconSize: null }) });
        lapis.addLayer(penanda[i]);
      });
    }
    return { lapis: lapis, perbarui: perbarui };
  }

  // Busy sign while a service's markers are clustered.
  var sibuk;
  function tandaSibuk(ya) { if (sibuk) { sibuk.style.display = ya ? "block" : "none"; } }

  // Each service's markers are clustered once, in their own pane: the chosen
  // service's pane is shown, and the others are clustered while the page is idle,
  // so that switching service only shows another pane.
  function kelompokkan(kode) {
    var kelompok = P.aset[kode];
    if (!kelompok) { return Promise.resolve(); }
    if (!kelompok.siap) {
      kelompok.siap = new Promise(function (beres) {
        if (!kelompok._needsClustering.length) { beres(); return; }
        kelompok.options.chunkProgress = function (diproses, semua) { if (diproses >= semua) { beres(); } };
      });
      P.gudang.removeLayer(kelompok);
      P.asetTampil.addLayer(kelompok);
    }
    return kelompok.siap;
  }
  var semuaBeres, semua = new Promise(function (beres) { semuaBeres = beres; });
  function kelompokkanSemua() {
    var sisa = Object.keys(P.aset);
    function berikut() {
      if (!sisa.length) { api.semuaSiap = performance.now(); semuaBeres(); return; }
      if (!P.peta.hasLayer(P.asetTampil)) { setTimeout(berikut, 1000); return; }
      kelompokkan(sisa.shift()).then(function () { setTimeout(berikut, 50); });
    }
    berikut();
  }
  function tampilkanPanel(kode) {
    Object.keys(P.aset).forEach(function (k) {
      P.peta.getPane("aset-" + urutan[k]).style.display = k === kode ? "" : "none";
    });
  }

  var kelompokUsulan = {};
  function usulanLayanan(kode) {
    if (kelompokUsulan[kode]) { return kelompokUsulan[kode]; }
    var l = LAYANAN[urutan[kode]];
    var kelompok = L.markerClusterGroup({ maxClusterRadius: 40, disableClusteringAtZoom: 13,
      iconCreateFunction: function (c) {
        return L.divIcon({ className: "usulan-ikon", iconSize: [26, 26], iconAnchor: [13, 13],
          html: "<span class='kelompok'><b>" + c.getChildCount() + "</b></span>" });
      } });
    DATA.usulan.forEach(function (u) {
      if (u.layanan !== kode) { return; }
      kelompok.addLayer(L.marker([u.y, u.x], {
        icon: L.divIcon({ className: "usulan-ikon", html: "<span><b>" + u.urutan + "</b></span>", iconSize: [24, 24], iconAnchor: [12, 12] })
      }).bindTooltip("<b>" + W.usulan + " " + u.urutan + " – " + l.nama + "</b><br>" + W.kecamatan + " " + u.kecamatan +
        "<br>" + W.tambahan + ": " + angka(u.tambahan) + "<br>" + W.cakupan_setelah + ": " + persen(u.cakupan_setelah)));
    });
    kelompokUsulan[kode] = kelompok;
    return kelompok;
  }

  function isiJangkauan() {
    P.jangkauan.clearLayers();
    if (!P.peta.hasLayer(P.jangkauan) || !P.aset[aktif]) { return; }
    var l = LAYANAN[iAktif];
    P.aset[aktif].getLayers().forEach(function (m) {
      var r = m.options.r;
      if (r[6]) {
        P.jangkauan.addLayer(L.circle([r[0], r[1]], { radius: r[6], color: l.warna, weight: 1, fillOpacity: 0.12, interactive: false }));
      }
    });
  }

  function pilihLayanan(kode) {
    aktif = kode;
    iAktif = urutan[kode];
    tandaSibuk(true);
    P.kecamatan.setStyle(gaya);
    P.desa.setStyle(gaya);
    api.aset = P.aset[kode] || L.layerGroup();
    tampilkanPanel(kode);
    perbaruiLegenda();
    perbaruiDaftar();
    var pilih = document.getElementById("pilih-layanan");
    if (pilih && pilih.value !== kode) { pilih.value = kode; }
    // The new colours are painted first; markers, proposals and radii follow.
    return new Promise(function (beres) {
      requestAnimationFrame(function () {
        setTimeout(function () {
          if (kode !== aktif) { beres(); return; }
          P.usulan.clearLayers();
          P.usulan.addLayer(usulanLayanan(kode));
          isiJangkauan();
          (P.peta.hasLayer(P.asetTampil) ? kelompokkan(kode) : Promise.resolve()).then(beres);
        }, 0);
      });
    }).then(function () { if (kode === aktif) { tandaSibuk(false); } });
  }

  // Desa detail replaces kecamatan shading when zoomed in.
  function aturZoom() {
    if (!P.peta.hasLayer(P.cakupan)) { return; }
    if (P.peta.getZoom() >= DATA.zoom_desa) {
      if (P.cakupan.hasLayer(P.kecamatan)) { P.cakupan.removeLayer(P.kecamatan); }
      if (!P.cakupan.hasLayer(P.desa)) { P.cakupan.addLayer(P.desa); P.desa.bringToBack(); }
    } else {
      if (P.cakupan.hasLayer(P.desa)) { P.cakupan.removeLayer(P.desa); }
      if (!P.cakupan.hasLayer(P.kecamatan)) { P.cakupan.addLayer(P.kecamatan); P.kecamatan.bringToBack(); }
    }
  }

  function bukaPopup(lapis, titik) {
    lapis.openPopup(titik);
  }
  function keKecamatan(i) {
    var lapis = P.kecamatan.getLayers()[i];
    if (SEMPIT) { lipatPanel(true); }
    P.peta.fitBounds(lapis.getBounds(), { maxZoom: DATA.zoom_desa - 1, animate: false });
    aturZoom();
    bukaPopup(lapis, lapis.feature.properties.t);
  }
  function keDesa(i) {
    var lapis = P.desa.getLayers()[i];
    if (SEMPIT) { lipatPanel(true); }
    P.peta.fitBounds(lapis.getBounds(), { maxZoom: 15, animate: false });
    if (P.peta.getZoom() < DATA.zoom_desa) { P.peta.setView(lapis.feature.properties.t, DATA.zoom_desa, { animate: false }); }
    aturZoom();
    bukaPopup(lapis, lapis.feature.properties.t);
  }
  function keAset(r) {
    if (SEMPIT) { lipatPanel(true); }
    P.peta.setView([r[0], r[1]], 16, { animate: false });
    L.popup(opsiPopup()).setLatLng([r[0], r[1]]).setContent(teksAset(r)).openOn(P.peta);
  }

  // Ranked lists of the chosen service: kecamatan by rank, desa by gap index.
  function perbaruiDaftar() {
    var kotak = document.getElementById("daftar-peringkat");
    if (!kotak) { return; }
    var kec = P.kecamatan.getLayers().map(function (l, i) { return { i: i, p: l.feature.properties }; })
      .filter(function (e) { var g = e.p.layanan[aktif]; return g && g.peringkat !== null && g.peringkat !== undefined; })
      .sort(function (a, b) { return a.p.layanan[aktif].peringkat - b.p.layanan[aktif].peringkat; }).slice(0, 10);
    var desa = P.desa.getLayers().map(function (l, i) { return { i: i, p: l.feature.properties }; })
      .filter(function (e) { return e.p.k[iAktif] !== null && e.p.k[iAktif] !== undefined; })
      .sort(function (a, b) { return b.p.k[iAktif] - a.p.k[iAktif]; }).slice(0, 10);
    kotak.innerHTML = "<h2>" + W.daftar_kecamatan + "</h2><ol class='daftar'>" + kec.map(function (e) {
      return "<li><a href='#' data-kec='" + e.i + "'>" + e.p.kecamatan + (e.p.kabupaten ? " (" + e.p.kabupaten + ")" : "") +
        "</a> " + persen(e.p.layanan[aktif].cakupan) + "</li>";
    }).join("") + "</ol><h2>" + W.daftar_desa + "</h2><ol class='daftar'>" + desa.map(function (e) {
      return "<li><a href='#' data-desa='" + e.i + "'>" + e.p.desa + " (" + e.p.kecamatan + ")</a> " + persen(e.p.c[iAktif]) + "</li>";
    }).join("") + "</ol><small>" + W.daftar_catatan + "</small>";
  }

  // Fuzzy search over kecamatan, desa and facility names (and identifiers such as NPSN).
  var fuse = null;
  function indeksCari() {
    var isi = [];
    P.kecamatan.getLayers().forEach(function (l, i) {
      var p = l.feature.properties;
      isi.push({ nama: polos(p.kecamatan), jenis: W.kecamatan, ket: p.kabupaten, kec: i });
    });
    P.desa.getLayers().forEach(function (l, i) {
      var p = l.feature.properties;
      isi.push({ nama: polos(p.desa), jenis: W.desa, ket: p.kecamatan, desa: i });
    });
    semuaBaris.forEach(function (r) {
      isi.push({ nama: polos(r[3]), id: r[7], jenis: DATA.jenis[r[4]], ket: DATA.desa_aset[r[5]], r: r });
    });
    return new Fuse(isi, { keys: ["nama", "id"], threshold: 0.35, ignoreLocation: true, minMatchCharLength: 2 });
  }
  function cari(kata) {
    if (!kata || kata.length < 2) { return []; }
    fuse = fuse || indeksCari();
    return fuse.search(kata, { limit: 8 }).map(function (h) { return h.item; });
  }
  function tampilkanHasil(hasil, kotak) {
    if (!hasil.length) { kotak.innerHTML = "<div class='kosong'>" + W.tidak_ditemukan + "</div>"; return; }
    kotak.innerHTML = hasil.map(function (h, n) {
      // Names were decoded for matching; shown again through textContent below.
      return "<li><a href='#' data-n='" + n + "'></a> <small></small></li>";
    }).join("");
    var butir = kotak.querySelectorAll("li");
    hasil.forEach(function (h, n) {
      butir[n].querySelector("a").textContent = h.nama;
      butir[n].querySelector("small").textContent = polos(h.jenis + (h.ket ? ", " + h.ket : ""));
      butir[n].querySelector("a").addEventListener("click", function (e) {
        e.preventDefault();
        if (h.kec !== undefined) { keKecamatan(h.kec); } else if (h.desa !== undefined) { keDesa(h.desa); } else { keAset(h.r); }
      });
    });
  }

  var panelDiv, legenda, adaRagu = false;
  function lipatPanel(lipat) {
    panelDiv.classList.toggle("terlipat", lipat);
    panelDiv.querySelector(".tombol-panel").setAttribute("aria-expanded", lipat ? "false" : "true");
  }
  function buatPanel() {
    var panel = L.control({ position: "topright" });
    panel.onAdd = function () {
      var div = L.DomUtil.create("div", "kotak panel");
      var pilihan = layananJarak.map(function (l) {
        return "<option value='" + l.kode + "'>" + l.nama + "</option>";
      }).join("");
      div.innerHTML = "<button type='button' class='tombol-panel' aria-expanded='true'>&#9776; " + W.panel + "</button>" +
        "<div class='isi-panel'><h1>" + DATA.judul + "</h1><div>" + W.tanggal_data + ": " + DATA.tanggal + "</div>" +
        "<input type='search' id='cari' aria-label='" + W.cari_label + "' placeholder='" + W.cari + "' autocomplete='off'>" +
        "<ol id='hasil-cari' class='daftar'></ol>" +
        "<h2>" + W.pilih_layanan + "</h2><select id='pilih-layanan'>" + pilihan + "</select>" +
        "<div id='sibuk' class='sibuk'>" + W.memuat + "</div>" +
        "<div class='legenda' id='legenda'></div>" +
        "<details id='peringkat'><summary>" + W.daftar_kecamatan + "</summary><div id='daftar-peringkat'></div></details>" +
        "<details><summary>" + W.cara_membaca_judul + "</summary><p>" + W.cara_membaca + "</p></details>" +
        ringkasanPerubahan() + "</div>";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.querySelector("select").addEventListener("change", function (e) { pilihLayanan(e.target.value); });
      div.querySelector(".tombol-panel").addEventListener("click", function () {
        lipatPanel(!div.classList.contains("terlipat"));
      });
      var tunda, hasilCari = div.querySelector("#hasil-cari");
      div.querySelector("#cari").addEventListener("input", function (e) {
        clearTimeout(tunda);
        tunda = setTimeout(function () { tampilkanHasil(cari(e.target.value), hasilCari); }, 150);
      });
      div.addEventListener("click", function (e) {
        var a = e.target.closest("a[data-kec], a[data-desa]");
        if (!a) { return; }
        e.preventDefault();
        if (a.hasAttribute("data-kec")) { keKecamatan(+a.getAttribute("data-kec")); } else { keDesa(+a.getAttribute("data-desa")); }
      });
      legenda = div.querySelector("#legenda");
      sibuk = div.querySelector("#sibuk");
      return div;
    };
    panel.addTo(P.peta);
    panelDiv = panel.getContainer();
    if (SEMPIT) { lipatPanel(true); }
    // The panel sits below the layer list: it scrolls within what is left of the screen.
    function aturTinggi() {
      var isi = panelDiv.querySelector(".isi-panel");
      isi.style.maxHeight = Math.max(120, window.innerHeight - panelDiv.getBoundingClientRect().top - 60) + "px";
    }
    aturTinggi();
    window.addEventListener("resize", aturTinggi);
    panelDiv.querySelector(".tombol-panel").addEventListener("click", aturTinggi);
  }
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
    var l = LAYANAN[iAktif];
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
    if (adaRagu) {
      teks += "<div><i class='titik' style='background:#fff;border:2px dashed #000;box-shadow:0 0 0 2px #ff0'></i>" +
        W.aset_diragukan + "</div>";
    }
    teks += "<div><i style='background:#6a00a8;transform:rotate(45deg);width:10px;height:10px;margin:0 8px 0 3px'></i>" +
      W.usulan + "</div>";
    legenda.innerHTML = teks;
  }

  function mulai(lapisan, aset) {
    P = lapisan;
    P.aset = aset;
    var peta = P.peta;
    LAYANAN.forEach(function (l, i) { peta.createPane("aset-" + i).style.zIndex = 600; });
    peta.createPane("aset-lain").style.zIndex = 600;
    adaRagu = semuaBaris.some(function (r) { return r[8]; });
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(peta);
    Object.keys(P.aset).forEach(function (k) { pasangSentuh(P.aset[k]); });
    pasangSentuh(P.asetLain);
    var namaKec = lapisNama(DATA.kecamatan_fitur || P.kecamatan.getLayers().map(function (l) { return l.feature; }), "nama-kec",
      function () { return peta.getZoom() < DATA.zoom_desa; });
    var namaDesa = lapisNama(P.desa.getLayers().map(function (l) { return l.feature; }), "nama-desa",
      function () { return peta.getZoom() >= DATA.zoom_desa; });
    namaKec.lapis.addTo(peta);
    namaDesa.lapis.addTo(peta);
    peta.on("zoomend", aturZoom);
    peta.on("moveend", function () { namaKec.perbarui(); namaDesa.perbarui(); });
    peta.on("overlayadd", function (e) { if (e.layer === P.jangkauan) { isiJangkauan(); } });
    peta.on("overlayremove", function (e) { if (e.layer === P.jangkauan) { P.jangkauan.clearLayers(); } });
    buatPanel();
    // Leave room for the panel on wide screens; on phones it is folded to a button.
    peta.fitBounds(P.kecamatan.getBounds(), SEMPIT ? { padding: [10, 10] } :
      { paddingTopLeft: [50, 20], paddingBottomRight: [370, 20] });
    aturZoom();
    api = {
      peta: peta, kecamatan: P.kecamatan, desa: P.desa, aset: L.layerGroup(), asetPerLayanan: P.aset,
      asetLain: P.asetLain, usulan: P.usulan, pilihLayanan: pilihLayanan, teksAset: teksAset, cari: cari,
      lapisan: P, layananAktif: function () { return aktif; }, data: DATA, baris: semuaBaris
    };
    var selesai = aktif ? pilihLayanan(aktif) : Promise.resolve();
    namaKec.perbarui();
    if (window.jangkauWaktuPasang && P.waktu) { window.jangkauWaktuPasang(api, P); }
    window.jangkauPeta = api;
    if (window.jangkauStatusPasang) { window.jangkauStatusPasang(api); }
    if (window.jangkauAsetPasang) { window.jangkauAsetPasang(api, P); }
    api.siap = selesai;
    api.semua = semua;  // every service's markers clustered
    api.layananJarak = layananJarak.map(function (l) { return l.kode; });
    // When the first view is complete (for benchmarks/peta.py): drawn, clustered, painted.
    selesai.then(function () {
      requestAnimationFrame(function () { api.waktuSiap = performance.now(); setTimeout(kelompokkanSemua, 300); });
    });
  }

  window.jangkauPlugin = {
    gaya: gaya, fitur_kecamatan: fitur(rincianKecamatan), fitur_desa: fitur(rincianDesa),
    penanda: penanda, ikonKelompok: ikonKelompok, mulai: mulai
  };
})();
