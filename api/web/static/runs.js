// Runs: start one, and a list that polls GET /runs every second while any run is unfinished.
"use strict";
(function () {
  const C = window.CAPPLAN;
  const { t, el } = C;
  const FINISHED = ["done", "failed", "cancelled"];
  let timer = null;

  function statusText(run) {
    return C.runStatus(run);
  }

  /** The request's simulation part, or null when the box is not ticked. */
  function simulation() {
    if (!document.getElementById("sim-on").checked) return null;
    const seed = document.getElementById("sim-seed").value.trim();
    return {
      draws: Number(document.getElementById("sim-draws").value || 20),
      seed: seed === "" ? null : Number(seed),
      replan: document.getElementById("sim-replan").checked ? "weekly" : null,
    };
  }

  async function refresh() {
    const body = document.querySelector("#runs-table tbody");
    const runs = (await C.api("/runs?limit=50")).data;
    body.replaceChildren();
    if (!runs.length) body.append(el("tr", {}, el("td", { colspan: 5, text: t("none_yet") })));
    for (const run of runs) {
      const busy = !FINISHED.includes(run.status);
      const seconds = run.elapsed_seconds === null || run.elapsed_seconds === undefined ? "" : t("seconds", { n: C.whole(run.elapsed_seconds) });
      const status = el("td", { class: "status status-" + run.status },
        busy ? el("span", { class: "spinner", "aria-hidden": "true" }) : null, statusText(run),
        run.error ? el("div", { class: "small", text: run.error.message }) : null);
      body.append(el("tr", {},
        el("th", { scope: "row" }, run.scenario_name,
          run.simulation ? el("div", { class: "small-note", text: t("simulation_of", { draws: C.whole(run.simulation.draws) }) }) : null),
        el("td", { text: C.when(run.created_at) }),
        status,
        el("td", { class: "num", text: seconds }),
        el("td", {}, run.status === "done" ? el("a", { href: C.root + "/ui/runs/" + run.id, text: t("open_results") }) : null)));
    }
    clearTimeout(timer);
    if (runs.some((r) => !FINISHED.includes(r.status))) timer = setTimeout(() => refresh().catch(() => {}), 1000);
  }

  async function start() {
    const status = document.getElementById("run-status");
    try {
      const scenarios = (await C.api("/scenarios?limit=200")).data;
      const select = document.getElementById("run-scenario");
      for (const s of scenarios) select.append(el("option", { value: s.id, text: s.name + " (" + s.dataset_name + ")" }));
      await refresh();
    } catch (error) {
      C.showError(status, error);
    }
    document.getElementById("start-run").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const body = { scenario: document.getElementById("run-scenario").value };
        const sim = simulation();
        if (sim) body.simulation = sim;
        const run = await C.api("/runs", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body) });
        C.say(status, t("run_started"));
        window.location.href = C.root + "/ui/runs/" + encodeURIComponent(run.id); // its live progress
      } catch (error) {
        C.showError(status, error);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => { if (sessionStorage.getItem("capplan-api-key")) start(); });
})();
