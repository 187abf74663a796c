// dtsim's page. It computes nothing: every number shown is one the JSON API returned.
//
// Flow: the form is generated from GET /api/schema; every change rebuilds the scenario from
// the inputs, writes the whole view into the URL, and (debounced) asks POST /api/simulate for
// the result, explain steps and warnings, then POST /api/sweep for the charts. A refusal (422)
// is shown at the field it names, and the previous result is cleared, never left standing.
"use strict";

(() => {
  // ------------------------------------------------------------------------------------------
  // Small helpers

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  const sup = (n) => String(n).split("").map((c) => SUPERSCRIPT[c] ?? c).join("");

  /** A number for reading: 3 significant digits, powers of ten above 10^6. */
  function num(x, digits = 3) {
    if (x === null || x === undefined) return "—";
    if (typeof x !== "number") return String(x);
    if (x === 0) return "0";
    const ax = Math.abs(x);
    if (ax >= 1e6 || ax < 1e-3) {
      const [mantissa, exponent] = x.toExponential(digits - 1).split("e");
      return `${Number(mantissa)} × 10${sup(Number(exponent))}`;
    }
    return x.toLocaleString("en-US", { maximumSignificantDigits: digits });
  }
  const usd = (x) => (x === null || x === undefined ? "—" : `$${num(x)}`);
  const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toLocaleString("en-US", { maximumFractionDigits: 1 })} %`);
  const plain = (x) => (x === null || x === undefined ? "—" : typeof x === "number" ? num(x, 4) : String(x));

  /** A number as typed into an input: short, exact enough to round-trip what the user gave. */
  function inputText(value) {
    if (typeof value === "number") {
      const ax = Math.abs(value);
      if (ax !== 0 && (ax >= 1e7 || ax < 1e-4)) return value.toExponential().replace("e+", "e");
      return String(value);
    }
    if (typeof value === "boolean") return value ? "true" : "false";
    if (value !== null && typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const clone = (x) => JSON.parse(JSON.stringify(x));

  function setPath(obj, path, value) {
    const parts = path.split(".");
    let node = obj;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
      node = node[part];
    }
    node[parts[parts.length - 1]] = value;
  }

  /** Save a Blob, or a ``data:`` URL, as a file. */
  function download(filename, content) {
    const href = typeof content === "string" ? content : URL.createObjectURL(content);
    const link = el("a", { href, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    if (typeof content !== "string") setTimeout(() => URL.revokeObjectURL(href), 1000);
  }

  // ------------------------------------------------------------------------------------------
  // The API

  async function post(path, body, signal) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = { detail: `${response.status} ${response.statusText}` };
    }
    return { ok: response.ok, status: response.status, data };
  }

  async function get(path) {
    const response = await fetch(path);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  /** The first problem of a refusal: {path (a scenario field or null), message}. */
  function problemOf(answer, prefix = ["body", "scenario"]) {
    const detail = answer.data && answer.data.detail;
    if (Array.isArray(detail) && detail.length) {
      const loc = detail[0].loc || [];
      const inside = prefix.every((part, i) => loc[i] === part);
      return { path: inside ? loc.slice(prefix.length).join(".") : null, message: detail[0].msg, loc };
    }
    return { path: null, message: typeof detail === "string" ? detail : `error ${answer.status}` };
  }

  const isAbort = (error) => error && error.name === "AbortError";

  // ------------------------------------------------------------------------------------------
  // State

  const SECTION_TITLES = {
    "": "General",
    hardware: "Hardware",
    model: "Model",
    training: "Training",
    network: "Network",
    compression: "Compression",
    pipeline: "Pipeline",
    efficiency: "Efficiency coefficients",
    scaling_law: "Scaling law",
    reporting: "Reporting thresholds",
    reliability: "Reliability (hardware failures)",
  };
  const OPEN_SECTIONS = new Set(["", "hardware", "model", "training", "network"]);
  const DEFAULT_EXAMPLE = "reference-72";
  const SWEEP_DEFAULT = { path: "network.wan.latency_ms", from: "", to: "", count: "21", scale: "log", output: "c_local" };

  const state = {
    schema: [],
    fields: new Map(),
    presets: { hardware: [], examples: {} },
    analyses: [],
    values: {}, // dotted path → the text in its input (given fields only)
    reliability: false, // the reliability layer is on
    pinned: null, // {values, reliability, scenario, sim}
    current: null, // {scenario, sim}: the result of the inputs as they are, or null
    tab: "charts",
    sweep: { ...SWEEP_DEFAULT },
    args: {}, // analysis name → {argument: text}
  };
  const views = {}; // chart name → Vega view (for export)

  // ------------------------------------------------------------------------------------------
  // Scenario ⇄ inputs ⇄ URL

  function typed(field, text) {
    const t = String(text).trim();
    if (t === "") return undefined;
    if (field.choices) {
      const match = field.choices.find((c) => String(c) === t);
      if (match !== undefined) return match;
    }
    switch (field.kind) {
      case "number":
      case "integer":
        return NUMBER.test(t) ? Number(t) : t;
      case "boolean":
        return t === "true" ? true : t === "false" ? false : t;
      case "quality":
        try {
          return JSON.parse(t);
        } catch (_) {
          return t;
        }
      default:
        return t;
    }
  }

  function scenarioOf(values, reliability) {
    const scenario = {};
    for (const [path, text] of Object.entries(values)) {
      const field = state.fields.get(path);
      if (!field) continue;
      if (field.section === "reliability" && !reliability) continue;
      const value = typed(field, text);
      if (value !== undefined) setPath(scenario, path, value);
    }
    if (reliability && !scenario.reliability) scenario.reliability = {};
    return scenario;
  }

  const currentScenario = () => scenarioOf(state.values, state.reliability);

  /** The inputs of a scenario object: {values, reliability}. */
  function valuesOf(scenario) {
    const values = {};
    let reliability = false;
    const walk = (node, prefix) => {
      for (const [key, value] of Object.entries(node)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (path === "reliability") reliability = true;
        if (state.fields.has(path)) values[path] = inputText(value);
        else if (value !== null && typeof value === "object" && !Array.isArray(value)) walk(value, path);
      }
    };
    walk(scenario, "");
    return { values, reliability };
  }

  function writeURL() {
    const params = new URLSearchParams();
    for (const field of state.schema) {
      const text = state.values[field.path];
      if (text !== undefined && text.trim() !== "") params.set(field.path, text.trim());
    }
    if (state.reliability) params.set("reliability", "on");
    if (state.pinned) params.set("pin", JSON.stringify(state.pinned.scenario));
    if (state.tab !== "charts") params.set("tab", state.tab);
    for (const [key, value] of Object.entries(state.sweep)) {
      if (value !== "" && value !== SWEEP_DEFAULT[key]) params.set(`sweep.${key}`, value);
    }
    for (const [name, args] of Object.entries(state.args)) {
      for (const [arg, text] of Object.entries(args)) if (text !== "") params.set(`args.${name}.${arg}`, text);
    }
    const query = params.toString();
    history.replaceState(null, "", query ? `?${query}` : location.pathname);
  }

  /** Read the view from the URL; false when it names no scenario. */
  function readURL() {
    const params = new URLSearchParams(location.search);
    let any = false;
    for (const [key, value] of params) {
      if (state.fields.has(key)) {
        state.values[key] = value;
        any = true;
      } else if (key === "reliability") {
        state.reliability = value === "on";
        any = true;
      } else if (key === "pin") {
        try {
          const scenario = JSON.parse(value);
          const { values, reliability } = valuesOf(scenario);
          state.pinned = { values, reliability, scenario, sim: null };
        } catch (_) {
          state.pinned = null;
        }
      } else if (key === "tab") {
        if (["charts", "analyses", "explain", "compare"].includes(value)) state.tab = value;
      } else if (key.startsWith("sweep.")) {
        const name = key.slice(6);
        if (name in SWEEP_DEFAULT) state.sweep[name] = value;
      } else if (key.startsWith("args.")) {
        const [, name, arg] = key.split(".");
        if (name && arg) (state.args[name] ??= {})[arg] = value;
      }
    }
    return any;
  }

  // ------------------------------------------------------------------------------------------
  // The form

  const inputId = (path) => `f-${path.replace(/[^a-zA-Z0-9_]/g, "-")}`;

  /** A bound as short as it is exact: 1, 0.001, 10⁸, 1.5 × 10¹². */
  function bound(x) {
    const ax = Math.abs(x);
    if (ax === 0 || (ax >= 1e-3 && ax < 1e6)) return x.toLocaleString("en-US", { maximumSignificantDigits: 15 });
    const [mantissa, exponent] = x.toExponential().split("e");
    const power = `10${sup(Number(exponent))}`;
    return mantissa === "1" ? power : mantissa === "-1" ? `-${power}` : `${mantissa} × ${power}`;
  }

  function boundsText(field) {
    const parts = [];
    if (field.low !== null) parts.push(`${field.low_inclusive ? "≥" : ">"} ${bound(field.low)}`);
    if (field.high !== null) parts.push(`${field.high_inclusive ? "≤" : "<"} ${bound(field.high)}`);
    return parts.join(", ");
  }

  function defaultText(field) {
    const revised = state.values.physics === "revised" && field.revised !== null && field.revised !== undefined;
    const value = revised ? field.revised : field.default;
    if (value !== null && value !== undefined) return inputText(value);
    return field.default_text || "";
  }

  function fieldControl(field) {
    const id = inputId(field.path);
    const common = { id, name: field.path, "data-path": field.path, "aria-describedby": `${id}-help ${id}-error` };
    if (field.choices && field.kind !== "quality" && !(field.kind === "integer" || field.kind === "number")) {
      const select = el("select", common, el("option", { value: "" }, "default"));
      for (const choice of field.choices) select.append(el("option", { value: String(choice) }, String(choice)));
      return select;
    }
    const attrs = { ...common, type: "text", spellcheck: "false" };
    if (field.kind === "number" || field.kind === "integer") attrs.inputmode = "decimal";
    if (field.kind === "quality" || (field.choices && field.kind !== "choice")) attrs.list = `${id}-choices`;
    return el("input", attrs);
  }

  function fieldRow(field) {
    const id = inputId(field.path);
    const control = fieldControl(field);
    const unit = field.unit ? el("span", { class: "unit" }, field.unit) : null;
    const leaf = field.path.split(".").pop();
    const row = el(
      "div",
      { class: "field", "data-field": field.path },
      el("label", { for: id, title: `${field.path}: ${field.description}` }, field.label, field.required ? el("span", { class: "required", "aria-hidden": "true" }, " *") : null),
      el("div", { class: "control" }, control, unit),
      el("p", { class: "help", id: `${id}-help` }, el("span", { class: "visually-hidden" }, `${field.description}. `), el("code", {}, leaf), boundsText(field) ? ` ${boundsText(field)}` : ""),
      el("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true }),
    );
    if (control.list !== undefined && control.getAttribute("list")) {
      const list = el("datalist", { id: `${id}-choices` });
      for (const choice of field.choices || []) list.append(el("option", { value: String(choice) }));
      row.append(list);
    }
    control.addEventListener("input", () => onInput(field.path, control.value));
    control.addEventListener("change", () => onInput(field.path, control.value));
    return row;
  }

  function buildForm() {
    const form = $("#form");
    form.replaceChildren();
    const sections = new Map();
    for (const field of state.schema) {
      if (!sections.has(field.section)) sections.set(field.section, []);
      sections.get(field.section).push(field);
    }
    for (const [section, fields] of sections) {
      const details = el("details", { class: "section", "data-section": section, open: OPEN_SECTIONS.has(section) });
      details.append(el("summary", {}, SECTION_TITLES[section] ?? section));
      const body = el("div", { class: "section-body" });
      if (section === "reliability") {
        const toggle = el("input", { type: "checkbox", id: "reliability-on" });
        toggle.addEventListener("change", () => {
          state.reliability = toggle.checked;
          syncForm();
          changed();
        });
        body.append(el("div", { class: "toggle" }, toggle, el("label", { for: "reliability-on" }, "Model hardware failures (the reliability layer)")));
      }
      let group = null;
      for (const field of fields) {
        const parts = field.path.split(".");
        const sub = parts.length > 2 ? parts.slice(1, -1).join(".") : null;
        if (sub !== group) {
          group = sub;
          if (sub) body.append(el("h4", { class: "subgroup" }, sub.replace(/_/g, " ")));
        }
        body.append(fieldRow(field));
      }
      details.append(body);
      form.append(details);
    }
  }

  /** Put the state into the inputs (after an example, a preset, a link). */
  function syncForm() {
    for (const field of state.schema) {
      const control = document.getElementById(inputId(field.path));
      if (!control) continue;
      const text = state.values[field.path] ?? "";
      if (control.value !== text) control.value = text;
      control.placeholder = defaultText(field);
      control.disabled = field.section === "reliability" && !state.reliability;
    }
    const toggle = $("#reliability-on");
    if (toggle) toggle.checked = state.reliability;
    const physics = state.values.physics || "seed";
    for (const radio of $$('input[name="physics-switch"]')) radio.checked = radio.value === physics;
    $("#preset").value = state.values["hardware.preset"] || "";
    markChanged();
  }

  function onInput(path, text) {
    if ((state.values[path] ?? "") === text) return; // a "change" after "input": nothing new
    if (text === "") delete state.values[path];
    else state.values[path] = text;
    if (path === "physics") syncForm();
    if (path === "hardware.preset") $("#preset").value = text;
    if (path === "physics") for (const radio of $$('input[name="physics-switch"]')) radio.checked = radio.value === (text || "seed");
    changed();
  }

  /** Inputs that differ from the pinned scenario A. */
  function markChanged() {
    for (const row of $$(".field")) {
      const path = row.dataset.field;
      const differs = state.pinned ? (state.pinned.values[path] ?? "") !== (state.values[path] ?? "") : false;
      row.classList.toggle("changed", differs);
    }
  }

  function clearFieldErrors() {
    for (const node of $$(".field-error")) {
      if (node.id === "sweep-problem") continue;
      node.hidden = true;
      node.textContent = "";
    }
    for (const node of $$("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  function showFieldError(path, message) {
    const control = path ? document.getElementById(inputId(path)) : null;
    if (!control) return false;
    control.setAttribute("aria-invalid", "true");
    const note = document.getElementById(`${inputId(path)}-error`);
    note.textContent = message;
    note.hidden = false;
    const section = control.closest("details");
    if (section) section.open = true;
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Recompute

  let timer = null;
  let generation = 0;
  let controller = null;

  /** ``body[data-busy]``: "true" from an input change until its answers are all shown. */
  const busy = (flag) => {
    document.body.dataset.busy = String(flag);
  };

  function changed() {
    writeURL();
    markChanged();
    busy(true);
    clearTimeout(timer);
    setStatus("Computing…", "busy");
    timer = setTimeout(recompute, 250);
  }

  function setStatus(text, kind = "") {
    const status = $("#status");
    status.textContent = text;
    status.dataset.kind = kind;
  }

  async function simulate(scenario, signal) {
    return post("/api/simulate", { scenario, explain: true }, signal);
  }

  async function recompute() {
    const mine = ++generation;
    if (controller) controller.abort();
    controller = new AbortController();
    const { signal } = controller;
    const scenario = currentScenario();
    const started = performance.now();
    let answer;
    try {
      answer = await simulate(scenario, signal);
    } catch (error) {
      if (!isAbort(error)) {
        setStatus(`No answer from the server: ${error.message}`, "error");
        busy(false);
      }
      return;
    }
    if (mine !== generation) return;
    clearFieldErrors();
    const problem = $("#problem");
    if (!answer.ok) {
      state.current = null;
      const { path, message } = problemOf(answer);
      const inline = showFieldError(path, message);
      problem.textContent = `No result for these inputs: ${message}`;
      problem.hidden = false;
      setStatus(inline ? "Invalid input: see the marked field" : "Invalid input", "error");
      renderAll();
      busy(false);
      return;
    }
    problem.hidden = true;
    state.current = { scenario, sim: answer.data };
    setStatus(`Updated · ${Math.round(performance.now() - started)} ms`, "ok");
    renderAll();
    await Promise.all([refreshSweeps(mine, signal), refreshAnalyses(mine)]);
    if (mine === generation) busy(false);
  }

  function renderAll() {
    renderCards();
    renderWarnings();
    renderSmallCharts();
    renderExplain();
    renderCompare();
    if (!state.current) {
      for (const name of ["nodes", "bandwidth", "sweep"]) clearChart(name, "No result for the current inputs.");
      for (const out of $$(".analysis-output")) out.replaceChildren();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Cards

  const CARDS = [
    { key: "c_actual", label: "C actual", unit: "FLOP", format: num, help: "Training FLOP spent: 6 · parameters · tokens" },
    { key: "c_local", label: "C local", unit: "FLOP", format: num, help: "FLOP a single-site run would need for the same model quality (C actual · η)" },
    { key: "c_quality", label: "C quality", unit: "FLOP", format: num, help: "C local discounted for a model size away from the compute-optimal one" },
    { key: "strict_threshold_multiple", label: "Multiple of threshold", unit: "×", format: (x) => num(x), help: "C local over the training-compute threshold (reporting.strict_threshold_flop, 10²⁴ FLOP by default)", dynamic: () => `Multiple of ${bound(valueOr("reporting.strict_threshold_flop") ?? 1e24)} FLOP` },
    { key: "cost_usd", label: "Hardware cost", unit: "USD", format: usd, help: "Nodes × node cost" },
    { key: "wall_clock_days", label: "Wall-clock", unit: "days", format: (x) => num(x), help: "Days from start to end of training" },
    { key: "bottleneck", label: "Bottleneck", unit: "", format: plain, help: "communication when a synchronisation outlasts the compute block it overlaps" },
    { key: "compute_utilization", label: "Compute utilisation", unit: "", format: pct, help: "Share of wall-clock time the accelerators spend in inner steps" },
  ];

  function buildCards() {
    const cards = $("#cards");
    cards.replaceChildren();
    for (const card of CARDS) {
      cards.append(
        el(
          "div",
          { class: "card", role: "group", "aria-labelledby": `card-${card.key}-label`, "data-key": card.key, title: card.help },
          el("div", { class: "card-label", id: `card-${card.key}-label` }, card.label, card.unit && card.unit !== "×" ? el("span", { class: "unit" }, ` ${card.unit}`) : null),
          el("div", { class: "card-value", "data-value": "" }, "—"),
          el("div", { class: "card-compare" }),
        ),
      );
    }
  }

  function ratioText(a, b) {
    if (typeof a !== "number" || typeof b !== "number") return a === b ? "same" : "differs";
    if (a === b) return "same";
    if (a === 0) return "—";
    const r = b / a;
    const change = (r - 1) * 100;
    return Math.abs(change) < 1000 ? `${change > 0 ? "+" : ""}${change.toLocaleString("en-US", { maximumFractionDigits: 1 })} %` : `× ${num(r)}`;
  }

  function renderCards() {
    const B = state.current ? state.current.sim.result : null;
    const A = state.pinned && state.pinned.sim ? state.pinned.sim.result : null;
    $("#cards").classList.toggle("stale", !B);
    for (const card of CARDS) {
      const node = $(`.card[data-key="${card.key}"]`);
      if (card.dynamic) $(".card-label", node).textContent = card.dynamic();
      const value = $(".card-value", node);
      const raw = B ? B[card.key] : null;
      value.textContent = B ? card.format(raw) : "—";
      value.dataset.value = raw === null || raw === undefined ? "" : String(raw);
      node.classList.toggle("alert", card.key === "bottleneck" && raw === "communication");
      const compare = $(".card-compare", node);
      compare.replaceChildren();
      if (A) {
        compare.append(el("span", { class: "a" }, `A ${card.format(A[card.key])}`));
        if (B) compare.append(el("span", { class: "delta" }, ratioText(A[card.key], raw)));
      }
    }
  }

  function renderWarnings() {
    const list = $("#warnings");
    list.replaceChildren();
    if (!state.current) return;
    for (const warning of state.current.sim.warnings) list.append(el("li", {}, warning));
  }

  // ------------------------------------------------------------------------------------------
  // Charts

  const COLORS = { c_actual: "#8c8c8c", c_local: "#1f6fb2", c_quality: "#d9822b" };
  const THRESHOLDS = [1e24, 1e25, 1e26, 1e27];

  function clearChart(name, message) {
    const node = $(`[data-chart="${name}"]`);
    if (!node) return;
    if (views[name]) {
      views[name].finalize();
      delete views[name];
    }
    node.replaceChildren(el("p", { class: "empty" }, message));
  }

  async function draw(name, spec, title) {
    const node = $(`[data-chart="${name}"]`);
    const target = el("div", { class: "vega" });
    const previous = views[name];
    const result = await window.vegaEmbed(target, spec, { actions: false, renderer: "svg", ast: true });
    if (previous) previous.finalize();
    views[name] = result.view;
    const tools = el(
      "div",
      { class: "chart-tools" },
      el("button", { type: "button", "aria-label": `Download ${title} as SVG`, onclick: () => exportChart(name, "svg") }, "SVG"),
      el("button", { type: "button", "aria-label": `Download ${title} as PNG`, onclick: () => exportChart(name, "png") }, "PNG"),
    );
    node.replaceChildren(target, tools);
  }

  async function exportChart(name, format) {
    const view = views[name];
    if (!view) return;
    if (format === "svg") {
      download(`dtsim-${name}.svg`, new Blob([await view.toSVG()], { type: "image/svg+xml" }));
    } else {
      download(`dtsim-${name}.png`, await view.toImageURL("png", 2));
    }
  }

  const BASE = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    autosize: { type: "fit-x", contains: "padding" },
    background: "transparent",
    config: {
      font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e6e8eb" },
      legend: { labelFontSize: 11, titleFontSize: 11, orient: "bottom" },
      view: { stroke: null },
    },
  };

  function renderSmallCharts() {
    const B = state.current ? state.current.sim : null;
    const A = state.pinned && state.pinned.sim ? state.pinned.sim : null;
    if (!B) {
      clearChart("eta", "—");
      clearChart("time", "—");
      return;
    }
    const runs = A ? [["A", A], ["B", B]] : [["B", B]];
    const factors = [
      ["eta_h", "η_H (sync interval)"],
      ["eta_compression", "η compression"],
      ["eta_replicas", "η replicas"],
      ["eta_activation", "η activation"],
      ["eta_mitigation", "η mitigation"],
      ["eta", "η (product)"],
      ["eta_chinchilla", "χ Chinchilla"],
    ];
    const eta = [];
    for (const [run, sim] of runs) {
      for (const [key, label] of factors) {
        const value = sim.result[key];
        if (typeof value === "number") eta.push({ factor: label, value, run, text: value.toFixed(3) });
      }
    }
    const order = factors.map((f) => f[1]);
    const compare = runs.length > 1;
    draw(
      "eta",
      {
        ...BASE,
        height: (eta.length / runs.length) * (compare ? 26 : 17),
        data: { values: eta },
        encoding: {
          y: { field: "factor", type: "nominal", sort: order, title: null },
          x: { field: "value", type: "quantitative", scale: { domain: [0, 1.12], nice: false }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1] }, title: null },
          ...(compare ? { yOffset: { field: "run" }, color: { field: "run", title: "Scenario", scale: { range: ["#9aa5b1", "#1f6fb2"] } } } : { color: { value: "#1f6fb2" } }),
        },
        layer: [
          { mark: { type: "bar", cornerRadiusEnd: 2 } },
          { mark: { type: "text", align: "left", dx: 3, fontSize: 10, color: "#333" }, encoding: { text: { field: "text" }, color: { value: "#333" } } },
        ],
      },
      "the efficiency factors",
    );

    const time = [];
    for (const [run, sim] of runs) {
      const step = sim.explain.find((s) => s.name === "outer_step_s");
      if (!step) continue;
      const parts = [
        ["compute (H inner steps)", step.symbols.compute_block_s],
        ["synchronisation", step.symbols.sync_block_s],
        ["outer step", step.value],
      ];
      for (const [part, seconds] of parts) if (typeof seconds === "number") time.push({ part, seconds, run });
    }
    // Shown in the unit that suits the longest bar: seconds, minutes or hours.
    const longest = Math.max(0, ...time.map((t) => t.seconds));
    const [unit, per] = longest < 120 ? ["seconds", 1] : longest < 7200 ? ["minutes", 60] : ["hours", 3600];
    for (const t of time) {
      t.amount = t.seconds / per;
      t.text = `${num(t.amount)} ${unit === "seconds" ? "s" : unit === "minutes" ? "min" : "h"}`;
    }
    if (!time.length) {
      clearChart("time", "No outer step for this strategy.");
      return;
    }
    draw(
      "time",
      {
        ...BASE,
        height: (time.length / runs.length) * (compare ? 30 : 22),
        data: { values: time },
        encoding: {
          y: { field: "part", type: "nominal", sort: ["compute (H inner steps)", "synchronisation", "outer step"], title: null },
          x: { field: "amount", type: "quantitative", title: `${unit} per outer step`, axis: { tickCount: 6 }, scale: { domain: [0, (longest / per) * 1.25 || 1], nice: false } },
          ...(compare ? { yOffset: { field: "run" }, color: { field: "run", title: "Scenario", scale: { range: ["#9aa5b1", "#d9822b"] } } } : { color: { value: "#d9822b" } }),
        },
        layer: [
          { mark: { type: "bar", cornerRadiusEnd: 2 } },
          { mark: { type: "text", align: "left", dx: 3, fontSize: 10 }, encoding: { text: { field: "text" }, color: { value: "#333" } } },
        ],
      },
      "the time breakdown",
    );
  }

  /** Sweep one scenario; rows {x, measure, value, run}. */
  async function sweepRows(scenario, axis, outputs, run, signal) {
    const answer = await post("/api/sweep", { scenario, axes: [axis], outputs }, signal);
    if (!answer.ok) return { problem: problemOf(answer, ["body"]) };
    const columns = answer.data.columns;
    const xs = columns[axis.path];
    const rows = [];
    for (const key of outputs) {
      xs.forEach((x, i) => {
        const value = columns[key][i];
        if (value !== null) rows.push({ x, measure: key, value, run });
      });
    }
    return { rows };
  }

  async function compareRows(axis, outputs, signal) {
    const runs = [["B", state.current.scenario]];
    if (state.pinned && state.pinned.sim) runs.unshift(["A", state.pinned.scenario]);
    const parts = await Promise.all(runs.map(([run, scenario]) => sweepRows(scenario, axis, outputs, run, signal)));
    const failed = parts.find((p) => p.problem);
    if (failed) return { problem: failed.problem };
    return { rows: parts.flatMap((p) => p.rows), compare: runs.length > 1 };
  }

  function computeChart(rows, compare, xTitle, current, extra = []) {
    // The data set the y range (a decade of margin); the threshold lines inside it are drawn.
    const values = rows.map((r) => r.value).filter((v) => v > 0);
    const low = values.length ? 10 ** Math.floor(Math.log10(Math.min(...values)) - 0.3) : 1e22;
    const high = values.length ? 10 ** Math.ceil(Math.log10(Math.max(...values)) + 0.3) : 1e28;
    const thresholds = THRESHOLDS.filter((t) => t >= low && t <= high).map((t) => ({ t, label: `10${sup(Math.log10(t))}` }));
    const layers = [
      {
        data: { values: thresholds },
        mark: { type: "rule", strokeDash: [2, 3], color: "#b0b6bd" },
        encoding: { y: { field: "t", type: "quantitative" } },
      },
      {
        data: { values: thresholds },
        mark: { type: "text", align: "left", baseline: "bottom", dx: 2, fontSize: 10, color: "#7b838c" },
        encoding: { y: { field: "t", type: "quantitative" }, x: { value: 0 }, text: { field: "label" } },
      },
      {
        data: { values: rows },
        mark: { type: "line", point: { size: 18 } },
        encoding: {
          x: { field: "x", type: "quantitative", scale: { type: "log" }, title: xTitle },
          y: { field: "value", type: "quantitative", scale: { type: "log", domain: [low, high] }, title: "FLOP", axis: { format: ".0e" } },
          color: { field: "measure", title: "Measure", scale: { domain: Object.keys(COLORS), range: Object.values(COLORS) } },
          ...(compare ? { strokeDash: { field: "run", title: "Scenario", scale: { domain: ["A", "B"], range: [[4, 3], [1, 0]] } } } : {}),
          tooltip: [
            { field: "run", title: "scenario" },
            { field: "measure" },
            { field: "x", title: xTitle, format: ",.4~g" },
            { field: "value", title: "FLOP", format: ".3e" },
          ],
        },
      },
      ...extra,
    ];
    if (current !== null && current !== undefined) {
      layers.push({
        data: { values: [{ x: current }] },
        mark: { type: "rule", color: "#333", strokeWidth: 1 },
        encoding: { x: { field: "x", type: "quantitative" } },
      });
    }
    return { ...BASE, height: 260, layer: layers, resolve: { scale: { color: "shared" } } };
  }

  const valueOr = (path) => {
    const field = state.fields.get(path);
    const value = typed(field, state.values[path] ?? "");
    return typeof value === "number" ? value : typeof field.default === "number" ? field.default : null;
  };

  async function refreshSweeps(mine, signal) {
    if (!state.current) return;
    const outputs = ["c_actual", "c_local", "c_quality"];
    try {
      const nodes = await compareRows({ path: "nodes", values: "log:1:100000:41" }, outputs, signal);
      if (mine !== generation) return;
      if (nodes.problem) clearChart("nodes", nodes.problem.message);
      else await draw("nodes", computeChart(nodes.rows, nodes.compare, "nodes", valueOr("nodes")), "compute vs nodes");
      const bandwidth = await compareRows({ path: "network.wan.bandwidth_mbps", values: "log:1:100000:41" }, outputs, signal);
      if (mine !== generation) return;
      if (bandwidth.problem) clearChart("bandwidth", bandwidth.problem.message);
      else await draw("bandwidth", computeChart(bandwidth.rows, bandwidth.compare, "WAN bandwidth (Mbps)", valueOr("network.wan.bandwidth_mbps")), "compute vs bandwidth");
      await refreshCustomSweep(mine, signal);
    } catch (error) {
      if (!isAbort(error)) throw error;
    }
  }

  // -- the sweep of any field

  function sweepFields() {
    return state.schema.filter((f) => f.sweepable && ["number", "integer", "choice", "boolean"].includes(f.kind));
  }

  function defaultRange(field) {
    const value = valueOr(field.path);
    const low = field.low ?? -Infinity;
    const high = field.high ?? Infinity;
    if (low >= 0 && high <= 1) return { from: Math.max(low, 0.05), to: high, scale: "linear" };
    const centre = value && value > 0 ? value : 1;
    const from = Math.max(centre / 10, low > 0 ? low : centre / 10);
    const to = Math.min(centre * 10, high);
    return { from, to, scale: from > 0 ? "log" : "linear" };
  }

  function buildSweepControls() {
    const select = $("#sweep-path");
    for (const field of sweepFields()) select.append(el("option", { value: field.path }, `${field.path}${field.unit ? ` (${field.unit})` : ""}`));
    const output = $("#sweep-output");
    const keys = ["c_local", "c_quality", "c_actual", "eta", "wall_clock_days", "cost_usd", "compute_utilization", "inner_steps", "sync_s", "step_compute_s", "tokens", "params", "strict_threshold_multiple", "overtraining_ratio", "eta_h", "eta_replicas", "eta_chinchilla"];
    for (const key of keys) output.append(el("option", { value: key }, key));
    const controls = { path: select, from: $("#sweep-from"), to: $("#sweep-to"), count: $("#sweep-count"), scale: $("#sweep-scale"), output };
    for (const [key, control] of Object.entries(controls)) {
      control.value = state.sweep[key];
      control.addEventListener("change", () => {
        state.sweep[key] = control.value;
        if (key === "path") {
          state.sweep.from = "";
          state.sweep.to = "";
          state.sweep.scale = "log";
          fillSweepRange();
        }
        writeURL();
        refreshCustomSweep(generation, undefined);
      });
    }
    fillSweepRange();
  }

  function fillSweepRange() {
    const field = state.fields.get(state.sweep.path);
    const numeric = field && (field.kind === "number" || field.kind === "integer");
    for (const id of ["#sweep-from", "#sweep-to", "#sweep-count", "#sweep-scale"]) $(id).disabled = !numeric;
    if (!numeric) return;
    const range = defaultRange(field);
    $("#sweep-from").placeholder = inputText(Number(range.from.toPrecision(3)));
    $("#sweep-to").placeholder = inputText(Number(range.to.toPrecision(3)));
    $("#sweep-from").value = state.sweep.from;
    $("#sweep-to").value = state.sweep.to;
    if (!state.sweep.from && !state.sweep.to) $("#sweep-scale").value = state.sweep.scale = range.scale;
  }

  function sweepAxis() {
    const field = state.fields.get(state.sweep.path);
    if (!field) return null;
    if (field.kind === "choice" || field.kind === "boolean") return { path: field.path, values: field.choices };
    const from = state.sweep.from || $("#sweep-from").placeholder;
    const to = state.sweep.to || $("#sweep-to").placeholder;
    const count = state.sweep.count || "21";
    if (state.sweep.scale === "log") return { path: field.path, values: `log:${from}:${to}:${count}` };
    const n = Number(count);
    const step = n > 1 ? (Number(to) - Number(from)) / (n - 1) : 1;
    return { path: field.path, values: `range:${from}:${to}:${step}` };
  }

  async function refreshCustomSweep(mine, signal) {
    const problem = $("#sweep-problem");
    problem.hidden = true;
    if (!state.current) return;
    const axis = sweepAxis();
    if (!axis) return;
    const output = state.sweep.output;
    let result;
    try {
      result = await compareRows(axis, [output], signal);
    } catch (error) {
      if (isAbort(error)) return;
      throw error;
    }
    if (mine !== generation) return;
    if (result.problem) {
      problem.textContent = result.problem.message;
      problem.hidden = false;
      clearChart("sweep", "No sweep for these settings.");
      return;
    }
    const field = state.fields.get(axis.path);
    const categorical = !Array.isArray(axis.values) ? false : true;
    const values = result.rows.map((r) => r.value).filter((v) => typeof v === "number");
    const positive = values.length && values.every((v) => v > 0);
    const logY = positive && Math.max(...values) / Math.min(...values) > 100;
    const xTitle = `${field.path}${field.unit ? ` (${field.unit})` : ""}`;
    const lowest = values.length ? Math.min(...values) : 0;
    const highest = values.length ? Math.max(...values) : 1;
    const flat = lowest === highest;
    const yScale = logY ? { type: "log" } : flat ? { domain: [lowest - (Math.abs(lowest) || 1) * 0.1, highest + (Math.abs(highest) || 1) * 0.1] } : { zero: false };
    const big = Math.max(Math.abs(lowest), Math.abs(highest)) >= 1e5;
    const encoding = {
      y: { field: "value", type: "quantitative", title: output, scale: yScale, axis: { format: logY ? ".0e" : big ? ".3~e" : ".4~g" } },
      tooltip: [{ field: "run", title: "scenario" }, { field: "x", title: field.path }, { field: "value", title: output, format: ".4~g" }],
    };
    const compare = result.compare;
    let spec;
    if (categorical) {
      spec = {
        ...BASE,
        height: 240,
        data: { values: result.rows.map((r) => ({ ...r, x: String(r.x) })) },
        mark: { type: "bar" },
        encoding: {
          ...encoding,
          x: { field: "x", type: "nominal", title: xTitle, sort: null, axis: { labelAngle: 0 } },
          ...(compare ? { xOffset: { field: "run" }, color: { field: "run", title: "Scenario", scale: { range: ["#9aa5b1", "#1f6fb2"] } } } : { color: { value: "#1f6fb2" } }),
        },
      };
    } else {
      const current = valueOr(field.path);
      spec = {
        ...BASE,
        height: 240,
        layer: [
          {
            data: { values: result.rows },
            mark: { type: "line", point: { size: 18 } },
            encoding: {
              ...encoding,
              x: { field: "x", type: "quantitative", title: xTitle, scale: state.sweep.scale === "log" ? { type: "log" } : { zero: false } },
              color: { value: "#1f6fb2" },
              ...(compare ? { strokeDash: { field: "run", title: "Scenario", scale: { domain: ["A", "B"], range: [[4, 3], [1, 0]] } } } : {}),
            },
          },
          ...(current !== null
            ? [{ data: { values: [{ x: current }] }, mark: { type: "rule", color: "#333" }, encoding: { x: { field: "x", type: "quantitative" } } }]
            : []),
        ],
      };
    }
    await draw("sweep", spec, `the sweep of ${field.path}`);
  }

  // ------------------------------------------------------------------------------------------
  // Analyses

  const ANALYSIS_PANELS = [
    { name: "nodes_for_target", title: "Nodes for a compute target", question: "How many nodes does this setup need to reach a given compute?", prefill: { target: "1e25" } },
    { name: "cheapest_config", title: "Cheapest configuration", question: "Which configuration reaches the target at the lowest cost?", prefill: { target: "1e25" } },
  ];

  function argumentValue(text) {
    const t = text.trim();
    if (t === "") return undefined;
    try {
      return JSON.parse(t);
    } catch (_) {
      return t;
    }
  }

  function analysisPanel(panel) {
    const info = state.analyses.find((a) => a.name === panel.name);
    const box = el("section", { class: "analysis", "data-analysis": panel.name, "aria-labelledby": `an-${panel.name}` });
    box.append(el("h3", { id: `an-${panel.name}` }, panel.title), el("p", { class: "question" }, panel.question));
    if (!info) {
      box.append(el("p", { class: "hint" }, `This version of dtsim has no ${panel.name} analysis.`));
      return box;
    }
    box.append(el("p", { class: "hint" }, info.summary.replace(/``/g, "")));
    const args = (state.args[panel.name] ??= {});
    for (const [arg, text] of Object.entries(panel.prefill || {})) if (args[arg] === undefined && info.arguments.some((a) => a.name === arg)) args[arg] = text;
    const form = el("div", { class: "analysis-args" });
    for (const arg of info.arguments) {
      if (arg.scenario) {
        form.append(el("p", { class: "uses" }, `${arg.name}: the scenario on the left`));
        continue;
      }
      const id = `an-${panel.name}-${arg.name}`;
      const input = el("input", { id, type: "text", value: args[arg.name] ?? "", placeholder: arg.required ? "required" : inputText(arg.default), spellcheck: "false", "data-arg": arg.name });
      input.addEventListener("input", () => {
        args[arg.name] = input.value;
        writeURL();
      });
      input.addEventListener("change", () => runAnalysis(panel.name));
      form.append(el("label", { for: id }, arg.name), input);
    }
    const run = el("button", { type: "button", class: "run", onclick: () => runAnalysis(panel.name) }, "Run");
    box.append(form, run, el("p", { class: "field-error", role: "alert", hidden: true }), el("div", { class: "analysis-output", "aria-live": "polite" }));
    return box;
  }

  function buildAnalyses() {
    const root = $("#analyses");
    root.replaceChildren(...ANALYSIS_PANELS.map(analysisPanel));
    const others = state.analyses.filter((a) => !ANALYSIS_PANELS.some((p) => p.name === a.name));
    if (others.length) {
      const select = el("select", { id: "other-analysis" }, el("option", { value: "" }, "Choose…"), ...others.map((a) => el("option", { value: a.name }, a.name)));
      const holder = el("div", { id: "other-analysis-panel" });
      select.addEventListener("change", () => {
        holder.replaceChildren();
        if (select.value) holder.append(analysisPanel({ name: select.value, title: select.value, question: "" }));
      });
      root.append(el("section", { class: "analysis other" }, el("h3", {}, "Other analyses"), el("p", { class: "question" }, el("label", { for: "other-analysis" }, "Analysis "), select), holder));
    }
  }

  function showValue(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") return num(value, 4);
    if (typeof value === "object") return el("pre", {}, JSON.stringify(value, null, 1));
    return String(value);
  }

  async function runAnalysis(name) {
    const box = $(`.analysis[data-analysis="${name}"]`);
    if (!box) return;
    const info = state.analyses.find((a) => a.name === name);
    const output = $(".analysis-output", box);
    const error = $(".field-error", box);
    error.hidden = true;
    if (!state.current) {
      output.replaceChildren(el("p", { class: "hint" }, "No result for the current inputs."));
      return;
    }
    const args = {};
    for (const arg of info.arguments) {
      if (arg.scenario) args[arg.name] = state.current.scenario;
      else {
        const value = argumentValue(state.args[name]?.[arg.name] ?? "");
        if (value !== undefined) args[arg.name] = value;
      }
    }
    output.replaceChildren(el("p", { class: "hint" }, "Running…"));
    const answer = await post(`/api/analyze/${name}`, { args });
    if (!answer.ok) {
      error.textContent = problemOf(answer, ["body"]).message;
      error.hidden = false;
      output.replaceChildren();
      return;
    }
    const table = el("table", { class: "kv" });
    for (const [key, value] of Object.entries(answer.data)) table.append(el("tr", {}, el("th", { scope: "row" }, key), el("td", { "data-key": key, "data-value": typeof value === "number" ? String(value) : "" }, showValue(value))));
    output.replaceChildren(table);
    if (Number.isInteger(answer.data.nodes)) {
      output.append(
        el("button", {
          type: "button",
          class: "use",
          onclick: () => {
            state.values.nodes = String(answer.data.nodes);
            syncForm();
            changed();
          },
        }, `Use ${answer.data.nodes.toLocaleString("en-US")} nodes`),
      );
    }
  }

  async function refreshAnalyses(mine) {
    if (state.tab !== "analyses" || mine !== generation) return;
    const runs = [];
    for (const box of $$(".analysis[data-analysis]")) {
      const name = box.dataset.analysis;
      const info = state.analyses.find((a) => a.name === name);
      if (!info) continue;
      const ready = info.arguments.every((a) => a.scenario || !a.required || (state.args[name]?.[a.name] ?? "") !== "");
      if (ready) runs.push(runAnalysis(name));
    }
    await Promise.all(runs);
  }

  // ------------------------------------------------------------------------------------------
  // Explain and compare

  function renderExplain() {
    const body = $("#explain tbody");
    body.replaceChildren();
    if (!state.current) {
      body.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No result for the current inputs.")));
      return;
    }
    const filter = $("#explain-filter").value.trim().toLowerCase();
    for (const step of state.current.sim.explain) {
      const text = `${step.name} ${step.formula} ${step.source}`.toLowerCase();
      if (filter && !text.includes(filter)) continue;
      const symbols = Object.entries(step.symbols).map(([k, v]) => el("div", {}, el("code", {}, k), ` = ${typeof v === "number" ? num(v, 4) : JSON.stringify(v)}`));
      body.append(
        el(
          "tr",
          { "data-step": step.name },
          el("th", { scope: "row" }, el("code", {}, step.name)),
          el("td", { class: "formula" }, step.formula.replace(/``/g, "")),
          el("td", { class: "symbols" }, symbols),
          el("td", { class: "value", title: String(step.value) }, typeof step.value === "number" ? num(step.value, 4) : String(step.value)),
          el("td", {}, step.unit),
          el("td", { class: "source" }, step.source.replace(/``/g, "")),
        ),
      );
    }
  }

  function renderCompare() {
    const body = $("#compare tbody");
    body.replaceChildren();
    const A = state.pinned && state.pinned.sim ? state.pinned.sim.result : null;
    const B = state.current ? state.current.sim.result : null;
    $("#compare-hint").hidden = Boolean(A);
    if (!A) return;
    for (const key of Object.keys(A)) {
      const a = A[key];
      const b = B ? B[key] : null;
      const differs = B && JSON.stringify(a) !== JSON.stringify(b);
      body.append(
        el(
          "tr",
          { class: differs ? "differs" : "", "data-key": key },
          el("th", { scope: "row" }, el("code", {}, key)),
          el("td", { "data-value": a === null ? "" : String(a) }, plain(a)),
          el("td", { "data-value": b === null ? "" : String(b) }, B ? plain(b) : "—"),
          el("td", {}, B ? ratioText(a, b) : "—"),
        ),
      );
    }
  }

  async function pin() {
    if (!state.current) return;
    state.pinned = { values: { ...state.values }, reliability: state.reliability, scenario: clone(state.current.scenario), sim: state.current.sim };
    $("#unpin").hidden = false;
    document.body.classList.add("comparing");
    changed();
  }

  function unpin() {
    state.pinned = null;
    $("#unpin").hidden = true;
    document.body.classList.remove("comparing");
    changed();
  }

  async function loadPinned() {
    if (!state.pinned) return;
    const answer = await simulate(state.pinned.scenario);
    if (answer.ok) {
      state.pinned.sim = answer.data;
      $("#unpin").hidden = false;
      document.body.classList.add("comparing");
    } else state.pinned = null;
  }

  // ------------------------------------------------------------------------------------------
  // Toolbar

  function showTab(tab) {
    state.tab = tab;
    for (const button of $$('[role="tab"]')) {
      const selected = button.dataset.tab === tab;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      document.getElementById(button.getAttribute("aria-controls")).hidden = !selected;
    }
    for (const view of Object.values(views)) view.resize().runAsync();
  }

  function applyScenario(scenario) {
    const { values, reliability } = valuesOf(scenario);
    state.values = values;
    state.reliability = reliability;
    syncForm();
    changed();
  }

  async function exportFile(what, format) {
    $("#export-menu").open = false;
    const answer = await post("/api/export", { scenario: currentScenario(), what, format });
    if (!answer.ok) {
      const problem = $("#problem");
      problem.textContent = `Cannot export: ${problemOf(answer).message}`;
      problem.hidden = false;
      return;
    }
    download(`dtsim-${answer.data.filename}`, new Blob([answer.data.text], { type: answer.data.media_type }));
  }

  function buildToolbar() {
    const examples = $("#example");
    for (const [key, example] of Object.entries(state.presets.examples)) examples.append(el("option", { value: key }, example.title));
    examples.addEventListener("change", () => {
      const example = state.presets.examples[examples.value];
      $("#example-source").textContent = example ? `Source: ${example.source}` : "";
      if (example) applyScenario(example.scenario);
    });
    const preset = $("#preset");
    for (const node of state.presets.hardware) preset.append(el("option", { value: node.preset, title: node.note }, `${node.preset}: ${node.note}`));
    preset.addEventListener("change", () => {
      delete state.values["hardware.gpu"];
      delete state.values["hardware.gpus_per_node"];
      if (preset.value) state.values["hardware.preset"] = preset.value;
      else delete state.values["hardware.preset"];
      syncForm();
      changed();
    });
    for (const radio of $$('input[name="physics-switch"]')) {
      radio.addEventListener("change", () => {
        if (radio.value === "seed") delete state.values.physics;
        else state.values.physics = radio.value;
        syncForm();
        changed();
      });
    }
    $("#pin").addEventListener("click", pin);
    $("#unpin").addEventListener("click", unpin);
    $("#reset").addEventListener("click", () => applyScenario({ nodes: 72 }));
    $("#copy-link").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(location.href);
        setStatus("Link copied", "ok");
      } catch (_) {
        setStatus(`Link: ${location.href}`, "ok");
      }
    });
    for (const button of $$("[data-export]")) {
      const [what, format] = button.dataset.export.split(":");
      button.addEventListener("click", () => exportFile(what, format));
    }
    for (const button of $$('[role="tab"]')) {
      button.addEventListener("click", () => {
        showTab(button.dataset.tab);
        writeURL();
        if (button.dataset.tab === "analyses") refreshAnalyses(generation);
      });
    }
    $("#explain-filter").addEventListener("input", renderExplain);
  }

  // ------------------------------------------------------------------------------------------
  // Start

  async function start() {
    const [schema, presets, analyses] = await Promise.all([get("/api/schema"), get("/api/presets"), get("/api/analyses")]);
    state.schema = schema;
    for (const field of schema) state.fields.set(field.path, field);
    state.presets = presets;
    state.analyses = analyses;
    buildForm();
    buildCards();
    buildToolbar();
    if (!readURL()) {
      const example = presets.examples[DEFAULT_EXAMPLE];
      const scenario = example ? example.scenario : { nodes: 72 };
      Object.assign(state, valuesOf(scenario));
      if (example) $("#example").value = DEFAULT_EXAMPLE;
    }
    buildSweepControls();
    buildAnalyses();
    syncForm();
    showTab(state.tab);
    await loadPinned();
    writeURL();
    await recompute();
    document.body.dataset.ready = "true";
  }

  window.addEventListener("DOMContentLoaded", () => {
    start().catch((error) => setStatus(`The page could not start: ${error.message}`, "error"));
  });
})();
