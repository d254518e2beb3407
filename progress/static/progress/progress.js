// The progress charts: screened / not yet screened per region, and screenings per campaign
// day with the running total. Data comes from the JSON the page embeds (no inline script);
// a click on a bar or a day opens the list of institutions behind it.
(function () {
  "use strict";
  var source = document.getElementById("progress-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function open(url) { if (url) { window.location.href = url; } }

  var coverage = document.getElementById("coverage-chart");
  if (coverage && data.regions.length) {
    var rows = data.regions;
    var chart = echarts.init(coverage);
    chart.setOption({
      grid: { left: 48, right: 16, top: 32, bottom: 72 },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 45 } },
      yAxis: { type: "value" },
      series: [
        { name: coverage.dataset.screened || "已排查", type: "bar", stack: "all", itemStyle: { color: "#198754" },
          data: rows.map(function (r) { return r.screened; }) },
        { name: coverage.dataset.unscreened || "未排查", type: "bar", stack: "all", itemStyle: { color: "#dc3545" },
          data: rows.map(function (r) { return r.unscreened; }) }
      ]
    });
    chart.on("click", function (params) { var row = rows[params.dataIndex]; if (row) { open(row.link); } });
    charts.push(chart);
  }

  var trend = document.getElementById("trend-chart");
  if (trend && data.trend.length) {
    var days = data.trend;
    var line = echarts.init(trend);
    line.setOption({
      grid: { left: 56, right: 56, top: 32, bottom: 48 },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      xAxis: { type: "category", data: days.map(function (d) { return d.day.slice(5); }) },
      yAxis: [{ type: "value" }, { type: "value", max: data.total || null }],
      series: [
        { name: trend.dataset.daily || "当日排查", type: "bar", itemStyle: { color: "#0d6efd" },
          data: days.map(function (d) { return d.screened; }) },
        { name: trend.dataset.cumulative || "累计", type: "line", yAxisIndex: 1, showSymbol: false,
          data: days.map(function (d) { return d.cumulative; }) }
      ]
    });
    line.on("click", function (params) { var d = days[params.dataIndex]; if (d && d.screened) { open(d.link); } });
    charts.push(line);
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
