// Scenario editor: the form and the YAML show one scenario (`state`, the API's definition dict).
// Form → state → YAML on every edit; YAML → POST /scenarios?dry_run=true → definition → form.
"use strict";
(function () {
  const C = window.CAPPLAN;
  const { t, el } = C;
  const FORM_CHANGES = {
    capacity: [["hospital_id", "hospitals", true], ["specialty", "specialties", false], ["weeks", "weeks"], ["factor", "number", true]],
    extra_capacity: [["hospital_id", "hospitals", true], ["specialty", "specialties", true], ["theatre_days_per_week", "number", true], ["cost_per_day_sek", "number", true], ["weeks", "weeks"]],
    demand: [["procedure_id", "procedures", false], ["region_id", "regions", false], ["factor", "number", true]],
    close_hospital: [["hospital_id", "hospitals", true], ["weeks", "weeks"]],
  };
  let state = {};
  let choices = { hospitals: [], specialties: [], procedures: [], regions: [] };
  let otherChanges = []; // changes the form does not offer (beds, capability): kept as they are
  let counter = 0;
  const $ = (id) => document.getElementById(id);

  // --- YAML text of a plain value ----------------------------------------------------------------
  const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;
  const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~|[-+]?(\d[\d_]*)?(\.\d*)?(e[-+]?\d+)?)$/i;
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  function scalar(v) {
    if (typeof v === "string") return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
    return v === null ? "null" : String(v);
  }
  function mapping(obj, depth) {
    const pad = "  ".repeat(depth);
    const lines = [];
    for (const [key, value] of Object.entries(obj)) {
      if (Array.isArray(value)) {
        if (!value.length) { lines.push(`${pad}${key}: []`); continue; }
        lines.push(`${pad}${key}:`);
        for (const item of value) {
          if (isObject(item)) {
            const inner = mapping(item, depth + 2);
            lines.push(`${pad}  - ${inner[0].trimStart()}`, ...inner.slice(1));
          } else lines.push(`${pad}  - ${scalar(item)}`);
        }
      } else if (isObject(value)) {
        if (!Object.keys(value).length) { lines.push(`${pad}${key}: {}`); continue; }
        lines.push(`${pad}${key}:`, ...mapping(value, depth + 1));
      } else lines.push(`${pad}${key}: ${scalar(value)}`);
    }
    return lines;
  }
  const toYaml = (obj) => mapping(obj, 0).join("\n") + "\n";

  // --- the form ------------------------------------------------------------------------------------
  function weeksText(w) { return !w ? "" : typeof w === "string" ? w : w.first === w.last ? w.first : `${w.first}..${w.last}`; }

  function fieldInput(kind, name, value, id, required) {
    if (kind === "number") return el("input", { id, name, type: "number", step: "any", min: 0, value: value ?? "", required });
    if (kind === "weeks") return el("input", { id, name, type: "text", value: weeksText(value), placeholder: "2025-W26..2025-W32" });
    const select = el("select", { id, name, required });
    if (!required) select.append(el("option", { value: "", text: t("any") }));
    for (const option of choices[kind] || []) select.append(el("option", { value: option.id, text: option.name, selected: option.id === value }));
    if (value && !(choices[kind] || []).some((o) => o.id === value)) select.append(el("option", { value, text: value, selected: true }));
    return select;
  }

  function changeRow(type, body) {
    const n = ++counter;
    const row = el("div", { class: "change", "data-type": type });
    const fields = el("div", { class: "row" });
    for (const [name, kind, required] of FORM_CHANGES[type]) {
      const id = `ch${n}-${name}`;
      fields.append(el("div", {}, el("label", { for: id, text: t("field_" + name) }), fieldInput(kind, name, body[name], id, required)));
    }
    const title = el("h3", { id: `ch${n}-title`, text: t("change_" + type) });
    const remove = el("button", { type: "button", class: "link", "aria-describedby": `ch${n}-title`, text: t("remove"),
      onclick: () => { row.remove(); sync(); } });
    row.append(el("div", { class: "change-head" }, title, remove), fields);
    return row;
  }

  function readChange(row) {
    const body = {};
    for (const input of row.querySelectorAll("input, select")) {
      const value = input.value.trim();
      if (value === "") continue;
      body[input.name] = input.type === "number" ? Number(value) : value;
    }
    return { [row.dataset.type]: body };
  }

  const numberOrNull = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));

  /** Form → state (keeping what the form does not show) → YAML. */
  function sync() {
    state.name = $("sc-name").value.trim();
    state.dataset = $("sc-dataset").value;
    state.start_week = $("sc-start").value.trim();
    state.horizon_weeks = numberOrNull("sc-horizon");
    state.changes = [...document.querySelectorAll("#changes .change")].map(readChange).concat(otherChanges);
    const policy = Object.assign({}, state.policy || {});
    const travel = numberOrNull("pol-max-travel");
    if (travel === null) delete policy.max_travel_km; else policy.max_travel_km = travel;
    policy.local_max_km = numberOrNull("pol-local") ?? 0;
    policy.planned_utilisation = numberOrNull("pol-util") ?? 1;
    policy.fairness = [...document.querySelectorAll(".fairness")]
      .filter((row) => row.querySelector("input[type=checkbox]").checked)
      .map((row) => ({ by: row.dataset.by, share: numberOrNull(`fair-${row.dataset.by}-share`) ?? 1,
        weight: numberOrNull(`fair-${row.dataset.by}-weight`) ?? 1 }));
    if ($("pol-no-worse").checked) policy.no_region_worse_off = true; else delete policy.no_region_worse_off;
    state.policy = policy;
    $("scenario-yaml").value = toYaml(state);
  }

  /** State (a definition from the API) → form. */
  function fill(definition) {
    state = definition;
    $("sc-name").value = state.name || "";
    $("sc-start").value = state.start_week || "";
    $("sc-horizon").value = state.horizon_weeks ?? "";
    if (state.dataset) $("sc-dataset").value = state.dataset;
    const box = $("changes");
    box.replaceChildren();
    otherChanges = [];
    for (const change of state.changes || []) {
      const [type, body] = Object.entries(change)[0];
      if (FORM_CHANGES[type]) box.append(changeRow(type, body)); else otherChanges.push(change);
    }
    const policy = state.policy || {};
    $("pol-max-travel").value = policy.max_travel_km ?? "";
    $("pol-local").value = policy.local_max_km ?? 0;
    $("pol-util").value = policy.planned_utilisation ?? 1;
    $("pol-no-worse").checked = Boolean(policy.no_region_worse_off);
    for (const row of document.querySelectorAll(".fairness")) {
      const entry = (policy.fairness || []).find((f) => f.by === row.dataset.by);
      row.querySelector("input[type=checkbox]").checked = Boolean(entry);
      if (entry) {
        $(`fair-${row.dataset.by}-share`).value = entry.share ?? 1;
        $(`fair-${row.dataset.by}-weight`).value = entry.weight ?? 1;
      }
    }
    $("scenario-yaml").value = toYaml(state);
  }

  async function loadChoices(dataset) {
    choices = await C.data("/datasets/" + encodeURIComponent(dataset) + "/choices");
    return choices;
  }

  async function post(text, dryRun) {
    return C.api("/scenarios" + (dryRun ? "?dry_run=true" : ""), {
      method: "POST", headers: { "Content-Type": "application/yaml" }, body: text });
  }

  async function check(fromYaml) {
    const status = $("scenario-status");
    try {
      const checked = await post($("scenario-yaml").value, true);
      if (fromYaml) {
        if (checked.definition.dataset !== $("sc-dataset").value) await loadChoices(checked.definition.dataset);
        fill(checked.definition);
      }
      C.say(status, t("scenario_valid"));
      return true;
    } catch (error) {
      C.showError(status, error);
      return false;
    }
  }

  async function saveAndRun() {
    const status = $("scenario-status");
    try {
      sync();
      const saved = await post($("scenario-yaml").value, false);
      C.say(status, t("scenario_saved", { name: saved.name }));
      const run = await C.api("/runs", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scenario: saved.id }) });
      window.location.href = C.root + "/ui/runs/" + encodeURIComponent(run.id);
    } catch (error) {
      C.showError(status, error);
    }
  }

  /** `?from=SCENARIO&fairness=region` or `&no_region_worse_off=true` (the comparison page's links): that
   * scenario under a new name, with the setting switched on, ready to check and run. */
  async function openWithFairness(params) {
    const stored = await C.api("/scenarios/" + encodeURIComponent(params.get("from")));
    const definition = structuredClone(stored.definition);
    definition.name = (stored.name + "-fair").slice(0, 100);
    const policy = (definition.policy = definition.policy || {});
    const by = params.get("fairness");
    if (by === "region" || by === "procedure") {
      policy.fairness = (policy.fairness || []).filter((f) => f.by !== by).concat([{ by, share: 1, weight: 1 }]);
    }
    if (params.get("no_region_worse_off") === "true") policy.no_region_worse_off = true;
    $("sc-dataset").value = definition.dataset;
    await loadChoices(definition.dataset);
    fill(definition);
    C.say($("scenario-status"), t("fairness_set", { name: stored.name }), "hint"); // not yet checked: no "ok"
    (by ? $("fair-" + by) : $("pol-no-worse")).focus();
  }

  async function start() {
    const status = $("scenario-status");
    try {
      const datasets = (await C.api("/datasets")).data;
      const select = $("sc-dataset");
      for (const d of datasets) select.append(el("option", { value: d.name, text: d.name }));
      const params = new URLSearchParams(window.location.search);
      const wanted = params.get("dataset");
      const dataset = datasets.find((d) => d.name === wanted) || datasets[0];
      if (!dataset) return C.say(status, t("none_yet"), "bad");
      if (params.get("from")) await openWithFairness(params);
      else {
        await loadChoices(dataset.name);
        fill({ name: "", dataset: dataset.name, start_week: choices.weeks ? choices.weeks.first : "",
          horizon_weeks: 13, changes: [], policy: { local_max_km: 0, planned_utilisation: 1, fairness: [] } });
      }
    } catch (error) {
      C.showError(status, error);
    }
    const form = $("scenario-form");
    form.addEventListener("input", () => { $("scenario-status").replaceChildren(); sync(); }); // an old verdict is stale
    form.addEventListener("change", sync);
    $("sc-dataset").addEventListener("change", async () => {
      await loadChoices($("sc-dataset").value);
      sync();
      fill(state);
    });
    $("add-change").addEventListener("click", () => {
      const row = changeRow($("add-change-type").value, {});
      $("changes").append(row);
      row.querySelector("input, select").focus();
      sync();
    });
    $("scenario-yaml").addEventListener("input", () => C.say($("scenario-status"), t("yaml_changed"), "busy"));
    $("check-yaml").addEventListener("click", () => check(true));
    $("check-scenario").addEventListener("click", () => { sync(); check(false); });
    $("save-run").addEventListener("click", saveAndRun);
    form.setAttribute("data-ready", "true"); // tests wait for it (form.dataset is the field named "dataset")
  }

  document.addEventListener("DOMContentLoaded", () => { if (sessionStorage.getItem("capplan-api-key")) start().catch((e) => console.error(String(e))); });
})();
