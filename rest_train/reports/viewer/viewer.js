// rest-em viewer: draws the model rest_train/viewer/data.py embeds. Plain ES2020, no library, no network.
// Every string from a model, a dataset or a verifier reaches the page through textContent or a text node,
// never as markup; the state of the filters lives in the URL hash, so a view can be linked (and tested).
"use strict";

const PAGE_SIZE = 50;
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const FILTERS = ["status", "kept", "iter", "split", "problem", "q", "finding"];

let M = null;          // the model
let F = {};            // field name -> column of a sample row
let findingsOf = null; // row -> [finding, ...]
let rows = [];         // the rows the filters keep
let lastQuery = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);  // strings become text nodes
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  return node;
}

async function readModel() {
  const text = document.getElementById("viewer-data").textContent.trim();
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

// -- state in the URL hash --------------------------------------------------------------------------

function state() {
  const params = new URLSearchParams(location.hash.slice(1));
  const s = {};
  for (const key of [...FILTERS, "page", "focus", "sample"]) s[key] = params.get(key) || "";
  return s;
}

function setState(changes) {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [key, value] of Object.entries(changes)) {
    if (value === "" || value === null || value === undefined) params.delete(key);
    else params.set(key, String(value));
  }
  location.hash = params.toString();
}

// -- overview ---------------------------------------------------------------------------------------

function table(headers, body) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...body.map((cells) => el("tr", {}, ...cells.map((c) => el("td", { text: String(c) }))))));
}

function percent(value) {
  return value === null || value === undefined ? "–" : (100 * value).toFixed(1) + "%";
}

function renderOverview() {
  const box = document.getElementById("overview");
  document.getElementById("title").textContent = M.title;
  const counts = `${M.samples.length} samples, ${M.problems.length} problems`;
  if (M.kind === "run") {
    document.getElementById("subtitle").textContent =
      `${M.mode} run · task ${M.task || "?"} · verifier ${M.verifier || "?"} · iterations 0–${Math.max(0, ...M.metrics.map((m) => m.iteration))} · ${counts}`;
    return;
  }
  const grader = M.manifest ? M.manifest.verifier : Object.keys(M.graders).join(", ");
  document.getElementById("subtitle").textContent = `graded file · grader ${grader} · ${counts}`;
  const s = M.summary;
  box.append(el("h2", { text: "Summary" }),
    table(["items", "accuracy", "mean reward"], [[s.items, percent(s.accuracy), s.mean_reward.toFixed(4)]]),
    el("h3", { text: "By status" }),
    table(["status", "count", "share"], M.statuses.map((st) => [st, s.by_status[st], percent(s.by_status[st] / Math.max(s.items, 1))])),
    el("h3", { text: "By detail" }),
    table(["detail", "count"], M.details.map(([detail, count]) => [detail === null ? "(all other details)" : detail || "(empty)", count])));
}

// -- curves -----------------------------------------------------------------------------------------

function chart(title, xs, series) {
  const W = 360, H = 200, L = 44, R = 10, T = 24, B = 28;
  const values = series.flatMap((s) => s.values).filter((v) => typeof v === "number" && isFinite(v));
  const box = el("figure", { class: "chart" });
  const plot = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "data-title": title });
  const caption = svg("text", { x: L, y: 14, class: "chart-title" });
  caption.textContent = title;
  plot.append(caption);
  if (!values.length || !xs.length) {
    box.append(plot, el("figcaption", { text: "no data" }));
    return box;
  }
  let lo = Math.min(0, ...values), hi = Math.max(...values);
  if (hi === lo) hi = lo + 1;
  const x0 = Math.min(...xs), x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
  const px = (x) => L + (W - L - R) * (x - x0) / (x1 - x0);
  const py = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo));
  plot.append(svg("line", { x1: L, y1: py(lo), x2: W - R, y2: py(lo), class: "axis" }),
    svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (const y of [lo, (lo + hi) / 2, hi]) {
    const label = svg("text", { x: L - 4, y: py(y) + 4, class: "tick", "text-anchor": "end" });
    label.textContent = Math.abs(hi) <= 1 && lo >= 0 && hi <= 1 ? y.toFixed(2) : +y.toPrecision(3);
    plot.append(label);
  }
  for (const x of xs) {
    const label = svg("text", { x: px(x), y: H - B + 14, class: "tick", "text-anchor": "middle" });
    label.textContent = x;
    plot.append(label);
  }
  const legend = el("figcaption", {});
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = xs.map((x, j) => [x, s.values[j]]).filter(([, v]) => typeof v === "number" && isFinite(v));
    if (!points.length) return;
    const d = points.map(([x, v], j) => `${j ? "L" : "M"}${px(x).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    plot.append(svg("path", { d, stroke: colour, fill: "none", "stroke-width": 2, "data-series": s.name }));
    for (const [x, v] of points) {
      const dot = svg("circle", { cx: px(x), cy: py(v), r: 3, fill: colour });
      const tip = svg("title", {});
      tip.textContent = `${s.name} @ ${x}: ${+v.toPrecision(4)}`;
      dot.append(tip);
      plot.append(dot);
    }
    const key = el("span", { class: "key" }, s.name);
    key.style.borderColor = colour;
    legend.append(key);
  });
  box.append(plot, legend);
  return box;
}

function metricSeries(field) {
  const ks = new Set();
  for (const m of M.metrics) for (const k of Object.keys(m[field] || {})) ks.add(k);
  return [...ks].sort((a, b) => a - b).map((k) => ({ name: `${field.replace("@k", "")}@${k}`,
    values: M.metrics.map((m) => (m[field] || {})[k]) }));
}

function statusSeries(split, xs) {
  const byIteration = (M.status_counts || {})[split] || {};
  return M.statuses.map((st) => ({ name: st, values: xs.map((x) => (byIteration[x] || {})[st] || 0) }))
    .filter((s) => s.values.some((v) => v > 0));
}

function renderCurves() {
  if (M.kind !== "run") return;
  const xs = M.metrics.map((m) => m.iteration);
  const box = document.getElementById("curves");
  const grid = el("div", { class: "charts" });
  const estep = (key) => M.metrics.map((m) => (m.estep || {})[key] ?? null);
  const fresh = (key) => M.metrics.map((m) => (m.fresh || {})[key] ?? null);
  grid.append(chart("held-out pass@1", xs, [{ name: "pass@1", values: M.metrics.map((m) => m["pass@1"]) }]),
    chart("held-out pass@k", xs, metricSeries("pass@k")),
    chart("held-out maj@k", xs, metricSeries("maj@k")),
    chart("kept for training", xs, [{ name: "kept", values: estep("kept") },
      { name: "problems solved", values: estep("problems_solved") }]));
  const sampleIterations = Object.keys((M.status_counts || {}).train || {}).map(Number).sort((a, b) => a - b);
  grid.append(chart("training sample statuses", sampleIterations, statusSeries("train", sampleIterations)),
    chart("held-out sample statuses", xs, statusSeries("eval", xs)));
  if (M.mode === "rest") {
    grid.append(chart("Improve threshold", xs, [{ name: "threshold", values: estep("threshold") }]),
      chart("kept vs kept-but-verifier-rejects", xs, [{ name: "kept", values: estep("kept") },
        { name: "kept, verifier rejects", values: estep("kept_rejected") }]),
      chart("fresh samples", xs, [{ name: "mean reward", values: fresh("mean_reward") },
        { name: "RM high, verifier rejects", values: fresh("high_rejected") }]));
  }
  box.append(el("h2", { text: "Curves per iteration" }), grid);
}

// -- audit findings ---------------------------------------------------------------------------------

function renderFindings() {
  const box = document.getElementById("findings");
  box.append(el("h2", { text: `Audit findings (${M.findings.length})` }));
  if (!M.findings.length) {
    box.append(el("p", { text: "None: no kept sample the verifier rejects, no reward-model-high sample it rejects, no reward-hacking sign. To compare with a second verifier: rest-em view PATH --against NAME." }));
    return;
  }
  const byKind = new Map();
  for (const f of M.findings) {
    if (!byKind.has(f[1])) byKind.set(f[1], []);
    byKind.get(f[1]).push(f);
  }
  for (const [kind, list] of byKind) {
    const items = el("ul", {}, ...list.slice(0, 20).map(([row, , note]) =>
      el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); focusSample(row); } }, sampleLabel(row)), " — ", note)));
    box.append(el("details", { class: "finding" },
      el("summary", {}, `${kind}: ${list.length} `,
        el("a", { href: "#", onclick: (e) => { e.preventDefault(); setState({ finding: kind, page: "", focus: "", sample: "" }); } }, "show in browser")),
      items, list.length > 20 ? el("p", { text: `… and ${list.length - 20} more (show in browser)` }) : ""));
  }
}

function sampleLabel(row) {
  const s = M.samples[row];
  const p = M.problems[s[F.problem]];
  const where = M.kind === "run" ? `iter ${s[F.iteration]} · ${M.splits[s[F.split]]} · ` : "";
  return `${where}problem ${p[0]} · sample ${s[F.sample]}`;
}

function focusSample(row) {
  setState({ focus: M.samples[row][F.problem], sample: row });
}

// -- sample browser ---------------------------------------------------------------------------------

function options(values, labels) {
  return values.map((v, i) => el("option", { value: v, text: labels ? labels[i] : v }));
}

function renderFilters(s) {
  const bar = el("form", { class: "filters", id: "filters", onsubmit: (e) => e.preventDefault() });
  const select = (name, values, labels) => {
    const node = el("select", { name, onchange: () => setState({ [name]: node.value, page: "" }) }, ...options(values, labels));
    node.value = s[name];
    return el("label", {}, name + " ", node);
  };
  const iterations = [...new Set(M.samples.map((r) => r[F.iteration]))].sort((a, b) => a - b).map(String);
  const kinds = [...new Set(M.findings.map((f) => f[1]))];
  bar.append(select("status", ["", ...M.statuses], ["any", ...M.statuses]));
  if (M.kind === "run") {
    bar.append(select("kept", ["", "yes", "no"], ["any", "kept", "not kept"]),
      select("iter", ["", ...iterations], ["any", ...iterations]),
      select("split", ["", "train", "eval"], ["any", "training (E-step/Grow)", "held-out"]));
  }
  if (kinds.length) bar.append(select("finding", ["", ...kinds], ["any", ...kinds]));
  let timer = null;
  const text = (name, placeholder) => {
    const node = el("input", { name, type: "search", placeholder, value: s[name] });
    node.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => setState({ [name]: node.value, page: "" }), 250);
    });
    return el("label", {}, node);
  };
  bar.append(text("problem", "problem id"), text("q", "search completions and details"));
  return bar;
}

function filterRows(s) {
  const key = FILTERS.map((k) => s[k]).join("\u0000");
  if (key === lastQuery) return;
  lastQuery = key;
  const status = s.status ? M.statuses.indexOf(s.status) : -1;
  const split = s.split ? M.splits.indexOf(s.split) : -1;
  const iteration = s.iter === "" ? null : Number(s.iter);
  const q = s.q.toLowerCase();
  const problemIds = s.problem ? new Set(M.problems.map((p, i) => [p[0], i]).filter(([id]) => id.includes(s.problem)).map(([, i]) => i)) : null;
  const findingRows = s.finding ? new Set(M.findings.filter((f) => f[1] === s.finding).map((f) => f[0])) : null;
  rows = [];
  for (let i = 0; i < M.samples.length; i++) {
    const r = M.samples[i];
    if (status >= 0 && r[F.status] !== status) continue;
    if (split >= 0 && r[F.split] !== split) continue;
    if (iteration !== null && r[F.iteration] !== iteration) continue;
    if (s.kept === "yes" && !r[F.kept].length) continue;
    if (s.kept === "no" && (r[F.kept].length || M.splits[r[F.split]] !== "train")) continue;
    if (problemIds && !problemIds.has(r[F.problem])) continue;
    if (findingRows && !findingRows.has(i)) continue;
    if (q && !r[F.completion].toLowerCase().includes(q) && !(r[F.detail] || "").toLowerCase().includes(q)) continue;
    rows.push(i);
  }
}

function infoView(info) {
  if (!info) return "";
  const box = el("details", { class: "info" }, el("summary", { text: "verdict info" }));
  const plain = Object.entries(info).filter(([k]) => k !== "tests");
  box.append(table(["key", "value"], plain.map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
  if (Array.isArray(info.tests)) {
    const keys = [...new Set(info.tests.flatMap((t) => (t && typeof t === "object" ? Object.keys(t) : [])))];
    box.append(el("h4", { text: "tests" }),
      table(keys, info.tests.map((t) => keys.map((k) => (t && t[k] !== undefined ? (typeof t[k] === "string" ? t[k] : JSON.stringify(t[k])) : "")))));
  }
  return box;
}

function sampleCard(row, s) {
  const r = M.samples[row];
  const status = M.statuses[r[F.status]];
  const head = el("div", { class: "head" },
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); focusSample(row); } }, sampleLabel(row)),
    el("span", { class: `badge status-${status}`, text: status }),
    el("span", { text: `reward ${+Number(r[F.reward]).toPrecision(4)}` }));
  const info = r[F.info] || {};
  if (info.answer !== undefined) head.append(el("span", { class: "answer", text: `answer ${typeof info.answer === "string" ? info.answer : JSON.stringify(info.answer)}` }));
  if (r[F.kept].length) head.append(el("span", { class: "badge kept", text: `kept (iter ${r[F.kept].join(", ")})` }));
  if (r[F.rm] !== null && r[F.rm] !== undefined) head.append(el("span", { text: `reward model ${+Number(r[F.rm]).toPrecision(4)}` }));
  const details = new Map(); // one badge per kind of finding, however many iterations found it
  for (const f of findingsOf.get(row) || []) details.set(f[1], [...(details.get(f[1]) || []), f[2]]);
  for (const [kind, why] of details) head.append(el("span", { class: "badge finding", title: why.join("\n"), text: kind }));
  const card = el("article", { class: "sample", "data-row": row }, head);
  if (r[F.detail]) card.append(el("p", { class: "detail", text: r[F.detail] }));
  card.append(el("pre", { class: "completion", text: r[F.completion] }), infoView(r[F.info]));
  if (String(row) === s.sample) card.classList.add("selected");
  return card;
}

function problemPanel(index, s) {
  const p = M.problems[index];
  const panel = el("section", { class: "problem", id: "problem-panel" },
    el("h3", {}, `problem ${p[0]} (${p[1]}) `, el("a", { href: "#", onclick: (e) => { e.preventDefault(); setState({ focus: "", sample: "" }); } }, "close")),
    el("h4", { text: "prompt" }), el("pre", { text: p[2] }));
  if (p[3] !== null) panel.append(el("h4", { text: "reference" }), el("pre", { text: p[3] }));
  const byIteration = new Map();
  M.samples.forEach((r, i) => {
    if (r[F.problem] !== index) return;
    if (!byIteration.has(r[F.iteration])) byIteration.set(r[F.iteration], []);
    byIteration.get(r[F.iteration]).push(i);
  });
  const columns = el("div", { class: "side-by-side" });
  for (const [iteration, list] of [...byIteration].sort((a, b) => a[0] - b[0])) {
    columns.append(el("div", { class: "column" }, el("h4", { text: M.kind === "run" ? `iteration ${iteration}` : "items" }),
      ...list.map((row) => sampleCard(row, s))));
  }
  panel.append(columns);
  return panel;
}

function renderBrowser() {
  const s = state();
  filterRows(s);
  const box = document.getElementById("browser");
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const page = Math.min(Math.max(0, Number(s.page) || 0), pages - 1);
  const pager = el("nav", { class: "pager" },
    el("button", { type: "button", disabled: page === 0 ? "" : null, onclick: () => setState({ page: page - 1 }) }, "previous"),
    el("span", { id: "count", "data-matches": rows.length, text: ` ${rows.length} of ${M.samples.length} samples · page ${page + 1} of ${pages} ` }),
    el("button", { type: "button", disabled: page >= pages - 1 ? "" : null, onclick: () => setState({ page: page + 1 }) }, "next"));
  const list = el("div", { id: "samples" }, ...rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map((row) => sampleCard(row, s)));
  box.replaceChildren(el("h2", { text: "Samples" }), renderFilters(s));
  if (s.focus !== "" && M.problems[Number(s.focus)]) box.append(problemPanel(Number(s.focus), s));
  box.append(pager, list);
  if (s.sample !== "") {
    const target = box.querySelector(`#problem-panel [data-row="${Number(s.sample)}"]`);
    if (target) target.scrollIntoView({ block: "center" });
  }
}

async function main() {
  M = await readModel();
  M.fields.forEach((name, i) => { F[name] = i; });
  findingsOf = new Map();
  for (const f of M.findings) {
    if (!findingsOf.has(f[0])) findingsOf.set(f[0], []);
    findingsOf.get(f[0]).push(f);
  }
  renderOverview();
  renderCurves();
  renderFindings();
  renderBrowser();
  window.addEventListener("hashchange", renderBrowser);
  document.getElementById("loading").remove();
  document.body.dataset.ready = "true";
  document.body.dataset.renderMs = String(Math.round(performance.now()));  // since navigation started
}

main().catch((error) => {
  document.getElementById("loading").textContent = `The viewer could not read its data: ${error}`;
  document.body.dataset.ready = "error";
});
