// One run: live progress (polling GET /runs/{id}) until it is done, then its figures in people's units.
"use strict";
(function () {
  const C = window.CAPPLAN;
  const { t, el } = C;
  const FINISHED = ["done", "failed", "cancelled"];
  const runId = decodeURIComponent(window.location.pathname.split("/").pop()); // /ui/runs/{run_id}
  const $ = (id) => document.getElementById(id);

  function table(target, columns, rows, numericFrom) {
    target.querySelector("thead").replaceChildren(el("tr", {}, columns.map((c, i) =>
      el("th", { scope: "col", class: i >= numericFrom ? "num" : null, text: c }))));
    target.querySelector("tbody").replaceChildren(...rows.map((row) => el("tr", {}, row.map((cell, i) =>
      i === 0 ? el("th", { scope: "row", text: cell }) : el("td", { class: i >= numericFrom ? "num" : null, text: cell })))));
  }

  const seconds = new Intl.NumberFormat(C.lang === "sv" ? "sv-SE" : "en-GB", { maximumFractionDigits: 1 });

  function progress(run) {
    const busy = !FINISHED.includes(run.status);
    let text = C.runStatus(run);
    if (busy && run.elapsed_seconds) text += " … " + t("seconds", { n: seconds.format(run.elapsed_seconds) });
    if (!busy) {  // the stages it went through, with their times
      const stages = (run.stages || []).map((s) => t("status_" + s.stage) + " " + t("seconds", { n: seconds.format(s.seconds) }));
      if (stages.length) text += " · " + stages.join(" → ");
    }
    $("result-status").replaceChildren(el("p", { class: busy ? "busy" : run.status === "done" ? "ok" : "bad" },
      busy ? el("span", { class: "spinner", "aria-hidden": "true" }) : null, text));
    if (run.error) {  // why it failed: the message, and the problems or the constraints in conflict
      const infeasible = run.error.type === "infeasible";
      const items = (run.error.problems || []).map((p) => [p.file, p.row, p.column, p.message].filter((x) => x !== null && x !== undefined).join(" · "));
      $("result-status").append(el("div", { class: "error", role: "alert" },
        el("p", { text: infeasible ? t("infeasible") : t("failed") + ": " + run.error.message }),
        el("ul", { class: "problems" }, [...items, ...(run.error.conflicts || [])].map((text) => el("li", { text })))));
    }
  }

  async function show(run) {
    const view = await C.data("/runs/" + encodeURIComponent(runId) + "/view");
    $("result-body").hidden = false; // before plotting: plotly sizes a figure by its visible box
    $("synthetic-banner").textContent = view.banner || "";
    $("synthetic-banner").hidden = !view.banner;
    $("key-figures").replaceChildren(...view.key_figures.map((f) => el("div", { class: "figure" },
      el("div", { class: "label", text: f.label }), el("div", { class: "value", text: f.value }),
      el("div", { class: "note", text: f.note }))));
    const config = { displaylogo: false, responsive: true };
    Plotly.newPlot($("waiting-figure"), view.waiting_figure.data, view.waiting_figure.layout, config);
    Plotly.newPlot($("flows-map"), view.flows_map.data, view.flows_map.layout, config);
    const plan = view.production_plan;
    const period = $("plan-period");
    period.replaceChildren(...plan.periods.map((p, i) => el("option", { value: i, text: p.label })));
    const showPeriod = () => table($("plan-table"), plan.columns, plan.periods[Number(period.value)].rows, 2);
    period.addEventListener("change", showPeriod);
    showPeriod();
    table($("flows-table"), view.flows.columns, view.flows.rows, 4);
    const report = document.querySelector("[data-download=report]");
    report.hidden = !run.results.includes("report");
    targetForm(run, view);
    if (run.results.includes("simulation-bands")) await showSimulation(run, config);
  }

  /** The target question (POST /decisions/target on the run's scenario), answered in people's words. */
  function targetForm(run, view) {
    const week = $("target-week");
    week.replaceChildren(...view.weeks.map((w) => el("option", { value: w.id, text: w.label })));
    week.value = view.weeks[view.weeks.length - 1].id;
    const label = (id) => (view.weeks.find((w) => w.id === id) || { label: id }).label;
    const answer = $("target-answer");
    $("target-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      $("target-table").hidden = true;
      answer.replaceChildren(el("p", { class: "busy" }, el("span", { class: "spinner", "aria-hidden": "true" }), t("target_busy")));
      try {
        const level = Number($("target-share").value) / 100;
        const a = await C.api("/decisions/target", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ scenario: run.scenario_id, share: level, by: week.value }) });
        const vars = { level: C.percent(level), week: label(a.week) };
        if (!a.reachable) return C.say(answer, t("target_unreachable", vars), "bad");
        const lines = [t("target_days", { ...vars, days: C.whole(a.days), share: C.percent(a.lp_share) }),
          t(a.target_met ? "target_met" : "target_not_met", { share: C.percent(a.achieved_share) }),
          a.cost_sek === null ? t("target_price_unknown") : t("target_cost", { cost: C.msek(a.cost_sek) })];
        answer.replaceChildren(...lines.map((line, i) => el("p", { class: i === 1 ? (a.target_met ? "ok" : "bad") : null, text: line })));
        const columns = [t("field_hospital_id"), t("field_specialty"), t("days_a_week"), t("theatre_days"), t("cost")];
        const rows = a.purchases.rows.map((r) => [view.names.hospitals[r.hospital_id] || r.hospital_id,
          view.names.specialties[r.specialty] || r.specialty, C.whole(r.days_per_week), C.whole(r.days),
          r.cost_sek === null ? "–" : C.msek(r.cost_sek)]);
        if (rows.length) { table($("target-table"), columns, rows, 2); $("target-table").hidden = false; }
      } catch (error) {
        C.showError(answer, error);
      }
    });
  }

  /** A simulation run's bands: a figure for all regions or the region chosen, and how to read them. */
  async function showSimulation(run, config) {
    const sim = await C.data("/runs/" + encodeURIComponent(runId) + "/simulation");
    const request = run.simulation || {};
    $("simulation").hidden = false;
    document.querySelector("[data-download=bands]").hidden = false;
    const settings = [t("simulation_of", { draws: C.whole(sim.draws) }),
      request.seed === null || request.seed === undefined ? t("seed_random") : t("seed_is", { seed: String(request.seed) }),
      request.replan === "weekly" ? t("replanned_weekly") : t("plan_kept")];
    $("sim-settings").textContent = settings.join(" · ");
    $("sim-read").textContent = sim.how_to_read;
    const region = $("sim-region");
    region.replaceChildren(...sim.choices.map((c) => el("option", { value: c.id, text: c.name })));
    const draw = () => {
      const figure = sim.figures[region.value];
      Plotly.react($("sim-figure"), figure.data, figure.layout, config);
    };
    region.addEventListener("change", draw);
    draw();
  }

  const DOWNLOADS = {
    workbook: () => [C.root + "/ui/data/runs/" + runId + "/workbook.xlsx", runId + "-plan.xlsx"],
    csv: () => [C.root + "/api/v1/runs/" + runId + "/specialty-plan.csv", runId + "-specialty_plan.csv"],
    "plan-csv": () => [C.root + "/api/v1/runs/" + runId + "/integer-plan.csv", runId + "-integer_plan.csv"],
    report: () => [C.root + "/api/v1/runs/" + runId + "/report", runId + "-report.html"],
    bands: () => [C.root + "/api/v1/runs/" + runId + "/simulation-bands.csv", runId + "-simulation_bands.csv"],
  };

  async function poll() {
    try {
      const run = await C.api("/runs/" + encodeURIComponent(runId));
      $("result-name").textContent = run.scenario_name;
      progress(run);
      if (!FINISHED.includes(run.status)) return setTimeout(poll, 700);
      if (run.status === "done") await show(run);
    } catch (error) {
      C.showError($("result-status"), error);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!sessionStorage.getItem("capplan-api-key")) return;
    for (const button of document.querySelectorAll("[data-download]")) {
      button.addEventListener("click", async () => {
        const [url, name] = DOWNLOADS[button.dataset.download]();
        try { await C.download(url, name, $("download-status")); } catch (error) { C.showError($("download-status"), error); }
      });
    }
    poll();
  });
})();
