// Draw the report service's Sankey and bar data with Plotly (no network: the node serves plotly).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var config = { responsive: true, displaylogo: false };
  var margin = { l: 10, r: 10, t: 10, b: 30 };
  if (data.sankey.link.value.length) {
    Plotly.newPlot("sankey", [data.sankey], { margin: margin, font: { size: 12 } }, config);
  } else {
    document.getElementById("sankey").textContent = "—";
  }
  if (data.bars.length) {
    Plotly.newPlot("bars", data.bars, { barmode: "group", xaxis: { type: "category" }, margin: { l: 50, r: 10, t: 10, b: 40 } }, config);
  } else {
    document.getElementById("bars").textContent = "—";
  }
})();
