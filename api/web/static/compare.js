// Compare 2–4 finished runs: POST /compare, one region (or all) at a time, differences against the first.
"use strict";
(function () {
  const C = window.CAPPLAN;
  const { t, el } = C;
  const M = C.messages.measures;
  const REGIONS = C.messages.regions;
  let result = null;
  let chosen = [];
  const $ = (id) => document.getElementById(id);

  function format(measure, value) {
    if (value === null || value === undefined) return "";
    if (M.money.includes(measure)) return C.msek(value);
    if (M.shares.includes(measure)) return C.percent(value);
    return C.whole(value);
  }

  function difference(measure, base, value) {
    if (base === null || value === null || base === undefined || value === undefined) return el("td", {});
    const diff = value - base;
    const shown = M.shares.includes(measure) ? C.percent(Math.abs(diff)) : format(measure, Math.abs(diff));
    const tiny = Math.abs(diff) < (M.shares.includes(measure) ? 0.0005 : 0.5);
    const sign = tiny ? "±" : diff > 0 ? "+" : "−"; // a difference that rounds to nothing is no "−0"
    const better = tiny ? null : (diff < 0) === M.lower_is_better.includes(measure);
    const known = M.lower_is_better.includes(measure) || measure === "treated";
    const kind = !known || better === null ? "" : better ? "better" : "worse";
    return el("td", { class: "num " + kind }, sign + shown, kind ? el("span", { class: "sr-only", text: " (" + t(kind) + ")" }) : null);
  }

  function render() {
    const region = $("compare-region").value;
    // the plans only (the API's own difference columns and note are left out: the page shows its own, coloured)
    const plans = result.columns.filter((c) => c in result.runs);
    const head = [el("th", { scope: "col", text: t("measure") }), ...plans.map((p) => el("th", { scope: "col", class: "num", text: p }))];
    for (const p of plans.slice(1)) head.push(el("th", { scope: "col", class: "num", text: t("difference") + ": " + p }));
    $("compare-table").querySelector("thead").replaceChildren(el("tr", {}, head));
    // people's measures first; the model's weighted breach-days last
    const model = (r) => (r.metric === "weighted_breach_days" ? 1 : 0);
    const rows = result.rows.filter((r) => r.region_id === region).sort((a, b) => model(a) - model(b));
    $("compare-table").querySelector("tbody").replaceChildren(...rows.map((r) => el("tr", {},
      el("th", { scope: "row", text: M.labels[r.metric] || r.metric }),
      plans.map((p) => el("td", { class: "num", text: format(r.metric, r[p]) })),
      plans.slice(1).map((p) => difference(r.metric, r[plans[0]], r[p])))));
  }

  /** Winners and losers of each later run against the first, and every run's fairness settings. */
  async function showOutcomes(comparison) {
    const outcomes = await C.data("/outcomes", comparison);
    const cell = (c, j) => (j === 0 ? el("th", { scope: "row", text: c.text }) : el("td", { class: "num " + (c.kind || ""), text: c.text }));
    $("outcome-tables").replaceChildren(...outcomes.against.map((table, i) => {
      const titleId = "outcome-title-" + i;
      const head = el("tr", {}, table.columns.map((c, j) => el("th", { scope: "col", class: j ? "num" : null, text: c })));
      const body = table.rows.map((row) => el("tr", { class: row[0].total ? "total" : null }, row.map(cell)));
      const grid = el("table", { class: "outcome", "aria-labelledby": titleId }, el("thead", {}, head), el("tbody", {}, body));
      return el("div", {}, el("h3", { id: titleId, text: table.title }), el("div", { class: "scroll" }, grid));
    }));
    $("fairness-runs").replaceChildren(...outcomes.fairness.map((run) => el("li", {},
      el("strong", { text: run.label }),
      el("ul", {}, run.settings.map((line) => el("li", { text: line }))),
      run.fairness_by.includes("region") ? null : el("div", {}, el("a", { href: C.root + "/ui/scenario" + run.links.region, text: t("open_with_fairness") })),
      run.no_region_worse_off ? null : el("div", {}, el("a", { href: C.root + "/ui/scenario" + run.links.no_region_worse_off, text: t("open_with_no_worse") })))));
    $("outcomes").hidden = false;
  }

  async function start() {
    const status = $("compare-status");
    try {
      const runs = (await C.api("/runs?status=done&limit=100")).data;
      const box = $("compare-runs");
      if (!runs.length) box.append(el("p", { text: t("none_yet") }));
      for (const run of runs) {
        const id = "cmp-" + run.id;
        box.append(el("div", { class: "check" }, el("input", { type: "checkbox", id, value: run.id }),
          el("label", { for: id, text: run.scenario_name + " · " + C.when(run.finished_at) })));
      }
    } catch (error) {
      C.showError(status, error);
    }
    $("compare-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      chosen = [...document.querySelectorAll("#compare-runs input:checked")].map((i) => i.value);
      if (chosen.length < 2 || chosen.length > 4) return C.say(status, t("pick_runs"), "bad");
      try {
        result = await C.api("/compare", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ runs: chosen }) });
        const regions = [...new Set(result.rows.map((r) => r.region_id))];
        $("compare-region").replaceChildren(...regions.map((r) => el("option", { value: r,
          text: r === "total" ? t("all_regions") : REGIONS[r] || r, selected: r === "total" })));
        $("compare-csv").disabled = false;
        status.replaceChildren();
        render();
        await showOutcomes(result);
      } catch (error) {
        C.showError(status, error);
      }
    });
    $("compare-region").addEventListener("change", render);
    $("compare-csv").addEventListener("click", async () => {
      try {
        const response = await fetch(C.root + "/api/v1/compare.csv", { method: "POST",
          headers: { "X-API-Key": sessionStorage.getItem("capplan-api-key"), "Content-Type": "application/json" },
          body: JSON.stringify({ runs: chosen }) });
        if (!response.ok) throw new C.ApiError(response.status, await response.json());
        const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "comparison.csv" });
        document.body.append(link); link.click(); link.remove();
        C.say(status, t("download_started", { name: "comparison.csv" }));
      } catch (error) {
        C.showError(status, error);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => { if (sessionStorage.getItem("capplan-api-key")) start(); });
})();
