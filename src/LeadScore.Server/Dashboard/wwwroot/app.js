// LeadScore dashboard. Plain JavaScript, no build step, nothing fetched from elsewhere.
// Every value from the server is put on the page as text (textContent, attributes), never as HTML.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  let session = { signed_in: false, scopes: [], csrf: "" };

  // ---- DOM helpers: the only way this script builds the page ----
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }
  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  const $ = (id) => document.getElementById(id);
  const has = (scope) => session.scopes.includes(scope) || session.scopes.includes("admin");
  const fmtDate = (iso) => { const d = new Date(iso); return isNaN(d) ? "" : d.toISOString().slice(0, 10); };
  const fmtTime = (iso) => { const d = new Date(iso); return isNaN(d) ? "" : d.toISOString().slice(0, 16).replace("T", " "); };
  const pct = (p) => (p * 100).toFixed(1) + "%";
  const num = (v, digits = 3) => (typeof v === "number" ? v.toFixed(digits) : "–");
  // The trend since last week: points up or down against the score as of seven days ago, or "new" (no score then).
  function trend(points, id) {
    if (points === null || points === undefined) return h("span", { class: "trend trend-new", id, title: "No score seven days ago" }, "new");
    const dir = points > 0 ? "up" : points < 0 ? "down" : "flat";
    const text = (points > 0 ? "▲ +" : points < 0 ? "▼ -" : "→ ") + Math.abs(points);
    const words = points === 0 ? "unchanged since 7 days ago" : (points > 0 ? "up " : "down ") + Math.abs(points) + " points since 7 days ago";
    return h("span", { class: "trend trend-" + dir, id, title: words, "aria-label": words }, text);
  }
  const CAUSES = { new_data: "new data", new_model: "new model", time_passing: "time passing", manual: "manual re-score" };
  const CAUSE_COLOURS = { new_data: "#0b57d0", new_model: "#8a5300", time_passing: "#1a7f37", manual: "#5c6470" };

  class ApiError extends Error {
    constructor(status, title, detail, errors) { super(detail || title); this.status = status; this.title = title; this.errors = errors || {}; }
  }

  async function api(path, options = {}) {
    const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
    if (init.method && init.method !== "GET") init.headers["X-CSRF-Token"] = session.csrf;
    const res = await fetch(path, init);
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json() : null;
    if (!res.ok) throw new ApiError(res.status, body && body.title || res.statusText, body && (body.detail || (body.errors && Object.values(body.errors).flat().join("; "))), body && body.errors);
    return body;
  }

  function message(text, kind) {
    return h("p", { class: "message" + (kind === "info" ? " info" : ""), role: kind === "info" ? "status" : "alert" }, text);
  }

  function explain(text) { return h("p", { class: "explain" }, text); }

  // ---- Start: who is signed in, then the page the address names ----
  async function start() {
    session = await api("/dashboard/api/session");
    for (const input of document.querySelectorAll("input[name=csrf]")) input.value = session.csrf;
    const params = new URLSearchParams(location.search);
    if (!session.signed_in) {
      $("signin").hidden = false;
      const why = params.get("signin");
      const text = { failed: "That API key was not accepted: it is unknown or revoked.", empty: "Type an API key to sign in.",
        limited: "Too many wrong keys from this address; wait a second and try again.", out: "You are signed out." }[why];
      if (text) { const m = $("signin-message"); m.textContent = text; m.hidden = false; m.className = why === "out" ? "message info" : "message"; }
      $("key").focus();
      return;
    }
    if (params.has("signin")) history.replaceState(null, "", "/" + (location.hash || "#/leads"));
    $("nav").hidden = false;
    $("signout").hidden = false;
    $("who").textContent = "Signed in as " + session.name + " (" + session.scopes.join(", ") + ")";
    for (const a of document.querySelectorAll("#nav a[data-scope]")) a.hidden = !has(a.dataset.scope);
    window.addEventListener("hashchange", route);
    await route();
  }

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const q = raw.indexOf("?");
    const path = q < 0 ? raw : raw.slice(0, q);
    const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
    const [page, ...rest] = path.split("/");
    return { page: page || "leads", arg: rest.length ? decodeURIComponent(rest.join("/")) : null, params };
  }

  // Each navigation renders once; a slower, older render never replaces a newer one. While a page loads the view is
  // aria-busy; once drawn it records the address it shows (data-rendered), so a reader (or a test) can tell a stale view.
  let routeSeq = 0;
  async function route() {
    const seq = ++routeSeq;
    const hash = location.hash;
    const { page, arg, params } = parseHash();
    for (const a of document.querySelectorAll("#nav a")) {
      if (a.dataset.page === (page === "lead" ? "leads" : page)) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    const view = $("view");
    view.hidden = false;
    view.setAttribute("aria-busy", "true");
    view.replaceChildren(h("p", { class: "explain", role: "status" }, "Loading…"));
    const pages = { leads: leadsPage, lead: () => leadPage(arg), models: modelsPage, monitoring: monitoringPage, lifecycle: lifecyclePage,
      governance: governancePage, data: dataPage, settings: settingsPage };
    const needs = { leads: "score", lead: "score", models: "admin", monitoring: "monitoring", lifecycle: "admin", governance: "admin", data: "ingest", settings: "admin" };
    const render = pages[page];
    let content;
    if (!render) content = [h("h1", {}, "Not found"), message("There is no page called " + page + ".")];
    else if (!has(needs[page])) content = [h("h1", {}, page[0].toUpperCase() + page.slice(1)),
      message("Refused: the API key you signed in with does not have the '" + needs[page] + "' scope this page needs.")];
    else {
      try { content = await render(params); }
      catch (e) {
        content = [h("h1", {}, "Something went wrong"), message(e instanceof ApiError ? e.title + ": " + e.message : String(e))];
        if (e.status === 401) { location.href = "/"; return; }
      }
    }
    if (seq !== routeSeq) return;
    view.replaceChildren(...[content].flat());
    view.dataset.rendered = hash;
    view.removeAttribute("aria-busy");
    document.title = (view.querySelector("h1")?.textContent || "LeadScore") + " – LeadScore";
    $("main").focus({ preventScroll: true });
  }

  // ---- Leads ----
  const SORTS = { score_desc: "Score, best first", score_asc: "Score, lowest first", created_desc: "Newest first", created_asc: "Oldest first" };

  async function leadsPage(params) {
    const query = new URLSearchParams();
    for (const k of ["grade", "status", "source", "segment", "value", "q", "email", "sort", "page"]) if (params.get(k)) query.set(k, params.get(k));
    const t0 = performance.now();
    const data = await api("/dashboard/api/leads?" + query);
    const ms = Math.round(performance.now() - t0);
    const go = (changes) => {
      const next = new URLSearchParams(query);
      for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
      location.hash = "#/leads?" + next;
    };
    const select = (id, label, name, options) => h("div", { class: "field" }, h("label", { for: id }, label),
      h("select", { id, name }, Object.entries(options).map(([v, text]) => h("option", { value: v, selected: (params.get(name) || "") === v }, text))));
    const input = (id, label, name, placeholder) => h("div", { class: "field" }, h("label", { for: id }, label),
      h("input", { id, name, type: "search", value: params.get(name) || "", placeholder }));
    const form = h("form", { class: "filters", role: "search", "aria-label": "Filter leads", onsubmit: (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      go({ grade: f.get("grade"), status: f.get("status"), source: f.get("source").trim(), segment: f.get("segment"), value: f.get("segment") ? f.get("value").trim() : null,
        q: f.get("q").trim(), email: f.has("email") ? f.get("email").trim() : null, sort: f.get("sort"), page: null });
    } },
      select("f-grade", "Grade", "grade", { "": "All grades", A: "A", B: "B", C: "C", D: "D" }),
      select("f-status", "Status", "status", { "": "All", open: "Open", won: "Won", lost: "Lost", closed: "Closed (won or lost)" }),
      input("f-source", "Source", "source", "e.g. web"),
      select("f-segment", "Segment", "segment", Object.fromEntries([["", "Any"], ...data.segments.map((a) => [a, a])])),
      input("f-value", "Segment value", "value", "e.g. DE"),
      input("f-q", "Search id or company", "q", "lead id or start of company name"),
      has("personal_data") ? input("f-email", "Search by email", "email", "name@example.com") : null,
      select("f-sort", "Sort", "sort", { "": SORTS.score_desc, score_asc: SORTS.score_asc, created_desc: SORTS.created_desc, created_asc: SORTS.created_asc }),
      h("button", { type: "submit" }, "Apply"));
    const sort = params.get("sort") || "score_desc";
    const sortHeader = (label, key, cls) => {
      const desc = key + "_desc", asc = key + "_asc";
      const state = sort === desc ? "descending" : sort === asc ? "ascending" : "none";
      return h("th", { scope: "col", class: cls, "aria-sort": state },
        h("button", { type: "button", class: "sort", onclick: () => go({ sort: sort === desc ? asc : desc, page: null }),
          "aria-label": "Sort by " + label.toLowerCase() }, label + (state === "descending" ? " ▼" : state === "ascending" ? " ▲" : "")));
    };
    const rows = data.items.map((l) => h("tr", {},
      h("td", {}, h("a", { href: "#/lead/" + encodeURIComponent(l.id) }, l.id)),
      h("td", {}, l.company || ""),
      h("td", { class: "num" }, l.score),
      h("td", { class: "num trend-cell" }, trend(l.trend_7d)),
      h("td", {}, h("span", { class: "grade grade-" + l.grade }, l.grade)),
      h("td", { class: "hide-narrow" }, l.top_reason || ""),
      h("td", { class: "status-" + l.status }, l.status),
      h("td", { class: "hide-narrow" }, l.source || ""),
      h("td", { class: "hide-narrow" }, fmtDate(l.created_at))));
    const table = h("div", { class: "table-wrap" }, h("table", { id: "leads-table" },
      h("caption", { class: "explain" }, "Scored leads, " + data.page_size + " a page. Score is 0-100; the week's trend is the points gained or lost since 7 days ago (new: no score then); the top reason is the one adding the most points."),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Lead"), h("th", { scope: "col" }, "Company"), sortHeader("Score", "score", "num"),
        h("th", { scope: "col", class: "num" }, "Week"),
        h("th", { scope: "col" }, "Grade"), h("th", { scope: "col", class: "hide-narrow" }, "Top reason"), h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col", class: "hide-narrow" }, "Source"), sortHeader("Created", "created", "hide-narrow"))),
      h("tbody", {}, rows)));
    const pager = h("nav", { class: "pager", "aria-label": "Pages" },
      h("button", { type: "button", class: "secondary", disabled: data.page <= 1, onclick: () => go({ page: data.page - 1 > 1 ? String(data.page - 1) : null }) }, "Previous page"),
      h("span", { id: "page-number" }, "Page " + data.page),
      h("button", { type: "button", class: "secondary", disabled: !data.has_more, onclick: () => go({ page: String(data.page + 1) }) }, "Next page"),
      h("a", { href: "/dashboard/api/leads.csv?" + new URLSearchParams([...query].filter(([k]) => k !== "page")), download: "leads.csv" }, "Export this view as CSV"),
      h("span", { class: "explain" }, "Loaded in " + ms + " ms"));
    return [h("h1", {}, "Leads"), h("div", { class: "panel" }, form), h("div", { class: "panel" },
      data.items.length ? table : message("No scored lead matches these filters.", "info"), pager)];
  }

  // ---- Lead ----
  async function leadPage(id) {
    const l = await api("/dashboard/api/lead?id=" + encodeURIComponent(id));
    const company = (l.attributes.find((a) => a.name === "company") || {}).value;
    const out = [h("p", {}, h("a", { href: "#/leads" }, "← Back to leads")), h("h1", {}, "Lead " + l.id + (company ? " · " + company : ""))];
    const sc = l.score;
    out.push(h("div", { class: "panel summary", id: "lead-summary" },
      sc ? [h("div", {}, h("div", { class: "explain" }, "Score"), h("div", { class: "big" }, sc.score)),
        h("div", {}, h("div", { class: "explain" }, "Since last week"), h("div", { class: "big" }, trend(l.trend_7d, "lead-trend")),
          h("div", { class: "explain" }, l.score_7d_ago === null || l.score_7d_ago === undefined ? "no score 7 days ago" : "was " + l.score_7d_ago + " 7 days ago")),
        h("div", {}, h("div", { class: "explain" }, "Grade"), h("div", { class: "big" }, h("span", { class: "grade grade-" + sc.grade }, sc.grade))),
        h("div", {}, h("div", { class: "explain" }, "Probability"), h("div", { class: "big" }, pct(sc.probability)),
          h("div", { class: "explain" }, l.horizon ? "that the lead " + l.horizon : "that the lead converts")),
        h("div", {}, h("div", { class: "explain" }, "Status"), h("div", { class: "big status-" + l.status }, l.status)),
        h("div", { class: "explain" }, "Model " + sc.model_version + ", scored " + fmtTime(sc.scored_at) + " (" + (CAUSES[sc.cause] || sc.cause) + ")")]
        : message("This lead has no score yet.", "info")));
    if (l.profiling_opt_out) out.push(message("This lead opted out of profiling: it is not scored.", "info"));
    if (sc && sc.reasons && sc.reasons.length) out.push(h("div", { class: "panel" }, h("h2", {}, "Why this score"),
      explain("Each bar is one reason in plain words: points it adds to (right, green) or takes from (left, red) the score."),
      reasonsChart(sc.reasons)));
    out.push(h("div", { class: "panel" }, h("h2", {}, "Score history"),
      explain("The score over time; each point's colour is what changed it: new data, a new model, or time passing."),
      l.history.length ? [historyChart(l.history), historyTable(l.history)] : message("No score history yet.", "info")));
    out.push(h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("h2", {}, "Activity"),
        explain(l.activity_count > l.activities.length ? "The latest " + l.activities.length + " of " + l.activity_count + " activities, newest first." : "Activities, newest first."),
        l.activities.length ? h("ol", { class: "timeline", id: "timeline" }, l.activities.map((a) => h("li", {},
          h("time", { datetime: a.at }, fmtTime(a.at)), a.type.replaceAll("_", " "), a.url ? " · " + a.url : "", a.value !== null && a.value !== undefined ? " · " + a.value : "")))
          : message("No activity recorded.", "info")),
      h("div", { class: "panel" }, h("h2", {}, "Attributes"), explain("Fields marked personal hold personal data (GDPR): handle them with care."),
        h("div", { class: "table-wrap" }, h("table", { id: "attributes" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Value"))),
          h("tbody", {}, l.attributes.map((a) => h("tr", {}, h("th", { scope: "row", title: a.name }, a.display_name || a.name, a.personal_reason ? h("span", { class: "badge", title: a.personal_reason }, "personal") : null),
            h("td", {}, a.label ? [a.label, " ", h("span", { class: "code", title: "as stored" }, "(" + a.value + ")")] : a.value ?? "")))))),
        h("h2", {}, "Outcome"),
        l.outcomes.length ? h("ul", {}, l.outcomes.map((o) => h("li", {}, o.kind + " on " + fmtDate(o.at)))) : h("p", {}, "No outcome yet: the lead is open."))));
    if (has("privacy")) out.push(privacyPanel(l));
    return out;
  }

  function reasonsChart(reasons) {
    const rows = [...reasons].sort((a, b) => b.points - a.points);
    const W = 720, rowH = 30, labelW = 330, pad = 8, H = rows.length * rowH + 24;
    const max = Math.max(1, ...rows.map((r) => Math.abs(r.points)));
    const zero = labelW + (W - labelW - 60) / 2;
    const scale = (W - labelW - 60) / 2 / max;
    const svg = s("svg", { class: "chart", id: "reasons-chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "reasons-title" },
      s("title", { id: "reasons-title" }, "Points each reason adds to or takes from the score"),
      s("line", { x1: zero, x2: zero, y1: 0, y2: H - 20, stroke: "#6b7480" }));
    rows.forEach((r, i) => {
      const y = i * rowH + pad, w = Math.abs(r.points) * scale, x = r.points >= 0 ? zero : zero - w;
      svg.append(s("text", { x: 0, y: y + 15 }, truncate(r.text, 48)),
        s("rect", { x, y, width: Math.max(1, w), height: rowH - 10, fill: r.points >= 0 ? "#1a7f37" : "#b3261e" }, s("title", {}, r.text + ": " + signed(r.points) + " points")),
        s("text", { x: r.points >= 0 ? x + w + 4 : x - 4, y: y + 15, "text-anchor": r.points >= 0 ? "start" : "end" }, signed(r.points)));
    });
    svg.append(s("text", { x: zero, y: H - 4, "text-anchor": "middle" }, "0 points"));
    const list = h("ul", { class: "explain", id: "reasons-list" }, rows.map((r) => h("li", {}, r.text + " (" + signed(r.points) + " points)")));
    return [svg, list];
  }
  const signed = (p) => (p >= 0 ? "+" : "") + p.toFixed(1);
  const truncate = (t, n) => (t.length > n ? t.slice(0, n - 1) + "…" : t);

  function historyChart(history) {
    const pts = [...history].reverse(); // oldest first
    const W = 720, H = 240, L = 40, R = 16, T = 12, B = 40;
    const times = pts.map((p) => new Date(p.scored_at).getTime());
    const t0 = Math.min(...times), t1 = Math.max(...times), span = Math.max(1, t1 - t0);
    const x = (t) => (pts.length === 1 ? L + (W - L - R) / 2 : L + ((t - t0) / span) * (W - L - R));
    const y = (v) => T + (1 - v / 100) * (H - T - B);
    const svg = s("svg", { class: "chart", id: "history-chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "history-title" },
      s("title", { id: "history-title" }, "Score over time, coloured by the cause of each change"));
    for (const v of [0, 25, 50, 75, 100]) svg.append(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e1e5ea" }), s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, v));
    svg.append(s("polyline", { points: pts.map((p, i) => x(times[i]) + "," + y(p.score)).join(" "), fill: "none", stroke: "#4a5360", "stroke-width": 2 }));
    pts.forEach((p, i) => svg.append(s("circle", { cx: x(times[i]), cy: y(p.score), r: 5, fill: CAUSE_COLOURS[p.cause] || "#5c6470", class: "history-point" },
      s("title", {}, fmtTime(p.scored_at) + ": " + p.score + " (" + p.grade + "), " + (CAUSES[p.cause] || p.cause)))));
    svg.append(s("text", { x: L, y: H - 10 }, fmtDate(pts[0].scored_at)), s("text", { x: W - R, y: H - 10, "text-anchor": "end" }, fmtDate(pts[pts.length - 1].scored_at)));
    const legend = h("div", { class: "legend" }, Object.entries(CAUSES).map(([k, v]) => h("span", {},
      (() => { const sw = s("svg", { width: 12, height: 12, "aria-hidden": "true" }, s("circle", { cx: 6, cy: 6, r: 5, fill: CAUSE_COLOURS[k] })); return sw; })(), " " + v)));
    return [svg, legend];
  }

  function historyTable(history) {
    return h("details", {}, h("summary", {}, "Every change as a table"), h("div", { class: "table-wrap" }, h("table", { id: "history-table" },
      h("thead", {}, h("tr", {}, ["When", "Score", "Grade", "Cause", "Model"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, history.map((p) => h("tr", {}, h("td", {}, fmtTime(p.scored_at)), h("td", { class: "num" }, p.score), h("td", {}, p.grade),
        h("td", {}, CAUSES[p.cause] || p.cause), h("td", {}, p.model_version)))))));
  }

  // ---- Models ----
  async function modelsPage(params) {
    const data = await api("/dashboard/api/models");
    const out = [h("h1", {}, "Models")];
    const status = h("div", { id: "models-status", "aria-live": "polite" });
    out.push(status);
    out.push(h("div", { class: "panel" }, h("p", {}, "Champion (serving scores): ", h("strong", { id: "champion" }, data.champion || "none")),
      data.can_change ? h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", id: "rollback",
        onclick: () => confirmThen("Roll back the champion?", "The previous champion serves scores again, and every stored lead is re-scored.", "Roll back",
          () => change("/dashboard/api/models/rollback", status)) }, "Roll back to the previous champion")) : null));
    const rows = data.models.map((m) => h("tr", {},
      h("td", {}, h("a", { href: "#/models?a=" + encodeURIComponent(m.version) }, m.version)),
      h("td", {}, fmtTime(m.created_at)), h("td", {}, m.algorithm), h("td", { class: "num" }, num(m.auc)),
      h("td", {}, m.aliases.join(", ")),
      h("td", {}, data.can_change && !m.aliases.includes("champion") ? h("button", { type: "button", "data-version": m.version, class: "promote",
        onclick: () => confirmThen("Promote " + m.version + "?", "It becomes the champion at once, and every stored lead is re-scored with it.", "Promote",
          () => change("/dashboard/api/models/promote?version=" + encodeURIComponent(m.version), status)) }, "Promote") : "")));
    out.push(h("div", { class: "panel" }, h("h2", {}, "Versions"), explain("Every trained version, newest first; AUC is measured on held-out leads (1.0 is perfect ranking, 0.5 is chance)."),
      h("div", { class: "table-wrap" }, h("table", { id: "models-table" }, h("thead", {}, h("tr", {}, ["Version", "Trained", "Algorithm", "AUC", "Aliases", ""].map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, rows)))));
    if (data.models.length) {
      const a = params.get("a") || data.champion || data.models[0].version;
      const b = params.get("b") || (data.models.find((m) => m.version !== a) || {}).version || "";
      const pick = (id, label, value, key) => h("div", { class: "field" }, h("label", { for: id }, label), h("select", { id, onchange: (e) => {
        const p = new URLSearchParams({ a, b }); p.set(key, e.target.value); location.hash = "#/models?" + p; } },
        h("option", { value: "" }, "(none)"), data.models.map((m) => h("option", { value: m.version, selected: m.version === value }, m.version))));
      const cards = await Promise.all([a, b].filter(Boolean).map((v) => api("/dashboard/api/model?version=" + encodeURIComponent(v))));
      out.push(h("div", { class: "panel" }, h("h2", {}, "Side by side"), explain("Two versions' model cards: what they were trained on and how they did on held-out leads."),
        h("div", { class: "filters" }, pick("cmp-a", "Version", a, "a"), pick("cmp-b", "Compared with", b, "b")),
        compareTable(cards), h("div", { class: "grid2" }, cards.map(cardCharts))));
    }
    return out;
  }

  function compareTable(cards) {
    const rowsOf = (c) => {
      const card = c.card || {}, m = card.metrics || {};
      return [["Algorithm", c.model.algorithm], ["Trained", fmtTime(c.model.created_at)], ["Horizon", card.horizon], ["Split", card.split],
        ["Training rows", card.rows_train], ["Held-out rows", card.rows_test], ["Features used", (card.features_used || []).length],
        ["AUC", num(m.auc)], ["PR AUC", num(m.pr_auc)], ["Log loss", num(m.log_loss)], ["Brier", num(m.brier)], ["Calibration error (ECE)", num(m.ece)],
        ["Precision", num(m.precision)], ["Recall", num(m.recall)],
        ["Gain at top 10%", m.lift && m.lift[0] ? pct(m.lift[0].gain) : "–"], ["Calibration", card.calibration], ["Selection", card.selection]];
    };
    const columns = cards.map(rowsOf);
    return h("div", { class: "table-wrap" }, h("table", { id: "compare-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), cards.map((c) => h("th", { scope: "col" }, c.model.version)))),
      h("tbody", {}, (columns[0] || []).map((row, i) => h("tr", {}, h("th", { scope: "row" }, row[0]), columns.map((col) => h("td", {}, col[i][1] ?? "–")))))));
  }

  function cardCharts(c) {
    const m = (c.card && c.card.metrics) || {};
    const out = [h("h2", {}, c.model.version)];
    const gain = [{ x: 0, y: 0 }, ...(m.lift || []).map((l) => ({ x: l.fraction, y: l.gain })), { x: 1, y: 1 }];
    out.push(explain("Gain: the share of converting leads found in the top x% by score (the diagonal is random order)."),
      lineChart(gain, "Cumulative gain of " + c.model.version, "gain-chart"));
    if (m.roc && m.roc.length) out.push(explain("ROC: the share of converting leads ranked above a threshold against the share of the others (the higher the curve, the better; its area is the AUC, " + num(m.auc) + ")."),
      lineChart(m.roc.map((p) => ({ x: p.fpr, y: p.tpr })), "ROC curve of " + c.model.version, "roc-chart", false));
    const cal = (m.calibration || []).filter((b) => b.rows > 0).map((b) => ({ x: b.mean_predicted, y: b.observed_rate }));
    if (cal.length) out.push(explain("Calibration: predicted probability against the observed conversion rate (on the diagonal is well calibrated)."),
      lineChart(cal, "Calibration of " + c.model.version, "calibration-chart"));
    return h("div", {}, out);
  }

  function lineChart(points, title, cls, dots = true) {
    const W = 320, H = 220, L = 36, R = 10, T = 10, B = 28;
    const x = (v) => L + v * (W - L - R), y = (v) => T + (1 - v) * (H - T - B);
    const svg = s("svg", { class: "chart " + cls, viewBox: `0 0 ${W} ${H}`, role: "img" }, s("title", {}, title),
      s("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#d0d5dc" }),
      s("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "#9aa3ad", "stroke-dasharray": "4 4" }),
      s("polyline", { points: points.map((p) => x(p.x) + "," + y(p.y)).join(" "), fill: "none", stroke: "#0b57d0", "stroke-width": 2 }));
    if (dots) for (const p of points) svg.append(s("circle", { cx: x(p.x), cy: y(p.y), r: 3, fill: "#0b57d0" }));
    for (const v of [0, 0.5, 1]) svg.append(s("text", { x: x(v), y: H - 10, "text-anchor": "middle" }, v), s("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, v));
    return svg;
  }

  // A native modal dialog: focus moves into it, Escape cancels, nothing happens without the second click.
  function confirmThen(title, text, action, run) {
    const dialog = h("dialog", { id: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title), h("p", {}, text),
      h("form", { method: "dialog", class: "actions" },
        h("button", { value: "cancel", class: "secondary", autofocus: true }, "Cancel"),
        h("button", { value: "ok", class: "danger", id: "confirm-ok" }, action)));
    dialog.addEventListener("close", () => { const ok = dialog.returnValue === "ok"; dialog.remove(); if (ok) run(); });
    document.body.append(dialog);
    dialog.showModal();
  }

  async function change(path, status) {
    try {
      const r = await api(path, { method: "POST" });
      await route();
      $("models-status").replaceChildren(message(r.champion + " is now the champion" + (r.previous ? " (was " + r.previous + ")" : "") + "; the stored leads are being re-scored.", "info"));
    } catch (e) {
      status.replaceChildren(message(e instanceof ApiError ? e.title + ": " + e.message : String(e)));
    }
  }

  // ---- Shared bits of the monitoring, lifecycle and governance pages ----
  const yesNo = (b) => (b ? "yes" : "no");
  const fig = (v, digits = 3) => (typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–");
  const share = (v) => (typeof v === "number" && isFinite(v) ? pct(v) : "–");
  const tableOf = (id, headers, rows) => h("div", { class: "table-wrap" }, h("table", { id },
    h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, rows)));
  const errorText = (e) => (e instanceof ApiError ? e.title + ": " + e.message : String(e));

  // Drift per feature over time: the most important features (up to 10), one cell per window (the last 12) with the
  // statistic, marked when it drifted.
  function driftOverTime(drift, importance) {
    const windows = drift.windows.slice(-12);
    const names = [...drift.features].map((f) => f.feature).sort((a, b) => (importance[b] ?? -1) - (importance[a] ?? -1)).slice(0, 10);
    const rows = names.map((n) => h("tr", {}, h("th", { scope: "row" }, n), windows.map((w) => {
      const f = (w.features || []).find((x) => x.feature === n);
      return h("td", { class: "num" + (f && f.drifted ? " drifted status-lost" : ""), title: f ? (f.drifted ? "drifted: " : "no drift: ") + (f.explanation || "") : "not measured" },
        f ? fig(f.statistic, 3) + (f.drifted ? " !" : "") : "–");
    })));
    return h("div", {}, h("h3", {}, "Drift per feature over time"),
      explain("The most important features, window by window (the latest 12): each cell is the feature's drift statistic; marked with ! and in red when it drifted."),
      h("div", { class: "table-wrap" }, h("table", { id: "drift-history-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Feature"), windows.map((w) => h("th", { scope: "col" }, fmtDate(w.start))))), h("tbody", {}, rows))));
  }

  // A line chart over windows: one polyline per series, points with their value as a tooltip, dates at both ends.
  function seriesChart(id, title, labels, series, yMin = 0, yMax = 1) {
    const W = 720, H = 240, L = 44, R = 16, T = 12, B = 40;
    const n = labels.length;
    const x = (i) => (n <= 1 ? L + (W - L - R) / 2 : L + (i / (n - 1)) * (W - L - R));
    const y = (v) => T + (1 - (v - yMin) / Math.max(1e-9, yMax - yMin)) * (H - T - B);
    const svg = s("svg", { class: "chart", id, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": id + "-title" }, s("title", { id: id + "-title" }, title));
    for (let k = 0; k <= 4; k++) {
      const v = yMin + (k / 4) * (yMax - yMin);
      svg.append(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e1e5ea" }), s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, v.toFixed(2)));
    }
    for (const ser of series) {
      const pts = ser.values.map((v, i) => [i, v]).filter(([, v]) => typeof v === "number" && isFinite(v));
      if (pts.length > 1) svg.append(s("polyline", { points: pts.map(([i, v]) => x(i) + "," + y(v)).join(" "), fill: "none", stroke: ser.colour, "stroke-width": 2,
        "stroke-dasharray": ser.dashed ? "6 4" : null }));
      for (const [i, v] of pts) svg.append(s("circle", { cx: x(i), cy: y(v), r: 4, fill: ser.colour, class: "point-" + ser.key }, s("title", {}, labels[i] + ": " + ser.name + " " + v.toFixed(3))));
    }
    if (n) svg.append(s("text", { x: L, y: H - 10 }, labels[0]), s("text", { x: W - R, y: H - 10, "text-anchor": "end" }, labels[n - 1]));
    const legend = h("div", { class: "legend" }, series.map((ser) => h("span", {},
      s("svg", { width: 14, height: 12, "aria-hidden": "true" }, s("circle", { cx: 6, cy: 6, r: 5, fill: ser.colour })), " " + ser.name)));
    return [svg, legend];
  }

  // ---- Monitoring ----
  async function monitoringPage(params) {
    const query = new URLSearchParams();
    for (const k of ["window", "slot"]) if (params.get(k)) query.set(k, params.get(k));
    const d = await api("/dashboard/api/monitoring?" + query);
    const drift = d.drift, perf = d.performance;
    const out = [h("h1", {}, "Monitoring")];
    const pick = (id, label, name, options) => h("div", { class: "field" }, h("label", { for: id }, label),
      h("select", { id, name }, Object.entries(options).map(([v, t]) => h("option", { value: v, selected: (params.get(name) || "") === v }, t))));
    out.push(h("div", { class: "panel" }, h("form", { class: "filters", "aria-label": "Monitoring window", onsubmit: (e) => {
      e.preventDefault();
      const f = new FormData(e.target), next = new URLSearchParams();
      for (const k of ["window", "slot"]) if (f.get(k)) next.set(k, f.get(k));
      location.hash = "#/monitoring?" + next;
    } }, pick("m-window", "Window", "window", { "": "Default (" + drift.window_days + " days)", 1: "1 day", 7: "7 days", 14: "14 days", 30: "30 days" }),
      pick("m-slot", "Model slot", "slot", { "": "Champion", challenger: "Challenger", shadow: "Shadow" }),
      h("button", { type: "submit" }, "Show"))));
    if (!drift.model_version || !drift.windows.length) {
      out.push(message(drift.message || "Nothing to monitor yet: no prediction has been logged for this slot.", "info"));
      return out;
    }
    const latest = drift.windows[drift.windows.length - 1];
    out.push(h("div", { class: "panel summary", id: "drift-verdict" },
      h("div", {}, h("div", { class: "explain" }, "Model"), h("div", { class: "big" }, drift.model_version)),
      h("div", {}, h("div", { class: "explain" }, "Dataset drift in the latest window"), h("div", { class: "big " + (drift.dataset_drift ? "status-lost" : "status-won"), id: "dataset-drift" },
        drift.dataset_drift ? "Drifted" : "No drift")),
      h("div", { class: "explain" }, "Latest window from " + fmtDate(drift.latest_window_start) + ": " + (latest.drifted_features ?? 0) + " of " + drift.features.length +
        " features drifted, carrying " + share(latest.drifted_importance_share) + " of the importance (the dataset drifts above " + share(latest.drift_share_threshold) + ").")));
    const featureRows = [...drift.features].sort((a, b) => (d.importance[b.feature] ?? -1) - (d.importance[a.feature] ?? -1)).map((f) => h("tr", { class: f.drifted ? "drifted" : "" },
      h("td", {}, f.feature), h("td", {}, f.test), h("td", { class: "num" }, fig(f.statistic, 4)), h("td", { class: "num" }, fig(f.threshold, 4)),
      h("td", { class: f.drifted ? "status-lost" : "" }, yesNo(f.drifted)), h("td", { class: "num" }, fig(d.importance[f.feature], 4)), h("td", { class: "hide-narrow" }, f.explanation)));
    out.push(h("div", { class: "panel" }, h("h2", {}, "Data drift per feature"),
      explain("Each input's distribution in the latest window against the training reference: a statistic above its threshold is drift. Importance is the AUC the model loses without the feature."),
      tableOf("drift-table", ["Feature", "Test", "Statistic", "Threshold", "Drifted", "Importance", "What it means"], featureRows),
      seriesChart("drift-chart", "Drifted features per window", drift.windows.map((w) => fmtDate(w.start)),
        [{ key: "drifted", name: "share of features drifted", colour: "#b3261e", values: drift.windows.map((w) => w.features.length ? w.drifted_features / w.features.length : null) }]),
      explain("The share of features drifted in each window (1.0: every feature)."),
      driftOverTime(drift, d.importance)));
    const sd = latest.score_drift, gm = latest.grade_mix_drift;
    const grades = gm ? [...new Set([...Object.keys(gm.reference), ...Object.keys(gm.current)])].sort() : [];
    out.push(h("div", { class: "panel", id: "score-drift" }, h("h2", {}, "Scores and grade mix"),
      explain("Whether the scores the model gives, and the mix of grades, moved away from those on the training reference."),
      h("p", {}, "Score drift: ", h("strong", { id: "score-drift-verdict" }, sd ? (sd.drifted ? "drifted" : "no drift") : "–"),
        sd ? " (" + sd.test + " " + fig(sd.statistic, 4) + ", threshold " + fig(sd.threshold, 4) + ")" : ""),
      gm ? [h("p", {}, "Grade mix: ", h("strong", { id: "grade-mix-verdict" }, gm.drifted ? "drifted" : "no drift"), " (chi-squared p " + fig(gm.p_value, 4) + ")"),
        tableOf("grade-mix-table", ["Grade", "Reference", "Latest window"], grades.map((g) => h("tr", {}, h("td", {}, g), h("td", { class: "num" }, gm.reference[g] ?? 0), h("td", { class: "num" }, gm.current[g] ?? 0))))] : null,
      seriesChart("score-chart", "Median score probability per window", drift.windows.map((w) => fmtDate(w.start)), [
        { key: "p90", name: "90th percentile", colour: "#9aa3ad", dashed: true, values: drift.windows.map((w) => w.scores ? w.scores.p90 : null) },
        { key: "median", name: "median", colour: "#0b57d0", values: drift.windows.map((w) => w.scores ? w.scores.median : null) },
        { key: "p10", name: "10th percentile", colour: "#9aa3ad", dashed: true, values: drift.windows.map((w) => w.scores ? w.scores.p10 : null) }]),
      explain("The predicted probability's spread in each window: median and the 10th-90th percentiles.")));
    const labels = perf.windows.map((w) => fmtDate(w.start));
    out.push(h("div", { class: "panel" }, h("h2", {}, "Performance"),
      explain("AUC per window: realized where the outcomes have matured, estimated (CBPE, from the probabilities alone) for every window, so a drop shows before the outcomes are in. Dashed: the held-out AUC at training (" + fig(perf.held_out_auc) + ")."),
      seriesChart("performance-chart", "Realized and estimated AUC per window", labels, [
        { key: "held-out", name: "held-out AUC", colour: "#9aa3ad", dashed: true, values: perf.windows.map(() => perf.held_out_auc) },
        { key: "estimated", name: "estimated (CBPE)", colour: "#8a5300", dashed: true, values: perf.windows.map((w) => w.estimated_auc) },
        { key: "realized", name: "realized", colour: "#1a7f37", values: perf.windows.map((w) => w.cohort_matured ? w.realized_auc : null) }], 0.4, 1),
      tableOf("performance-table", ["Window", "Predictions", "Matured", "Realized AUC", "Estimated AUC", "PR AUC", "ECE", "Concept drift"], perf.windows.map((w) => h("tr", {},
        h("td", {}, fmtDate(w.start)), h("td", { class: "num" }, w.predictions), h("td", { class: "num" }, w.matured_rows),
        h("td", { class: "num" }, w.cohort_matured ? fig(w.realized_auc) : "not matured"), h("td", { class: "num" }, fig(w.estimated_auc)),
        h("td", { class: "num" }, fig(w.pr_auc)), h("td", { class: "num" }, fig(w.ece)), h("td", {}, w.concept ? (w.concept.dropped ? "dropped" : "no") : "–"))))));
    out.push(h("div", { class: "panel" }, h("h2", {}, "Alerts"), explain("Alerts the monitoring job raised (drift detected, performance dropped), newest window first."),
      d.alerts.length ? tableOf("alerts-table", ["Raised", "Kind", "Model", "Window", "Message"], d.alerts.map((a) => h("tr", {},
        h("td", {}, fmtTime(a.raised_at)), h("td", {}, a.kind), h("td", {}, a.model_version + " (" + a.slot + ")"),
        h("td", {}, fmtDate(a.window_start) + " – " + fmtDate(a.window_end)), h("td", {}, a.message)))) : message("No alerts.", "info")));
    return out;
  }

  // ---- Model lifecycle ----
  const KINDS = { training: "training", gate: "promotion gate", challenge_started: "challenge started", challenge_ended: "challenge ended", challenge_kept: "challenger kept",
    promotion: "promotion", rollback: "rollback", watch_ended: "watch ended" };

  function rulesList(evaluation) {
    const rules = Array.isArray(evaluation.rules) ? evaluation.rules : [];
    return h("div", {}, h("p", { class: "explain" }, evaluation.summary),
      rules.length ? h("ul", { class: "rules" }, rules.map((r) => h("li", { class: r.passed ? "status-won" : "status-lost" },
        (r.passed ? "passed: " : "failed: ") + (r.rule || JSON.stringify(r)),
        h("span", { class: "explain" }, " " + Object.entries(r).filter(([k]) => k !== "rule" && k !== "passed")
          .map(([k, v]) => k.replace(/_/g, " ") + " " + (typeof v === "number" ? fig(v, 4) : JSON.stringify(v))).join(", "))))) : null);
  }

  async function lifecyclePage() {
    const d = await api("/dashboard/api/lifecycle");
    const out = [h("h1", {}, "Model lifecycle")];
    const c = d.challenger;
    out.push(h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("h2", {}, "Champion"), h("p", {}, "Serving scores: ", h("strong", { id: "lc-champion" }, d.champion || "none")),
        d.watch ? explain("Watched since its promotion on " + fmtDate(d.watch.promoted_at) + " against " + d.watch.previous + " (" + d.watch.looks + " looks so far); rolled back automatically if it does worse.") : null),
      h("div", { class: "panel", id: "challenger" }, h("h2", {}, "Challenger"),
        c ? [h("p", {}, h("strong", { id: "lc-challenger" }, c.version), " in ", h("strong", { id: "lc-mode" }, c.mode), " mode" +
            (c.split_percent != null ? ", serving " + c.split_percent + "% of leads" : c.mode === "shadow" ? ", scoring every lead beside the champion without serving" : "")),
          c.started_at ? explain("Since " + fmtDate(c.started_at) + "; " + c.looks + " looks at the matured outcomes, alpha spent " + fig(c.alpha_spent, 4) + ".") : null,
          c.latest ? h("div", { id: "challenger-comparison" }, h("p", {}, "Latest comparison (" + fmtTime(c.latest.at) + ", " + c.latest.rows + " leads):"), rulesList(c.latest))
            : explain("No comparison yet: it waits for enough matured outcomes.")]
          : explain("No challenger: the next model that passes the gate is challenged on live leads, or promoted, as the policy says."))));
    out.push(h("div", { class: "panel" }, h("h2", {}, "History"),
      explain("Every training, gate result (each rule with its figures), challenge, promotion and rollback, newest first, with its reason."),
      d.history.length ? tableOf("lifecycle-table", ["When", "What", "Version", "Before", "Reason and figures"], d.history.map((r) => h("tr", { "data-kind": r.event.kind },
        h("td", {}, fmtTime(r.event.at)), h("td", {}, KINDS[r.event.kind] || r.event.kind), h("td", {}, r.event.version || ""), h("td", {}, r.event.previous || ""),
        h("td", {}, r.event.reason, r.evaluation ? rulesList(r.evaluation) : null)))) : message("Nothing has happened yet: no model was trained, promoted or rolled back.", "info")));
    const status = h("div", { id: "policy-status", "aria-live": "polite" });
    const text = JSON.stringify(d.policy, null, 2);
    const area = h("textarea", { id: "policy", name: "policy", rows: 18, spellcheck: "false", readonly: !d.can_edit });
    area.value = text;
    out.push(h("div", { class: "panel" }, h("h2", {}, "Retraining policy"),
      explain("When a model is retrained (schedule, triggers), on which rows, the gate it must pass, how it is challenged and when it is rolled back. Version " + d.policy_version + (d.policy_version === 0 ? " (the default)." : ".")),
      h("form", { id: "policy-form", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("/dashboard/api/policy", { method: "POST", body: area.value, headers: { Accept: "application/json", "Content-Type": "application/json" } });
          await route();
          $("policy-status").replaceChildren(message("The policy was saved.", "info"));
        } catch (err) { status.replaceChildren(message(errorText(err))); }
      } }, h("label", { for: "policy" }, "Policy (JSON)"), area, status,
        d.can_edit ? h("div", { class: "actions" }, h("button", { type: "submit" }, "Save policy")) : explain("Read only: changing the policy needs the admin scope."))));
    return out;
  }

  // ---- Governance ----
  async function governancePage(params) {
    const [g, audit] = await Promise.all([api("/dashboard/api/governance"),
      api("/dashboard/api/audit?" + new URLSearchParams([...params].filter(([k, v]) => (k === "action" || k === "actor") && v)))]);
    const out = [h("h1", {}, "Governance")];
    const f = g.fairness;
    const fairness = h("div", { class: "panel", id: "fairness" }, h("h2", {}, "Fairness of the champion" + (g.champion ? " (" + g.champion + ")" : "")));
    if (!f) fairness.append(message(g.champion ? "The champion's model card has no fairness section: declare sensitive attributes in the fairness settings below (or PUT /api/v1/fairness/settings) and train again." : "There is no champion yet.", "info"));
    else {
      fairness.append(explain("On the held-out leads: how often each group is graded A or B (the decision a seller acts on), its ratio to the best group (below " +
        pct(f.ratio_limit) + " breaks the 80% rule), and the gaps in true and false positive rates to the best group. Groups under " + f.min_group_size + " leads show no figures."),
        explain("Attributes " + f.attributes_from + "; " + f.rows + " held-out leads, " + share(f.ab_share) + " graded A or B."));
      for (const a of f.attributes) {
        fairness.append(h("h3", {}, a.attribute + " (" + a.role + ")"), tableOf("fairness-" + a.attribute, ["Group", "Leads", "A/B share", "Ratio to best", "TPR gap", "FPR gap"],
          a.groups.map((gr) => gr.too_few
            ? h("tr", { class: "too-few" }, h("td", {}, gr.group), h("td", { class: "num" }, gr.rows), h("td", { colspan: 4, class: "explain" }, "too few leads to show (under " + f.min_group_size + ")"))
            : h("tr", { class: gr.flagged ? "flagged" : "" }, h("td", {}, gr.group), h("td", { class: "num" }, gr.rows), h("td", { class: "num" }, share(gr.ab_share)),
              h("td", { class: "num" + (gr.below_ratio ? " status-lost" : "") }, fig(gr.ab_ratio, 2) + (gr.below_ratio ? " below 80%" : "")),
              h("td", { class: "num" }, fig(gr.tpr_gap, 3)), h("td", { class: "num" }, fig(gr.fpr_gap, 3))))));
      }
      if (f.flags && f.flags.length) fairness.append(h("h3", {}, "Flags"), h("ul", { id: "fairness-flags" }, f.flags.map((x) => h("li", {}, x))));
      fairness.append(h("h3", {}, "Proxy alerts"), explain("Features that go with a sensitive attribute closely enough (association above " + fig(f.proxy_limit, 2) + ") to stand in for it."),
        (f.proxies || []).length ? tableOf("proxies-table", ["Feature", "Sensitive attribute", "Measure", "Association", "Alert"], f.proxies.map((p) => h("tr", {},
          h("td", {}, p.feature), h("td", {}, p.attribute), h("td", {}, p.measure), h("td", { class: "num" }, fig(p.value, 3)), h("td", { class: p.alert ? "status-lost" : "" }, yesNo(p.alert)))))
          : explain("No proxy checked."));
    }
    out.push(fairness);
    out.push(fairnessSettingsPanel(await api("/dashboard/api/fairness")));
    const verdict = h("div", { id: "audit-verdict", "aria-live": "polite" });
    const filter = (id, label, name, placeholder) => h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, name, type: "search", value: params.get(name) || "", placeholder }));
    out.push(h("div", { class: "panel" }, h("h2", {}, "Audit log"),
      explain("Who did what, newest first. Each entry carries the hash of the one before it, so a changed or deleted entry breaks the chain: verify it."),
      h("form", { class: "filters", role: "search", "aria-label": "Filter the audit log", onsubmit: (e) => {
        e.preventDefault();
        const fd = new FormData(e.target), next = new URLSearchParams();
        for (const k of ["action", "actor"]) if (fd.get(k).trim()) next.set(k, fd.get(k).trim());
        location.hash = "#/governance?" + next;
      } }, filter("a-action", "Action", "action", "e.g. privacy.erase"), filter("a-actor", "Actor", "actor", "e.g. dashboard"), h("button", { type: "submit" }, "Filter"),
        h("button", { type: "button", class: "secondary", id: "verify-chain", onclick: async () => {
          try {
            const v = await api("/dashboard/api/audit/verify");
            verdict.replaceChildren(v.ok ? message("The chain is intact: " + v.entries + " entries verified.", "info")
              : message("The chain is broken at entry " + v.broken_at + ": " + v.reason));
          } catch (err) { verdict.replaceChildren(message(errorText(err))); }
        } }, "Verify the chain")), verdict,
      audit.entries.length ? tableOf("audit-table", ["#", "When", "Actor", "Action", "Target", "Details"], audit.entries.map((e) => h("tr", {},
        h("td", { class: "num" }, e.sequence), h("td", {}, fmtTime(e.at)), h("td", {}, e.actor), h("td", {}, e.action), h("td", {}, e.target_kind + " " + e.target_id),
        h("td", { class: "hide-narrow" }, h("code", {}, JSON.stringify(e.details)))))) : message("No audit entry matches.", "info"),
      audit.truncated ? explain("Showing the newest " + audit.entries.length + " matching entries.") : null));
    return out;
  }

  // The fairness settings form: posts what PUT /api/v1/fairness/settings takes, to the same handler (its validation, its
  // audit entry); a refused field's message is shown next to that field.
  function fairnessSettingsPanel(fs) {
    const status = h("div", { id: "fairness-status", "aria-live": "polite" });
    const fields = [
      ["sensitive", "Sensitive attributes", "comma-separated lead attributes whose groups are compared, e.g. country, age_band (empty: none)", fs.sensitive.join(", ")],
      ["watch", "Watched attributes", "comma-separated attributes checked as possible proxies of a sensitive one", fs.watch.join(", ")],
      ["min_group_size", "Minimum group size", "groups with fewer held-out leads show their size only", String(fs.min_group_size)],
      ["mitigate", "Mitigated attribute", "a sensitive attribute that gets group-aware grade thresholds in models trained from now on (empty: off)", fs.mitigate || ""],
      ["ratio_threshold", "A/B share ratio threshold", "the 80% rule: a group's A/B share against the best group's below this is flagged (above 0, at most 1)", String(fs.ratio_threshold)],
      ["gap_threshold", "TPR/FPR gap threshold", "a true or false positive rate gap to the best group above this raises an alert (above 0, at most 1)", String(fs.gap_threshold)],
    ];
    const inputs = {}, errors = {};
    const rows = fields.map(([name, label, help, value]) => {
      inputs[name] = h("input", { id: "fs-" + name, name, type: "text", value, autocomplete: "off", spellcheck: "false",
        inputmode: name.endsWith("threshold") ? "decimal" : name === "min_group_size" ? "numeric" : null, "aria-describedby": "fs-" + name + "-help fs-" + name + "-error" });
      errors[name] = h("span", { class: "field-error", id: "fs-" + name + "-error", hidden: true });
      return h("div", { class: "field wide" }, h("label", { for: "fs-" + name }, label), inputs[name], h("span", { class: "explain", id: "fs-" + name + "-help" }, help), errors[name]);
    });
    const list = (v) => v.split(",").map((x) => x.trim()).filter((x) => x.length);
    // Numbers as numbers; text that is no number goes as typed, so the server names the field it cannot read.
    const number = (v) => { const t = v.trim(); return t === "" ? null : isFinite(Number(t)) ? Number(t) : t; };
    const form = h("form", { id: "fairness-form", class: "stack", novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      for (const n of Object.keys(errors)) { errors[n].hidden = true; errors[n].textContent = ""; inputs[n].removeAttribute("aria-invalid"); }
      status.replaceChildren();
      const body = { sensitive: list(inputs.sensitive.value), watch: list(inputs.watch.value), min_group_size: number(inputs.min_group_size.value),
        mitigate: inputs.mitigate.value.trim() || null, ratio_threshold: number(inputs.ratio_threshold.value), gap_threshold: number(inputs.gap_threshold.value) };
      try {
        await api("/dashboard/api/fairness", { method: "POST", body: JSON.stringify(body), headers: { Accept: "application/json", "Content-Type": "application/json" } });
        await route();
        $("fairness-status").replaceChildren(message("The fairness settings were saved; models trained from now on use them.", "info"));
      } catch (err) {
        let placed = false;
        for (const [key, msgs] of Object.entries(err.errors || {})) {
          const name = key.split(/[.[]/)[0];
          if (!errors[name]) continue;
          errors[name].textContent = [msgs].flat().join("; ");
          errors[name].hidden = false;
          inputs[name].setAttribute("aria-invalid", "true");
          if (!placed) inputs[name].focus();
          placed = true;
        }
        status.replaceChildren(message(placed ? "Not saved: correct the field marked below." : errorText(err)));
      }
    } }, rows, status, h("div", { class: "actions" }, h("button", { type: "submit", id: "fairness-save" }, "Save fairness settings")));
    return h("div", { class: "panel", id: "fairness-settings" }, h("h2", {}, "Fairness settings"),
      explain("Which attributes every new model card checks for fairness, and the thresholds monitoring and the promotion gate apply. " +
        (fs.declared ? "Declared (version " + fs.version + ")." : "Nothing declared yet: the schema's suggestion is in effect (" + fs.source + ").") +
        " Saved settings apply to models trained from now on; every change is written to the audit log."), form);
  }

  // ---- Privacy actions on a lead (privacy scope): each goes through PrivacyService, which audits it ----
  function privacyPanel(l) {
    const status = h("div", { id: "privacy-status", "aria-live": "polite" });
    const run = async (path, done) => {
      try { const r = await api(path, { method: "POST" }); await done(r); }
      catch (e) { status.replaceChildren(message(errorText(e))); }
    };
    const id = encodeURIComponent(l.id);
    const eraseButton = h("button", { type: "submit", class: "danger", id: "erase", disabled: true }, "Erase this lead");
    const confirmBox = h("input", { id: "erase-confirm", type: "text", autocomplete: "off", spellcheck: "false",
      oninput: (e) => { eraseButton.disabled = e.target.value !== l.id; } });
    return h("div", { class: "panel", id: "privacy" }, h("h2", {}, "Privacy"),
      explain("The person's rights: a copy of everything held about the lead, opting out of profiling (no scoring, training or webhooks), and erasure. Every action is written to the audit log."),
      h("div", { class: "actions" },
        h("a", { href: "/dashboard/api/privacy/export?id=" + id, download: "lead-" + l.id + ".json", id: "privacy-export" }, "Export everything held (JSON)"),
        l.profiling_opt_out
          ? h("button", { type: "button", class: "secondary", id: "opt-in", onclick: () => run("/dashboard/api/privacy/opt-in?id=" + id, async () => {
            await route(); $("privacy-status").replaceChildren(message("The lead is profiled again from the next re-score.", "info")); }) }, "Opt back in to profiling")
          : h("button", { type: "button", class: "secondary", id: "opt-out", onclick: () => run("/dashboard/api/privacy/opt-out?id=" + id, async () => {
            await route(); $("privacy-status").replaceChildren(message("The lead opted out of profiling.", "info")); }) }, "Opt out of profiling")),
      h("form", { class: "filters", id: "erase-form", onsubmit: (e) => {
        e.preventDefault();
        if (confirmBox.value !== l.id) return;
        run("/dashboard/api/privacy/erase?" + new URLSearchParams({ id: l.id, confirm: confirmBox.value }), async (r) => {
          $("view").replaceChildren(h("h1", {}, "Lead erased"), message("Everything stored about lead " + r.lead_id + " was erased" +
            (r.models_trained_with.length ? "; models trained with it: " + r.models_trained_with.join(", ") : "") + ".", "info"),
            h("ul", {}, r.notes.map((n) => h("li", {}, n))), h("p", {}, h("a", { href: "#/leads" }, "← Back to leads")));
        });
      } }, h("div", { class: "field" }, h("label", { for: "erase-confirm" }, "Type the lead id (" + l.id + ") to erase it"), confirmBox),
        eraseButton), status);
  }

  // ---- Data ----
  async function dataPage() {
    const d = await api("/dashboard/api/data");
    const cell = (v, cls) => h("td", { class: cls }, v);
    return [h("h1", {}, "Data"),
      h("div", { class: "panel" }, h("h2", {}, "Imports"), explain("Every import, newest first: rows read, what they did to the stored data, and how many were quarantined."),
        d.imports.length ? h("div", { class: "table-wrap" }, h("table", { id: "imports-table" },
          h("thead", {}, h("tr", {}, ["Started", "Kind", "File", "Status", "Read", "Inserted", "Updated", "Unchanged", "Quarantined", "Quarantined rows"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, d.imports.map((i) => h("tr", { "data-import": i.id }, cell(fmtTime(i.started_at)), cell(i.kind), cell(i.file), cell(i.status),
            cell(i.rows_read, "num"), cell(i.inserted, "num"), cell(i.updated, "num"), cell(i.unchanged, "num"), cell(i.rejected, "num"),
            h("td", {}, d.quarantine.some((q) => q.import_id === i.id) ? h("div", { class: "actions" },
              h("a", { href: "/dashboard/api/quarantine.csv?import=" + encodeURIComponent(i.id), download: "quarantine-" + i.id + ".csv", class: "quarantine-export" }, "Export"),
              h("button", { type: "button", class: "secondary quarantine-retry", onclick: async () => {
                try {
                  const r = await api("/dashboard/api/quarantine/retry?import=" + encodeURIComponent(i.id), { method: "POST" });
                  await route();
                  $("data-status").replaceChildren(message("Retried " + r.rows_read + " rows: " + (r.inserted + r.updated + r.unchanged) + " stored, " + r.rejected +
                    " still quarantined" + (r.rescored ? ", " + r.rescored + " leads re-scored" : "") + ".", "info"));
                } catch (e) { $("data-status").replaceChildren(message(errorText(e))); }
              } }, "Retry")) : "")))))) : message("Nothing imported yet.", "info")),
      h("div", { id: "data-status", "aria-live": "polite" }),
      h("div", { class: "panel" }, h("h2", {}, "Quarantine"), explain("Rows that could not be imported, each with its reason. Export an import's rows (its header, then the rows) to fix them and import the file again, or retry them once the cause is fixed (a new schema or feature definition); ./leadscore quarantine retry --mapping retries under a new mapping."),
        d.quarantine.length ? h("div", { class: "table-wrap" }, h("table", { id: "quarantine-table" },
          h("thead", {}, h("tr", {}, ["File", "Line", "Column", "Reason", "Row"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, d.quarantine.map((q) => h("tr", {}, cell(q.file), cell(q.line, "num"), cell(q.column || ""), cell(q.reason), h("td", {}, h("pre", { class: "raw" }, q.raw))))))) : message("The quarantine is empty.", "info"),
        d.quarantine_truncated ? explain("Showing the first " + d.quarantine.length + " rows.") : null)];
  }

  // ---- Settings ----
  async function settingsPage() {
    const d = await api("/dashboard/api/settings");
    const cell = (v, cls) => h("td", { class: cls }, v ?? "");
    return [h("h1", {}, "Settings"),
      h("div", { class: "panel" }, h("h2", {}, "API keys"), explain("Keys are stored hashed; only their first characters are shown. Create and revoke them with ./leadscore apikey."),
        h("div", { class: "table-wrap" }, h("table", { id: "keys-table" }, h("thead", {}, h("tr", {}, ["Name", "Starts with", "Scopes", "Created", "Revoked"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, d.api_keys.map((k) => h("tr", {}, cell(k.name), cell(k.prefix + "…"), cell(k.scopes.join(", ")), cell(fmtTime(k.created_at)), cell(k.revoked_at ? fmtTime(k.revoked_at) : "")))))))
      , h("div", { class: "panel" }, h("h2", {}, "Webhooks"), explain("Each webhook with its ten most recent deliveries."),
        d.webhooks.length ? d.webhooks.map((w) => h("div", {}, h("p", {}, h("strong", {}, w.url), " · " + w.rule + (w.threshold !== null && w.threshold !== undefined ? " " + w.threshold : "")),
          w.recent_deliveries.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Queued", "Event", "Lead", "Status", "Attempts", "Last answer"].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, w.recent_deliveries.map((x) => h("tr", {}, cell(fmtTime(x.created_at)), cell(x.event), cell(x.lead_id), cell(x.status), cell(x.attempts, "num"),
              cell(x.last_status_code ?? x.last_error ?? "")))))) : explain("No deliveries yet.")))
          : message("No webhooks.", "info"))];
  }

  start().catch((e) => {
    $("view").hidden = false;
    $("view").replaceChildren(message("The dashboard could not start: " + (e.message || e)));
  });
})();
