// Draws the per-region bar chart from the JSON the page embeds (no inline script, so a
// strict Content-Security-Policy can forbid them).
(function () {
  "use strict";
  var holder = document.getElementById("child-region-chart");
  var source = document.getElementById("child-region-data");
  if (!holder || !source || typeof echarts === "undefined") { return; }
  var rows = JSON.parse(source.textContent);
  var chart = echarts.init(holder);
  chart.setOption({
    grid: { left: 48, right: 16, top: 16, bottom: 72 },
    // Tooltips drawn on the canvas: the HTML kind carries style attributes the CSP refuses.
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 45 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: rows.map(function (r) { return r.count; }), itemStyle: { color: "#0d6efd" } }]
  });
  var listUrl = holder.dataset.listUrl;
  chart.on("click", function (params) {
    var row = rows[params.dataIndex];
    if (row) { window.location.href = listUrl + "?region=" + encodeURIComponent(row.code); }
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
