// accelspec page: plain JavaScript over the app's /api (no library, no CDN). The query string
// is the question: ?view=calc&model=...&chip=...&context=... can be shared and reloads the answer.
"use strict";

var MARK = { official: "", reported: "ʳ", derived: "ᵈ", estimated: "ᵉ" };
var COLORS = ["#2457a6", "#c0392b", "#1b7a3a", "#9a6700", "#7b3fa0", "#0f7c8c", "#b0417a", "#555f6d"];
var loaded = {};

function $(id) { return document.getElementById(id); }
function el(tag, attrs, text) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) { e.setAttribute(k, attrs[k]); }
  if (text !== undefined && text !== null) { e.textContent = text; }
  return e;
}
function fmt(x, digits) {
  if (x === null || x === undefined || (typeof x === "number" && !isFinite(x))) { return "—"; }
  if (typeof x !== "number") { return String(x); }
  return x.toLocaleString("en-US", { maximumSignificantDigits: digits || 4 });
}
function qty(rec) {  // a {value, unit, status, source, range, basis} record as text + title
  if (!rec || rec.value === null || rec.value === undefined) {
    return { text: "n/p", title: rec ? (rec.basis || rec.status || "") : "" };
  }
  var text = fmt(rec.value) + " " + (rec.unit || "") + (MARK[rec.status] || "");
  var title = rec.status + (rec.source ? ", source " + rec.source : "") + (rec.basis ? ": " + rec.basis : "");
  if (rec.range) { title += " (range " + fmt(rec.range[0]) + "–" + fmt(rec.range[1]) + ")"; }
  return { text: text, title: title };
}
function qcell(rec, cls) {
  var q = qty(rec), td = el("td", { title: q.title, "class": cls || "r" }, q.text);
  if (rec && rec.value !== null && rec.value !== undefined) {
    td.setAttribute("data-value", rec.value);
    td.setAttribute("data-status", rec.status);
  }
  return td;
}
function showError(err) {
  var box = $("error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.textContent = (err.field ? err.field + ": " : "") + (err.detail || String(err));
  box.setAttribute("data-field", err.field || "");
  box.hidden = false;
}
function api(path, params) {
  var qs = new URLSearchParams();
  for (var k in params || {}) { if (params[k] !== "" && params[k] !== null && params[k] !== undefined) { qs.set(k, params[k]); } }
  var url = "/api/" + path + (qs.toString() ? "?" + qs.toString() : "");
  return fetch(url).then(function (r) {
    return r.json().then(function (body) {
      if (!r.ok) { throw body; }
      return body;
    });
  });
}
function formParams(form) {
  var out = {};
  Array.prototype.forEach.call(form.elements, function (e) { if (e.name) { out[e.name] = e.value.trim(); } });
  return out;
}
function fillForm(form, params) {
  Array.prototype.forEach.call(form.elements, function (e) {
    if (e.name && params.has(e.name)) { e.value = params.get(e.name); }
  });
}
function share(view, params) {
  var qs = new URLSearchParams({ view: view });
  for (var k in params) { if (params[k]) { qs.set(k, params[k]); } }
  var url = "?" + qs.toString();
  history.pushState(null, "", url);
  return url;
}

// --- views -------------------------------------------------------------------------------
function show(view) {
  ["calc", "plan", "catalog", "claims"].forEach(function (v) { $("view-" + v).hidden = v !== view; });
  Array.prototype.forEach.call(document.querySelectorAll("#tabs a"), function (a) {
    a.classList.toggle("active", a.getAttribute("data-view") === view);
  });
  if (view === "catalog" && !loaded.catalog) { loaded.catalog = true; loadCatalog(); }
  if (view === "claims" && !loaded.claims) { loaded.claims = true; loadClaims(); }
}

function loadLists() {
  var models = api("models").then(function (d) {
    ["calc-model", "plan-model"].forEach(function (id) {
      var sel = $(id);
      d.models.forEach(function (m) { sel.appendChild(el("option", { value: m.id }, m.id)); });
      sel.value = "llama-3.1-8b";
    });
  });
  var hw = Promise.all([api("chips"), api("systems")]).then(function (r) {
    $("catalog-version").textContent = r[0].catalog_version;
    var dl = $("hardware-names");
    r[0].chips.forEach(function (c) { dl.appendChild(el("option", { value: c.id }, c.name)); });
    r[1].systems.forEach(function (s) { dl.appendChild(el("option", { value: s.id }, s.name)); });
    loaded.chips = r[0];
  });
  return Promise.all([models, hw]);
}

// --- calculator --------------------------------------------------------------------------
function runCalc(params) {
  showError(null);
  $("calc-out").hidden = true;
  var fitParams = { model: params.model, chip: params.chip, context: params.context, batch: params.batch,
                    n_chips: params.n_chips, weights: params.weights, kv: params.kv, parallelism: params.parallelism };
  var boundParams = Object.assign({ phase: params.phase || "decode" }, fitParams);
  return Promise.all([api("fit", fitParams), api("bound", boundParams)]).then(function (r) {
    renderFit(r[0]);
    renderBound(r[1]);
    var link = $("calc-link");
    link.href = location.href;
    link.textContent = location.pathname + location.search;
    $("calc-out").hidden = false;
    document.body.setAttribute("data-ready", "calc");
  }).catch(function (e) { showError(e); document.body.setAttribute("data-ready", "error"); });
}

function renderFit(d) {
  var v = $("fit-verdict");
  v.textContent = d.fits ? "Fits" : "Does not fit";
  v.className = "verdict " + (d.fits ? "fits" : "nofit");
  v.setAttribute("data-fits", d.fits ? "true" : "false");
  $("fit-explanation").textContent = d.explanation;
  var tb = $("fit-terms").querySelector("tbody");
  tb.innerHTML = "";
  var terms = d.quantities.terms, names = Object.keys(terms);
  names.forEach(function (k) {
    var tr = el("tr", { "data-term": k });
    tr.appendChild(el("td", {}, k));
    tr.appendChild(qcell(terms[k]));
    tb.appendChild(tr);
  });
  [["required per chip", "required_per_chip", "fit-required"], ["available per chip", "available_per_chip", "fit-available"],
   ["headroom", "headroom", "fit-headroom"], ["chip's memory", "memory_capacity", "fit-capacity"]].forEach(function (row) {
    if (!d.quantities[row[1]]) { return; }
    var tr = el("tr", { "class": "total" });
    tr.appendChild(el("th", {}, row[0]));
    var td = qcell(d.quantities[row[1]]);
    td.id = row[2];
    tr.appendChild(td);
    tb.appendChild(tr);
  });
  $("fit-limits").textContent = [d.limits.max_context, d.limits.max_batch, d.limits.min_chips].join(" · ");
  drawBar($("fit-bar"), names.map(function (k) { return [k, terms[k].value]; }), d.quantities.available_per_chip.value);
}

function drawBar(box, parts, capacity) {  // one stacked bar: the memory terms against capacity
  var W = 520, H = 46, total = parts.reduce(function (s, p) { return s + p[1]; }, 0);
  var scale = (W - 10) / Math.max(total, capacity || 0, 1e-9);
  var svg = '<svg width="' + W + '" height="' + H + '" role="img" aria-label="memory per chip">';
  var x = 0;
  parts.forEach(function (p, i) {
    var w = p[1] * scale;
    svg += '<rect x="' + x + '" y="4" width="' + Math.max(w, 0) + '" height="18" fill="' + COLORS[i % COLORS.length] +
           '"><title>' + p[0] + ": " + fmt(p[1]) + ' GB</title></rect>';
    x += w;
  });
  if (capacity) {
    var cx = capacity * scale;
    svg += '<line x1="' + cx + '" x2="' + cx + '" y1="0" y2="26" stroke="#1d2330" stroke-width="2"/>' +
           '<text x="' + Math.min(cx, W - 110) + '" y="40">available ' + fmt(capacity) + ' GB</text>';
  }
  box.innerHTML = svg + "</svg>";
  var legend = el("div", { "class": "legend" });
  parts.forEach(function (p, i) {
    var s = el("span");
    var sw = el("i");
    sw.style.background = COLORS[i % COLORS.length];
    s.appendChild(sw);
    s.appendChild(document.createTextNode(p[0]));
    legend.appendChild(s);
  });
  box.appendChild(legend);
}

function renderBound(d) {
  var t = $("bound-time");
  t.textContent = "≥ " + fmt(d.time_ms) + " ms " + (d.phase === "prefill" ? "to first token" : "per step") +
                  " · ≤ " + fmt(d.tokens_per_s_per_user) + " tok/s per user";
  t.setAttribute("data-value", d.time_ms);
  t.title = qty(d.quantities.time).title;
  $("bound-explanation").textContent = d.explanation.split(". Assumed:")[0];
  $("bound-assumptions").textContent = d.assumptions;
  var e = d.estimate, est = $("bound-estimate");
  if (e) {
    est.textContent = "estimate ~" + fmt(e.time_ms) + " ms " + (d.phase === "prefill" ? "to first token" : "per step") +
                      " (" + Math.round(e.level * 100) + "% interval " + fmt(e.time_ms_interval[0]) + " to " +
                      fmt(e.time_ms_interval[1]) + " ms)";
    est.setAttribute("data-value", e.time_ms);
    $("bound-estimate-basis").textContent = e.assumptions;
  } else {
    est.textContent = "no calibrated estimate shipped";
    $("bound-estimate-basis").textContent = "";
  }
  var tb = $("bound-roofs").querySelector("tbody");
  tb.innerHTML = "";
  [["limiter", d.limiter], ["tokens/s per chip", d.quantities.tokens_per_s_per_chip],
   ["memory bandwidth", d.quantities.memory_bandwidth], ["peak compute (" + d.precision + ")", d.quantities.peak_compute],
   ["intensity", fmt(d.intensity_FLOP_per_B) + " FLOP/B"]].forEach(function (row) {
    if (row[1] === undefined) { return; }
    var tr = el("tr");
    tr.appendChild(el("th", {}, row[0]));
    tr.appendChild(typeof row[1] === "object" ? qcell(row[1]) : el("td", { "class": "r" }, row[1]));
    tb.appendChild(tr);
  });
}

// --- plan --------------------------------------------------------------------------------
function runPlan(params) {
  showError(null);
  $("plan-out").hidden = true;
  var chips = (params.chips || "").split(/[\s,]+/).filter(Boolean);
  var frontierChips = chips.length ? chips.slice(0, 8) : ["h100", "h200", "b200", "mi300x"];
  return Promise.all([
    api("plan", { model: params.model, input: params.input, output: params.output, ttft: params.ttft, tpot: params.tpot,
                  chips: params.chips, top: 0 }),
    api("frontier", { model: params.model, chips: frontierChips.join(","), input: params.input, output: params.output })
  ]).then(function (r) {
    renderPlan(r[0]);
    drawFrontier($("frontier"), r[1], r[0].tpot_target_s);
    $("plan-out").hidden = false;
    document.body.setAttribute("data-ready", "plan");
  }).catch(function (e) { showError(e); document.body.setAttribute("data-ready", "error"); });
}

function renderPlan(d) {
  var tb = $("plan-rows").querySelector("tbody");
  tb.innerHTML = "";
  var meets = 0;
  d.rows.forEach(function (r) {
    if (r.status === "meets") { meets += 1; }
    var tr = el("tr", { "data-id": r.id, "data-status": r.status });
    tr.appendChild(el("td", {}, r.name));
    var st = el("td");
    st.appendChild(el("span", { "class": "badge " + r.status }, r.status));
    tr.appendChild(st);
    [[r.n_chips], [r.layout, "l"], [r.batch], [r.ttft_s === null ? null : r.ttft_s * 1000, "ms"],
     [r.tpot_s === null ? null : r.tpot_s * 1000, "ms"], [r.tokens_per_s_per_chip], [r.tokens_per_s_per_user],
     [r.usd_per_m_output, "$"]].forEach(function (c) {
      var text = c[0] === null || c[0] === undefined ? "—" : (c[1] === "l" ? c[0] : fmt(c[0]) + (c[1] === "ms" ? " ms" : ""));
      if (c[1] === "$" && c[0] !== null && c[0] !== undefined) { text = "$" + fmt(c[0], 3); }
      tr.appendChild(el("td", { "class": c[1] === "l" ? "" : "r" }, text));
    });
    var why = el("td", { "class": "small", title: r.price_source || "" }, (r.reasons || []).join("; "));
    tr.appendChild(why);
    tb.appendChild(tr);
  });
  $("plan-count").textContent = meets + " of " + d.rows.length + " entries meet TTFT ≤ " + fmt(d.ttft_target_s * 1000) +
                                " ms and TPOT ≤ " + fmt(d.tpot_target_s * 1000) + " ms";
  $("plan-assumptions").textContent = d.assumptions;
}

function drawFrontier(box, data, tpot) {  // log-log SVG: x tokens/s per user, y tokens/s per chip
  var W = 820, H = 380, L = 64, R = 16, T = 12, B = 44;
  var pts = [];
  data.curves.forEach(function (c) {
    c.pts = [];
    (c.batch || []).forEach(function (b, i) {
      if (c.fits[i] && c.tokens_per_s_per_user[i] > 0 && c.tokens_per_s_per_chip[i] > 0) {
        c.pts.push([c.tokens_per_s_per_user[i], c.tokens_per_s_per_chip[i], b]);
      }
    });
    pts = pts.concat(c.pts);
  });
  if (!pts.length) { box.innerHTML = '<p class="small">No chip holds the model here.</p>'; return; }
  function lg(v) { return Math.log(v) / Math.LN10; }
  var xs = pts.map(function (p) { return lg(p[0]); }), ys = pts.map(function (p) { return lg(p[1]); });
  if (tpot) { xs.push(lg(1 / tpot)); }
  var x0 = Math.floor(Math.min.apply(null, xs)), x1 = Math.ceil(Math.max.apply(null, xs));
  var y0 = Math.floor(Math.min.apply(null, ys)), y1 = Math.ceil(Math.max.apply(null, ys));
  if (x1 === x0) { x1 += 1; }
  if (y1 === y0) { y1 += 1; }
  function X(v) { return L + (lg(v) - x0) / (x1 - x0) * (W - L - R); }
  function Y(v) { return T + (y1 - lg(v)) / (y1 - y0) * (H - T - B); }
  var s = '<svg id="frontier-svg" width="' + W + '" height="' + H + '" role="img" aria-label="frontier">';
  for (var e = x0; e <= x1; e++) {
    var gx = X(Math.pow(10, e));
    s += '<line x1="' + gx + '" x2="' + gx + '" y1="' + T + '" y2="' + (H - B) + '" stroke="#e6e9ee"/>' +
         '<text x="' + gx + '" y="' + (H - B + 16) + '" text-anchor="middle">' + fmt(Math.pow(10, e)) + "</text>";
  }
  for (var f = y0; f <= y1; f++) {
    var gy = Y(Math.pow(10, f));
    s += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + gy + '" y2="' + gy + '" stroke="#e6e9ee"/>' +
         '<text x="' + (L - 6) + '" y="' + (gy + 4) + '" text-anchor="end">' + fmt(Math.pow(10, f)) + "</text>";
  }
  s += '<text x="' + ((L + W - R) / 2) + '" y="' + (H - 8) + '" text-anchor="middle">output tokens/s per user →</text>' +
       '<text transform="translate(14,' + ((T + H - B) / 2) + ') rotate(-90)" text-anchor="middle">output tokens/s per chip →</text>';
  if (tpot) {
    var tx = X(1 / tpot);
    s += '<line x1="' + tx + '" x2="' + tx + '" y1="' + T + '" y2="' + (H - B) + '" stroke="#1d2330" stroke-dasharray="5,4"/>' +
         '<text x="' + (tx + 4) + '" y="' + (T + 12) + '" text-anchor="start">TPOT ' + fmt(tpot * 1000) + " ms</text>";
  }
  data.curves.forEach(function (c, i) {
    if (!c.pts.length) { return; }
    var color = COLORS[i % COLORS.length];
    var d = c.pts.map(function (p) { return X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1); }).join(" ");
    s += '<g class="curve" data-chip="' + c.chip + '"><polyline fill="none" stroke="' + color + '" stroke-width="2" points="' + d + '"/>';
    c.pts.forEach(function (p) {
      s += '<circle cx="' + X(p[0]).toFixed(1) + '" cy="' + Y(p[1]).toFixed(1) + '" r="2.5" fill="' + color + '"><title>' +
           c.name + " × " + c.n_chips + ", batch " + p[2] + ": " + fmt(p[0]) + " tok/s/user, " + fmt(p[1]) + " tok/s/chip</title></circle>";
    });
    s += "</g>";
  });
  box.innerHTML = s + "</svg>";
  var legend = el("div", { "class": "legend" });
  data.curves.forEach(function (c, i) {
    var span = el("span"), sw = el("i");
    sw.style.background = COLORS[i % COLORS.length];
    span.appendChild(sw);
    span.appendChild(document.createTextNode(c.name + " × " + c.n_chips + (c.pts.length ? "" : " (does not fit)")));
    legend.appendChild(span);
  });
  box.appendChild(legend);
}

// --- catalog -----------------------------------------------------------------------------
function loadCatalog() {
  var ready = loaded.chips ? Promise.resolve(loaded.chips) : api("chips");
  ready.then(function (d) {
    var vendors = {};
    d.chips.forEach(function (c) { vendors[c.vendor] = true; });
    var sel = $("cat-vendor");
    Object.keys(vendors).sort().forEach(function (v) { sel.appendChild(el("option", { value: v }, v)); });
    var params = new URLSearchParams(location.search);
    if (params.get("vendor")) { sel.value = params.get("vendor"); }
    if (params.get("q")) { $("cat-search").value = params.get("q"); }
    renderCatalog(d.chips);
    sel.onchange = function () { renderCatalog(d.chips); };
    $("cat-search").oninput = function () { renderCatalog(d.chips); };
    if (params.get("chip")) { showChip(params.get("chip")); }
  }).catch(showError);
  loadSystems();
}

function loadSystems() {
  api("systems").then(function (d) {
    var tb = $("cat-systems").querySelector("tbody");
    tb.innerHTML = "";
    d.systems.forEach(function (s) {
      var tr = el("tr", { "data-id": s.id, "data-vendor": s.vendor });
      tr.appendChild(el("td", {}, s.name));
      tr.appendChild(el("td", {}, s.vendor));
      tr.appendChild(el("td", {}, s.chip));
      tr.appendChild(el("td", { "class": "r" }, fmt(s.count)));
      tr.appendChild(qcell(s.total_hbm));
      tr.appendChild(qcell(s.total_bf16_dense));
      tb.appendChild(tr);
    });
    $("sys-count").textContent = d.systems.length + " systems";
  }).catch(showError);
}

function renderCatalog(all) {
  var vendor = $("cat-vendor").value, text = $("cat-search").value.toLowerCase();
  var tb = $("cat-chips").querySelector("tbody");
  tb.innerHTML = "";
  var rows = all.filter(function (c) {
    return (!vendor || c.vendor === vendor) && (!text || (c.id + " " + c.name).toLowerCase().indexOf(text) >= 0);
  });
  rows.forEach(function (c) {
    var tr = el("tr", { "data-id": c.id });
    tr.appendChild(el("td", {}, c.name));
    tr.appendChild(el("td", {}, c.vendor));
    tr.appendChild(qcell(c.memory_capacity));
    tr.appendChild(qcell(c.memory_bandwidth));
    tr.appendChild(qcell(c.bf16_dense));
    tr.onclick = function () { showChip(c.id); };
    tb.appendChild(tr);
  });
  $("cat-count").textContent = rows.length + " of " + all.length + " chips";
}

function showChip(id) {
  api("chips/" + encodeURIComponent(id)).then(function (d) {
    var box = $("cat-detail");
    box.innerHTML = "";
    box.appendChild(el("h2", {}, d.name + " (" + d.vendor + ")"));
    var t = el("table", { "class": "num" }), tb = el("tbody");
    Object.keys(d.fields).forEach(function (p) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, p));
      tr.appendChild(qcell(d.fields[p]));
      var src = d.fields[p].source && d.sources[d.fields[p].source];
      var td = el("td", { "class": "small" });
      if (src) {
        var a = el("a", { href: src.url || "#", target: "_blank", rel: "noopener", title: src.title || "" }, src.publisher || src.id);
        td.appendChild(a);
      }
      tr.appendChild(td);
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    box.appendChild(t);
    if (d.notes) { box.appendChild(el("p", { "class": "small" }, Array.isArray(d.notes) ? d.notes.join(" ") : d.notes)); }
    box.hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll("#cat-chips tr"), function (tr) {
      tr.classList.toggle("sel", tr.getAttribute("data-id") === d.id);
    });
  }).catch(showError);
}

// --- claims ------------------------------------------------------------------------------
function loadClaims() {
  api("claims").then(function (d) {
    $("claims-counts").textContent = Object.keys(d.verdicts).map(function (k) { return d.verdicts[k] + " " + k; }).join(" · ") +
                                     " (catalog " + d.catalog_version + ")";
    var tb = $("claims-table").querySelector("tbody");
    d.claims.forEach(function (c) {
      var tr = el("tr", { "data-id": c.claim, "data-verdict": c.verdict });
      var name = el("td", {}, c.claim);
      name.appendChild(el("div", { "class": "small" }, c.reading));
      tr.appendChild(name);
      var v = el("td");
      v.appendChild(el("span", { "class": "badge " + c.verdict }, c.verdict));
      tr.appendChild(v);
      tr.appendChild(el("td", {}, c.claimed));
      tr.appendChild(el("td", { "class": "small" }, (c.implied || []).join("; ") || (c.ratio === null ? "" : "ratio " + fmt(c.ratio))));
      var src = d.sources[c.source], st = el("td", { "class": "small" });
      if (src && src.url) {
        st.appendChild(el("a", { href: src.url, target: "_blank", rel: "noopener", title: src.title || "" },
                          (src.publisher || c.source) + (src.date ? " (" + src.date + ")" : "")));
      } else {
        var title = src && src.title ? src.title : "";
        st.textContent = c.source + (title ? ": " + (title.length > 60 ? title.slice(0, 57) + "…" : title) : "");
        st.title = title;
      }
      tr.appendChild(st);
      tb.appendChild(tr);
    });
    document.body.setAttribute("data-ready", "claims");
  }).catch(showError);
}

function runValidate(ev) {
  ev.preventDefault();
  showError(null);
  var file = $("validate-file").files[0];
  if (!file) { showError({ field: "file", detail: "choose a measurement file first" }); return; }
  fetch("/api/validate?filename=" + encodeURIComponent(file.name), { method: "POST", body: file })
    .then(function (r) { return r.json().then(function (b) { if (!r.ok) { throw b; } return b; }); })
    .then(function (d) {
      $("validate-out").textContent = d.summary.split("\n")[0] +
        (d.violations.length ? " · beat their bound: " + d.violations.join(", ") : "");
    }).catch(showError);
}

// --- start -------------------------------------------------------------------------------
function start() {
  var params = new URLSearchParams(location.search);
  var view = params.get("view") || "calc";
  fillForm($("calc-form"), params);
  fillForm($("plan-form"), params);
  $("calc-form").onsubmit = function (ev) {
    ev.preventDefault();
    var p = formParams($("calc-form"));
    share("calc", p);
    runCalc(p);
  };
  $("validate-form").onsubmit = runValidate;
  $("plan-form").onsubmit = function (ev) {
    ev.preventDefault();
    var p = formParams($("plan-form"));
    share("plan", p);
    runPlan(p);
  };
  Array.prototype.forEach.call(document.querySelectorAll("#tabs a"), function (a) {
    a.onclick = function (ev) {
      ev.preventDefault();
      history.pushState(null, "", "?view=" + a.getAttribute("data-view"));
      show(a.getAttribute("data-view"));
    };
  });
  show(view);
  loadLists().then(function () {
    fillForm($("calc-form"), params);  // the model list has arrived: select the shared model
    fillForm($("plan-form"), params);
    if (view === "calc" && params.get("model") && params.get("chip") && params.get("context")) {
      runCalc(formParams($("calc-form")));
    } else if (view === "plan" && params.get("model") && params.get("ttft")) {
      runPlan(formParams($("plan-form")));
    } else {
      document.body.setAttribute("data-ready", "idle");
    }
  }).catch(showError);
}

window.addEventListener("popstate", function () { location.reload(); });
start();
