// capplan web page: what every page shares. The API key lives in sessionStorage (this tab only) and
// goes with every call in X-API-Key, exactly as any other client of the JSON API sends it.
"use strict";
(function () {
  const messages = JSON.parse(document.getElementById("capplan-messages").textContent);
  const root = document.body.dataset.root || "";
  const KEY = "capplan-api-key";
  const lang = messages.lang;

  function t(key, vars) {
    let text = messages.texts[key] ?? key;
    for (const [name, value] of Object.entries(vars || {})) text = text.replaceAll("{" + name + "}", value);
    return text;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.detail) || String(status));
      this.status = status;
      this.body = body || {};
    }
  }

  async function call(url, options = {}) {
    const headers = Object.assign({ "X-API-Key": sessionStorage.getItem(KEY) || "" }, options.headers || {});
    const response = await fetch(url, Object.assign({}, options, { headers }));
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (e) { body = { detail: response.statusText }; }
      throw new ApiError(response.status, body);
    }
    return response;
  }

  /** A call to the JSON API (/api/v1/...); returns the parsed body, or null for 204. */
  async function api(path, options) {
    const response = await call(root + "/api/v1" + path, options);
    return response.status === 204 ? null : response.json();
  }

  /** A call to the page's read-only helpers (/ui/data/...), in the page's language; `body`: POSTed as JSON. */
  async function data(path, body) {
    const sep = path.includes("?") ? "&" : "?";
    const options = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    return (await call(root + "/ui/data" + path + sep + "lang=" + lang, options)).json();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  /** An error in people's words: the message, then every problem as file, row, column: message. */
  function showError(target, error) {
    target.replaceChildren();
    const box = el("div", { class: "error", role: "alert" });
    const problems = (error.body && (error.body.problems || [])) || [];
    const conflicts = (error.body && (error.body.conflicts || [])) || [];
    // with problems listed, the service's own sentence (English) adds nothing: say it in the page's words
    box.append(el("p", { text: problems.length ? t("not_accepted") : t("failed") + ": " + error.message }));
    if (problems.length || conflicts.length) {
      box.append(el("p", { text: t("problems") }));
      const list = el("ul", { class: "problems" });
      for (const p of problems) {
        const where = [p.file, p.row !== null && p.row !== undefined ? t("row") + " " + p.row : null, p.column]
          .filter(Boolean).join(" · ");
        list.append(el("li", {}, el("code", { text: where }), " ", p.message));
      }
      for (const c of conflicts) list.append(el("li", { text: c }));
      box.append(list);
    }
    target.append(box);
  }

  function say(target, text, kind) {
    target.replaceChildren(el("p", { class: kind || "ok", text }));
  }

  const numberFormat = new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB", { maximumFractionDigits: 0 });
  const dateFormat = new Intl.DateTimeFormat(lang === "sv" ? "sv-SE" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
  const whole = (x) => numberFormat.format(Math.round(x));
  const percent = (x) => new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB", { style: "percent", maximumFractionDigits: 1 }).format(x);
  const msek = (x) => new Intl.NumberFormat(lang === "sv" ? "sv-SE" : "en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(x / 1e6) + "\u00a0MSEK";
  const when = (iso) => (iso ? dateFormat.format(new Date(iso)) : "");

  /** Fetch a file with the key and hand it to the browser as a download. */
  async function download(url, filename, statusTarget) {
    const response = await call(url);
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    if (statusTarget) say(statusTarget, t("download_started", { name: filename }));
  }

  /** A run's status in words; a simulation's draws done while it simulates ("3 of 10 draws done"). */
  function runStatus(run) {
    let text = t("status_" + run.status);
    const sim = run.simulation;
    if (sim && run.status === "simulating") text += ": " + t("draws_done", { done: whole(sim.done || 0), draws: whole(sim.draws) });
    return text;
  }

  function signedIn() { return Boolean(sessionStorage.getItem(KEY)); }

  function guard() {
    const signOut = document.getElementById("sign-out");
    signOut.hidden = !signedIn();
    signOut.addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      window.location.href = root + "/";
    });
    if (document.body.dataset.page !== "signin" && !signedIn()) {
      document.getElementById("need-key").hidden = false;
      for (const node of document.querySelectorAll("main > :not(#need-key)")) node.hidden = true;
      return false;
    }
    return true;
  }

  async function signIn(event) {
    event.preventDefault();
    const input = document.getElementById("api-key");
    const status = document.getElementById("signin-status");
    sessionStorage.setItem(KEY, input.value.trim());
    try {
      await api("/datasets?limit=1");
      input.value = "";
      say(status, t("signed_in"));
      document.getElementById("next-steps").hidden = false;
      document.getElementById("sign-out").hidden = false;
    } catch (error) {
      sessionStorage.removeItem(KEY);
      say(status, error.status === 401 || error.status === 403 ? t("key_rejected") : error.message, "bad");
    }
  }

  window.CAPPLAN = { t, api, data, el, runStatus, showError, say, whole, percent, msek, when, download, root, lang, messages, ApiError };

  document.addEventListener("DOMContentLoaded", () => {
    const ok = guard();
    const form = document.getElementById("signin-form");
    if (form) {
      form.addEventListener("submit", signIn);
      if (signedIn()) document.getElementById("next-steps").hidden = false;
    }
    if (ok && document.body.dataset.page === "datasets") datasetsPage();
  });

  // --- datasets -------------------------------------------------------------------------------------

  async function listDatasets() {
    const body = document.querySelector("#datasets-table tbody");
    const page = await api("/datasets");
    body.replaceChildren();
    if (!page.data.length) body.append(el("tr", {}, el("td", { colspan: 7, text: t("none_yet") })));
    for (const d of page.data) {
      const totals = (d.summary && d.summary.totals) || {};
      body.append(el("tr", {},
        el("th", { scope: "row", text: d.name }),
        el("td", { text: d.plan_start }),
        el("td", { class: "num", text: whole(d.summary.hospitals || 0) }),
        el("td", { class: "num", text: whole(totals.waiting || 0) }),
        el("td", { class: "num", text: whole(totals.over_90 || 0) + " (" + percent(totals.share_over_90 || 0) + ")" }),
        el("td", { text: when(d.created_at) }),
        el("td", {}, el("a", { href: root + "/ui/scenario?dataset=" + encodeURIComponent(d.name), text: messages.texts.new_scenario || "→" }))));
    }
  }

  function datasetsPage() {
    const status = document.getElementById("upload-status");
    listDatasets().catch((e) => showError(status, e));
    document.getElementById("upload-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = document.getElementById("upload-file").files[0];
      if (!file) return say(status, t("choose_file"), "bad");
      const form = new FormData();
      form.append("file", file);
      const name = document.getElementById("upload-name").value.trim();
      if (name) form.append("name", name);
      say(status, t("uploading"), "busy");
      try {
        const stored = await api("/datasets", { method: "POST", body: form });
        say(status, t("uploaded", { name: stored.name }));
        await listDatasets();
      } catch (error) {
        showError(status, error);
      }
    });
  }
})();
