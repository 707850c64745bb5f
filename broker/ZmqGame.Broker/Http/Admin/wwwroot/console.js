// The ZmqGame broker's admin console: polls /admin/api/overview every second and the sessions every 5 s (and on
// search), and posts kick, push and drain. With an admin token, asks for it once and keeps it in sessionStorage.
"use strict";

(() => {
  const tokenKey = "zmqgame-admin-token";
  const $ = (id) => document.getElementById(id);
  let previous = null;
  let sessionUser = "";
  let overviewTimer = null;
  let sessionsTimer = null;

  async function api(path, body) {
    const headers = { "Accept": "application/json" };
    const token = sessionStorage.getItem(tokenKey);
    if (token) headers["Authorization"] = "Bearer " + token;
    const init = { headers, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch("/admin/api/" + path, init);
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (response.status === 401) {
      askForToken(token ? "that token was refused" : "");
      throw new Error("the admin token is needed");
    }
    if (!response.ok) throw new Error((data && data.error) || ("HTTP " + response.status));
    return data;
  }

  function askForToken(message) {
    stop();
    sessionStorage.removeItem(tokenKey);
    $("console").hidden = true;
    $("token-form").hidden = false;
    $("token-error").textContent = message;
    $("status").textContent = "admin token needed";
    $("token").focus();
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function button(row, label, action) {
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", action);
    td.appendChild(b);
    row.appendChild(td);
  }

  function fill(table, items, render) {
    const body = $(table).tBodies[0];
    const rows = items.map((item) => { const tr = document.createElement("tr"); render(tr, item); return tr; });
    body.replaceChildren(...rows);
  }

  function duration(seconds) {
    if (seconds < 60) return seconds.toFixed(0) + " s";
    if (seconds < 3600) return (seconds / 60).toFixed(0) + " min";
    if (seconds < 86400) return (seconds / 3600).toFixed(1) + " h";
    return (seconds / 86400).toFixed(1) + " d";
  }

  function rate(name, now) {
    if (!previous || now.atMs <= previous.atMs) return "–";
    const perSecond = (now.counters[name] - previous.counters[name]) * 1000 / (now.atMs - previous.atMs);
    return perSecond.toFixed(perSecond < 10 ? 1 : 0);
  }

  function showOverview(o) {
    const c = o.counters;
    $("c-requests-rate").textContent = rate("requests", o);
    $("c-replies-rate").textContent = rate("replies", o);
    $("c-errors-rate").textContent = rate("errors", o);
    $("c-pushes-rate").textContent = rate("pushes", o);
    $("c-sessions").textContent = c.sessions;
    $("c-logged-in").textContent = c.sessionsLoggedIn;
    $("c-workers").textContent = c.workers;
    $("c-requests").textContent = c.requests;
    $("c-replies").textContent = c.replies;
    $("c-errors").textContent = c.errors;
    $("c-pushes").textContent = c.pushes;
    previous = o;
    $("cluster").textContent = o.cluster ? "cluster " + o.cluster : "";
    fill("services", o.services, (tr, s) => {
      tr.dataset.service = s.name;
      for (const v of [s.name, s.waiting, s.workers, s.idle, s.busy, s.paused, s.draining, s.requests]) cell(tr, String(v));
    });
    fill("workers", o.workers, (tr, w) => {
      tr.dataset.worker = w.id;
      tr.className = w.state;
      cell(tr, w.service);
      cell(tr, w.id, "id");
      cell(tr, w.version);
      cell(tr, w.state, "state");
      cell(tr, duration(w.uptimeSeconds));
      cell(tr, String(w.served));
      if (w.state === "draining") cell(tr, "");
      else button(tr, "Drain", () => act("drain", { worker: w.id }, (r) => "worker " + w.id + ": " + r.outcome));
    });
    $("status").textContent = "live · " + new Date(o.atMs).toLocaleTimeString();
  }

  async function refreshOverview() {
    try { showOverview(await api("overview")); } catch (e) { $("status").textContent = e.message; }
  }

  async function refreshSessions() {
    try {
      const page = await api("sessions?limit=100&user=" + encodeURIComponent(sessionUser));
      $("session-count").textContent = page.matched + " of " + page.total + " sessions" + (page.matched > page.sessions.length ? " (newest " + page.sessions.length + " shown)" : "");
      fill("sessions", page.sessions, (tr, s) => {
        tr.dataset.session = s.id;
        if (s.user) tr.dataset.user = s.user;
        cell(tr, s.id, "id");
        cell(tr, s.user || "");
        cell(tr, s.service);
        cell(tr, s.attached ? "attached" : "detached");
        cell(tr, duration(s.ageSeconds));
        cell(tr, duration(s.idleSeconds) + " ago");
        cell(tr, s.groups.join(", "));
        button(tr, "Kick", () => act("kick", { session: s.id }, (r) => "kicked session " + s.id));
      });
    } catch (e) { $("status").textContent = e.message; }
  }

  async function act(path, body, describe) {
    const out = $("action-result");
    try {
      const result = await api(path, body);
      out.className = "";
      out.textContent = describe(result);
    } catch (e) {
      out.className = "error";
      out.textContent = e.message;
    }
    refreshOverview();
    refreshSessions();
  }

  function start() {
    $("token-form").hidden = true;
    $("console").hidden = false;
    stop();
    refreshOverview();
    refreshSessions();
    overviewTimer = setInterval(refreshOverview, 1000);
    sessionsTimer = setInterval(refreshSessions, 5000);
  }

  function stop() {
    clearInterval(overviewTimer);
    clearInterval(sessionsTimer);
  }

  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(tokenKey, $("token").value);
    $("token").value = "";
    start();
  });

  $("session-search").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionUser = $("session-user").value.trim();
    refreshSessions();
  });

  $("kick-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const user = $("kick-user").value.trim();
    act("kick", { user, reason: $("kick-reason").value.trim() || null }, (r) => "kicked " + user + " (" + r.sessions + " session" + (r.sessions === 1 ? ")" : "s)"));
  });

  $("push-target").addEventListener("change", () => { $("push-name").disabled = $("push-target").value === "all"; });

  $("push-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const target = $("push-target").value;
    const body = { target, name: target === "all" ? null : $("push-name").value.trim(), cmd: Number($("push-cmd").value), json: $("push-json").value };
    act("push", body, (r) => "pushed to " + r.sessions + " session" + (r.sessions === 1 ? "" : "s") + " (" + r.dropped + " dropped)");
  });

  start();
})();
