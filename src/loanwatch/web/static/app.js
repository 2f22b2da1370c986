// LoanWatch console helpers: charts from data embedded in the page (no network calls), and
// "select all" for bulk actions. ECharts is served by the app itself (/static/vendor).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const spec = JSON.parse(el.querySelector("script[type='application/json']").textContent);
    const chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(spec);
    window.addEventListener("resize", () => chart.resize());
    if (spec.lwLinks) {
      chart.on("click", (p) => { const href = spec.lwLinks[p.name] || spec.lwLinks[p.seriesName];
        if (href) window.location.href = href; });
    }
  });
  document.querySelectorAll("input[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[name='${box.dataset.selectAll}']`).forEach((b) => { b.checked = box.checked; });
    });
  });
});
