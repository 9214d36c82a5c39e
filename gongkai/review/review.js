// The review page's linking (gongkai/review/page.py). The page works without it: links still jump
// between a cell and its source. This adds: highlighting (class "hl") of everything that names the
// clicked cell, claim or finding (elements carry their names in data-k), centred scrolling inside the
// source pane, and sorting the narrative sentences by label.
(function () {
  "use strict";
  var lit = [];
  var source = document.getElementById("source");

  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }
  function keysOf(el) { return ((el && el.getAttribute("data-k")) || "").split(" ").filter(Boolean); }

  function clear() {
    lit.forEach(function (el) { el.classList.remove("hl"); });
    lit = [];
    all(".finding.on").forEach(function (el) { el.classList.remove("on"); });
  }

  function light(keys) {
    keys.forEach(function (key) {
      all('[data-k~="' + CSS.escape(key) + '"]').forEach(function (el) {
        if (!el.classList.contains("finding")) { el.classList.add("hl"); lit.push(el); }
      });
    });
  }

  function scrollable(pane) {
    return pane && pane.scrollHeight > pane.clientHeight && getComputedStyle(pane).overflowY !== "visible";
  }

  // Bring el into view: inside the source pane without moving the page, elsewhere by scrolling the page.
  function reveal(el) {
    var folded = el.closest("details");
    if (folded && !folded.open) { folded.open = true; }
    if (source && source.contains(el) && scrollable(source)) {
      var r = el.getBoundingClientRect(), p = source.getBoundingClientRect();
      source.scrollTop += (r.top - p.top) - (p.height - r.height) / 2;
      source.scrollLeft += Math.max(0, r.right - p.right + 16);
    } else {
      el.scrollIntoView({ block: "center", inline: "nearest" });
    }
  }

  function target(link) {
    var href = link.getAttribute("href") || "";
    return href.charAt(0) === "#" ? document.getElementById(decodeURIComponent(href.slice(1))) : null;
  }

  function showFinding(item) {
    var was = item.classList.contains("on");
    clear();
    if (was) { return; }
    item.classList.add("on");
    var keys = keysOf(item);
    light(keys);
    var cell = item.querySelector("a.go") && target(item.querySelector("a.go"));
    if (cell) { reveal(cell); }
    var inSource = null;
    for (var i = 0; i < keys.length && !inSource; i++) {
      inSource = source && source.querySelector('.box[data-k~="' + CSS.escape(keys[i]) + '"], .m[data-k~="' +
                                                CSS.escape(keys[i]) + '"]');
    }
    if (inSource) { reveal(inSource); }
  }

  function sortSentences(by) {
    var body = document.querySelector("table.sentences tbody");
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      if (by === "n") { return a.dataset.n - b.dataset.n; }
      var la = (" " + a.dataset.labels + " ").indexOf(" " + by + " ") >= 0;
      var lb = (" " + b.dataset.labels + " ").indexOf(" " + by + " ") >= 0;
      if (la !== lb) { return la ? -1 : 1; }
      return (parseFloat(b.dataset[by]) - parseFloat(a.dataset[by])) || (a.dataset.n - b.dataset.n);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    all("button[data-sort]").forEach(function (b) { b.classList.toggle("on", b.dataset.sort === by); });
  }

  document.addEventListener("click", function (ev) {
    var sorter = ev.target.closest("button[data-sort]");
    if (sorter) { sortSentences(sorter.dataset.sort); return; }
    var finding = ev.target.closest(".finding");
    var link = ev.target.closest('a[href^="#"]');
    if (finding && (!link || link.classList.contains("go"))) {
      ev.preventDefault();
      showFinding(finding);
      return;
    }
    if (!link) { return; }
    var to = target(link);
    if (!to) { return; }
    ev.preventDefault();
    clear();
    light(keysOf(link).concat(keysOf(to), keysOf(link.closest("[data-k]")), keysOf(to.closest("[data-k]"))));
    reveal(to);
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { clear(); return; }
    var finding = ev.target.closest && ev.target.closest(".finding");
    if (finding && ev.target === finding && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      showFinding(finding);
    }
  });
  document.body.dataset.ready = "1";
}());
