/* The flow map: each flow's states laid out by dagre (vendor/dagre) and drawn as SVG.
 * The data is the page's #flow-map-data (chatsurvey/flows/map.py). Each box is a link
 * to the state; the age band chooser highlights the path of a young person of that band.
 * The page lists every state too, for reading without this script. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var NODE_W = 300, NODE_H = 50, CHARS = 38;
  var source = document.getElementById("flow-map-data");
  if (!source || typeof dagre === "undefined") { return; }
  var data = JSON.parse(source.textContent);

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function cut(text, n) {
    return text && text.length > n ? text.slice(0, n - 1) + "\u2026" : (text || "");
  }

  function marks(n) {
    var out = [];
    if (n.core) { out.push("core \uD83D\uDD12"); }
    if (n.sensitive) { out.push("sensitive"); }
    if (n.local) { out.push("your question"); }
    return out;
  }

  function draw(graph, container) {
    var g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 26, edgesep: 12, marginx: 8, marginy: 8 });
    g.setDefaultEdgeLabel(function () { return {}; });
    graph.nodes.forEach(function (n) { g.setNode(n.id, { width: NODE_W, height: NODE_H, data: n }); });
    graph.edges.forEach(function (e, i) {
      var label = e.label || "";
      g.setEdge(e.from, e.to, { label: label, width: label ? label.length * 6.2 + 8 : 0,
                                height: label ? 16 : 0, labelpos: "c", data: e }, "e" + i);
    });
    dagre.layout(g);
    var size = g.graph();
    var svg = el("svg", { width: Math.ceil(size.width), height: Math.ceil(size.height),
                          viewBox: "0 0 " + Math.ceil(size.width) + " " + Math.ceil(size.height),
                          "class": "map-svg", role: "group",
                          "aria-label": "Map of " + graph.id + ": " + graph.nodes.length + " states" });
    var defs = el("defs");
    var marker = el("marker", { id: "arrow-" + graph.id, viewBox: "0 0 10 10", refX: 9, refY: 5,
                                markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "map-arrow" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    g.edges().forEach(function (ref) {
      var edge = g.edge(ref);
      var d = edge.points.map(function (p, i) { return (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1); }).join(" ");
      var group = el("g", { "class": "map-edge", "data-from": ref.v, "data-to": ref.w });
      group.appendChild(el("path", { d: d, "marker-end": "url(#arrow-" + graph.id + ")" }));
      if (edge.label) {
        group.appendChild(el("rect", { x: edge.x - edge.width / 2, y: edge.y - 8, width: edge.width,
                                       height: 16, rx: 3, "class": "map-edge-label-bg" }));
        group.appendChild(el("text", { x: edge.x, y: edge.y + 4, "text-anchor": "middle",
                                       "class": "map-edge-label" }, edge.label));
      }
      svg.appendChild(group);
    });
    g.nodes().forEach(function (id) {
      var box = g.node(id), n = box.data;
      var cls = "map-node kind-" + n.kind + (n.core ? " core" : "") + (n.sensitive ? " sensitive" : "") +
                (n.local ? " local" : "");
      var first = id + (marks(n).length ? "  \u00B7 " + marks(n).join(" \u00B7 ") : "");
      var holder = n.href ? el("a", { href: n.href, "class": "map-link",
                                      "aria-label": id + " (" + n.kind + ")" +
                                      (marks(n).length ? ", " + marks(n).join(", ") : "") +
                                      (n.text ? ": " + n.text : "") }) : el("g");
      var group = el("g", { "class": cls, "data-state": id,
                            transform: "translate(" + (box.x - NODE_W / 2) + "," + (box.y - NODE_H / 2) + ")" });
      group.appendChild(el("rect", { width: NODE_W, height: NODE_H, rx: n.kind === "branch" ? 14 : 4 }));
      group.appendChild(el("text", { x: 8, y: 19, "class": "map-name" }, cut(first, CHARS)));
      group.appendChild(el("text", { x: 8, y: 38, "class": "map-text" }, cut(n.text, CHARS + 4)));
      holder.appendChild(group);
      svg.appendChild(holder);
    });
    container.appendChild(svg);
  }

  function highlight(band) {
    var paths = band ? (data.paths[band] || {}) : null;
    document.querySelectorAll(".flow-map").forEach(function (container) {
      var on = paths ? (paths[container.getAttribute("data-flow")] || []) : null;
      var set = {};
      (on || []).forEach(function (s) { set[s] = true; });
      container.classList.toggle("has-path", !!paths);
      container.querySelectorAll(".map-node").forEach(function (node) {
        node.classList.toggle("on-path", !!paths && !!set[node.getAttribute("data-state")]);
      });
      container.querySelectorAll(".map-edge").forEach(function (edge) {
        edge.classList.toggle("on-path", !!paths && !!set[edge.getAttribute("data-from")] &&
                                          !!set[edge.getAttribute("data-to")]);
      });
    });
  }

  data.flows.forEach(function (graph) {
    var container = document.querySelector('.flow-map[data-flow="' + graph.id + '"]');
    if (container) { draw(graph, container); }
  });
  var form = document.getElementById("map-bands");
  if (form) {
    form.querySelectorAll("[data-no-js]").forEach(function (b) { b.hidden = true; });
    form.addEventListener("change", function () {
      var chosen = form.querySelector("input[name=band]:checked");
      highlight(chosen ? chosen.value : "");
    });
    var checked = form.querySelector("input[name=band]:checked");
    highlight(checked ? checked.value : "");
  }
}());
