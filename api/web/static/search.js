/* `/`: search as you type. The first view is rendered by the server; this script fills the search box
   from the address (the page never prints the search text), then sends SearchSubjects to the public
   API as the user types, renders results and facets with text nodes, and keeps the address linkable. */
(function () {
  "use strict";
  var cg = window.creditgraph, el = cg.el, cfg = cg.data.facets;
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  var intro = document.getElementById("intro");
  var list = document.getElementById("result-list");
  var count = document.getElementById("results-count");
  var facetsBox = results.querySelector(".facets");
  var next = document.getElementById("next-page");
  var regionInput = form.querySelector("input[name=regionCodePrefix]");
  var regionOptions = document.getElementById("region-options");
  var regionNames = Object.assign({}, cfg.regions);
  var controller = null, timer = null;

  input.value = new URLSearchParams(location.search).get("q") || "";
  var current = input.value.trim();

  /* The server prints neither the search text nor links that carry it: add it to those that need it. */
  function withQuery(q) {
    document.querySelectorAll("a[data-q]").forEach(function (a) {
      var url = new URL(a.getAttribute("href"), location.href);
      if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
      a.setAttribute("href", url.pathname + (url.search || ""));
    });
  }
  withQuery(current);

  function params(q) {
    var p = new URLSearchParams(location.search);
    p.delete("after");
    if (q) p.set("q", q); else p.delete("q");
    return p;
  }

  function alertBox() {
    var box = document.getElementById("search-alert");
    if (!box) {
      box = el("p", { id: "search-alert", class: "alert", role: "alert" });
      form.after(box);
    }
    return box;
  }

  function showProblem(text) {
    var box = alertBox();
    box.textContent = text;
    box.hidden = !text;
  }

  function regionName(code) {
    if (regionNames[code]) return Promise.resolve(regionNames[code]);
    return cg.query("RegionName", { query: code }).then(function (data) {
      var match = data.regions.filter(function (r) { return r.prefix === code; })[0];
      regionNames[code] = match ? (match.level === "city" && match.city) || match.province : code;
      return regionNames[code];
    }, function () { return code; });
  }

  function facetLabel(name, value) {
    if (cfg.params[name] === "regionCodePrefix") return regionName(value);
    var labels = cfg.labels[name] || {};
    return Promise.resolve(labels[value] || value);
  }

  function renderFacets(facets, q) {
    var filter = cg.data.filter || {};
    var order = cfg.order;
    var shown = facets.filter(function (f) { return cfg.titles[f.name] && f.buckets.length; });
    shown.sort(function (a, b) { return order.indexOf(a.name) - order.indexOf(b.name); });
    var jobs = shown.map(function (facet) {
      var param = cfg.params[facet.name];
      var buckets = facet.buckets.slice(0, cfg.shown);
      return Promise.all(buckets.map(function (b) { return b.label ? Promise.resolve(b.label) : facetLabel(facet.name, b.value); }))
        .then(function (labels) {
          var items = buckets.map(function (bucket, i) {
            var p = params(q), active;
            if (param === "regionCodePrefix") active = filter.regionCodePrefix === bucket.value;
            else if (param === "hasActivePunishment") active = String(filter.hasActivePunishment) === bucket.value;
            else active = (filter[param] || []).indexOf(bucket.value) >= 0;
            if (active) p.delete(param); else p.set(param, bucket.value);
            return el("li", null, el("a", { href: "/?" + p.toString(), "data-q": true, "aria-current": active ? "true" : null },
              labels[i] + " ", el("span", { class: "n" }, String(bucket.count))));
          });
          return el("div", { class: "facet" }, el("h2", null, cfg.titles[facet.name]), el("ul", null, items));
        });
    });
    return Promise.all(jobs).then(function (boxes) {
      if (q === current) facetsBox.replaceChildren.apply(facetsBox, boxes);
    });
  }

  function renderResults(page, q) {
    list.replaceChildren.apply(list, page.edges.map(function (edge) {
      var n = edge.node;
      var meta = el("p", { class: "meta" }, el("span", { class: "kind" }, n.kindLabel),
        n.region ? el("span", null, n.region.name) : null, el("span", { class: "code" }, n.code));
      var matched = edge.highlights.filter(function (h) { return n.formerNames.indexOf(cg.plain(h)) >= 0; })
        .map(function (h) { return el("p", { class: "matched" }, "曾用名：", cg.marks(h)); });
      return el("li", { class: "result" }, el("a", { class: "name", href: cg.subjectHref(n) }, n.name), meta, matched,
        cg.flagChips(n.creditProfile.activeFlags));
    }));
    count.textContent = "共 " + page.totalCount + " 个结果";
    var p = params(q);
    if (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
      p.set("after", page.pageInfo.endCursor);
      next.href = "/?" + p.toString();
      next.hidden = false;
    } else {
      next.hidden = true;
    }
    var first = results.querySelector(".pager a:not(#next-page)");
    if (first) first.remove();
    withQuery(q);
  }

  function search(q) {
    if (controller) controller.abort();
    current = q;
    history.replaceState(null, "", params(q).toString() ? "/?" + params(q).toString() : "/");
    if (!q) {
      results.hidden = true;
      intro.hidden = false;
      showProblem("");
      return;
    }
    controller = new AbortController();
    var variables = { query: q, filter: cg.data.filter, first: cg.data.first };
    cg.query("SearchSubjects", variables, controller.signal).then(function (data) {
      if (q !== current) return;
      showProblem("");
      renderResults(data.searchSubjects, q);
      intro.hidden = true;
      results.hidden = false;
      return renderFacets(data.searchSubjects.facets, q);
    }, function (error) {
      if (error && error.name === "AbortError") return;
      showProblem(cg.problemText(error));
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q === current) return;
    timer = setTimeout(function () { search(q); }, 200);
  });

  /* Arrow down from the box moves to the first result; the results are links, in tab order. */
  input.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" || results.hidden) return;
    var first = list.querySelector("a.name");
    if (first) { event.preventDefault(); first.focus(); }
  });

  /* Suggestions for the region filter, by name in any script or by code (regions(query:)). */
  var regionTimer = null;
  regionInput.addEventListener("input", function () {
    clearTimeout(regionTimer);
    var text = regionInput.value.trim();
    if (!text) return;
    regionTimer = setTimeout(function () {
      cg.query("RegionName", { query: text }).then(function (data) {
        regionOptions.replaceChildren.apply(regionOptions, data.regions.map(function (r) {
          return el("option", { value: r.name });
        }));
      }, function () {});
    }, 200);
  });
})();
