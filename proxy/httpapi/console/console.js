// rwarden's browser console. Credentials live in this closure only and go
// out as an Authorization header on fetch(): no cookie, so a page of
// another site cannot make the browser act for the user (CSRF), and every
// request of the API wants application/json, which a cross-site form
// cannot send. All text from the server is inserted as text, never HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let auth = null; // "Basic ..." while signed in
  let session = null; // the /v1 session id
  let running = false;

  function setStatus(s) { $("status").textContent = s; }

  function authHeader(user, pass) {
    const bytes = new TextEncoder().encode(user + ":" + pass);
    let bin = "";
    bytes.forEach((b) => { bin += String.fromCharCode(b); });
    return "Basic " + btoa(bin);
  }

  async function openSession() {
    const resp = await fetch("/v1/sessions", {
      method: "POST",
      headers: { "Authorization": auth, "X-Rwarden-Console": "1", "Content-Type": "application/json" },
      body: "{}",
      credentials: "omit",
    });
    const body = await resp.json().catch(() => ({}));
    if (resp.status !== 201) {
      throw new Error(body.message || ("HTTP " + resp.status));
    }
    session = body.id;
  }

  async function signIn(ev) {
    ev.preventDefault();
    $("login-error").textContent = "";
    auth = authHeader($("user").value, $("password").value);
    try {
      await openSession();
    } catch (e) {
      auth = null;
      $("login-error").textContent = "Sign-in failed: " + e.message;
      return;
    }
    $("password").value = "";
    probeAudit();
    $("who").textContent = $("user").value;
    $("login").hidden = true;
    $("console").hidden = false;
    $("signout").hidden = false;
    $("code").focus();
  }

  // The audit view (admins only): the newest records that match the
  // filter, and whether the whole hash chain verifies. "live" refreshes it
  // every few seconds.
  let liveTimer = null;

  async function probeAudit() {
    const resp = await fetch("/v1/audit?limit=1", { headers: headers(), credentials: "omit" }).catch(() => null);
    $("show-audit").dataset.allowed = resp && resp.ok ? "1" : "";
    $("show-audit").hidden = !(resp && resp.ok);
  }

  function headers() {
    return { "Authorization": auth, "X-Rwarden-Console": "1" };
  }

  function showView(name) {
    $("console").hidden = name !== "console";
    $("audit").hidden = name !== "audit";
    $("show-console").hidden = name === "console" || $("show-audit").hidden;
    $("show-audit").hidden = name === "audit" || $("show-audit").dataset.allowed !== "1";
    if (name === "audit") loadAudit();
    else setLive(false);
  }

  function setLive(on) {
    if (liveTimer) { clearInterval(liveTimer); liveTimer = null; }
    $("audit-live").checked = on;
    if (on) liveTimer = setInterval(loadAudit, 3000);
  }

  async function loadAudit(ev) {
    if (ev) ev.preventDefault();
    const q = new URLSearchParams({ limit: "200" });
    if ($("audit-user").value) q.set("user", $("audit-user").value);
    if ($("audit-decision").value) q.set("decision", $("audit-decision").value);
    if ($("audit-since").value) q.set("since", new Date($("audit-since").value).toISOString().replace(/\.\d+Z$/, "Z"));
    const resp = await fetch("/v1/audit?" + q.toString(), { headers: headers(), credentials: "omit" });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      $("chain").className = "error";
      $("chain").textContent = body.message || ("HTTP " + resp.status);
      return;
    }
    const chain = body.chain || {};
    $("chain").className = chain.ok ? "chain-ok" : "chain-broken";
    $("chain").textContent = chain.ok
      ? "Hash chain intact: " + chain.checked + " records verified."
      : "Hash chain BROKEN after " + chain.checked + " records: " + chain.break;
    const rows = (body.records || []).map((r) => {
      const tr = document.createElement("tr");
      tr.className = "record";
      const detail = [r.code ? r.code : "", r.error ? "error: " + r.error : "",
        (r.violations || []).map((v) => v.line + ":" + v.col + " " + v.object).join("\n")]
        .filter((x) => x !== "").join("\n");
      [String(r.seq), (r.time || "").replace("T", " ").replace(/\..*$/, ""), r.event, r.user || "",
        r.decision || "", r.status || "", detail].forEach((text, i) => {
        tr.appendChild(el("td", i === 6 ? "detail" : "", text));
      });
      return tr;
    });
    $("audit-table").tBodies[0].replaceChildren(...rows);
  }

  async function signOut() {
    if (session && auth) {
      await fetch("/v1/sessions/" + encodeURIComponent(session), {
        method: "DELETE", headers: { "Authorization": auth, "X-Rwarden-Console": "1" }, credentials: "omit",
      }).catch(() => {});
    }
    auth = null;
    session = null;
    setLive(false);
    $("audit-table").tBodies[0].replaceChildren();
    $("chain").textContent = "";
    $("audit").hidden = true;
    $("show-audit").hidden = true;
    $("show-audit").dataset.allowed = "";
    $("show-console").hidden = true;
    $("transcript").replaceChildren();
    $("console").hidden = true;
    $("signout").hidden = true;
    $("who").textContent = "";
    $("login").hidden = false;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // showPlot fetches a plot with the credentials (an <img> cannot send
  // them) and shows it from a blob: URL.
  async function showPlot(entry, url) {
    const resp = await fetch(url, { headers: { "Authorization": auth, "X-Rwarden-Console": "1" }, credentials: "omit" });
    if (!resp.ok) {
      entry.appendChild(el("div", "error", "plot unavailable: HTTP " + resp.status));
      return;
    }
    const img = el("img", "plot");
    img.alt = "plot";
    img.src = URL.createObjectURL(await resp.blob());
    entry.appendChild(img);
  }

  function showEnd(entry, res) {
    if (res.status === "ok") return;
    if (res.status === "denied") {
      entry.appendChild(el("div", "error", "Denied by policy; the code was not run."));
      (res.violations || []).forEach((v) => {
        entry.appendChild(el("div", "violation",
          v.line + ":" + v.col + "  " + v.function + "  " + v.rule + (v.hint ? "  (" + v.hint + ")" : "")));
      });
      return;
    }
    entry.appendChild(el("div", "error", res.error || res.message || res.status));
  }

  // run evaluates code in the session and shows its events as they come.
  async function run(code) {
    const entry = el("div", "entry");
    entry.appendChild(el("div", "input", "> " + code));
    const out = el("div", "output");
    entry.appendChild(out);
    $("transcript").appendChild(entry);
    let resp = await evalRequest(code);
    if (resp.status === 404) { // the session expired: open another
      await openSession();
      resp = await evalRequest(code);
    }
    const ctype = resp.headers.get("Content-Type") || "";
    if (!ctype.startsWith("text/event-stream")) {
      showEnd(entry, await resp.json().catch(() => ({ status: "error", error: "HTTP " + resp.status })));
      return;
    }
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    const plots = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let name = "message", data = "";
        block.split("\n").forEach((line) => {
          if (line.startsWith("event: ")) name = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        });
        const ev = JSON.parse(data || "{}");
        if (name === "console") {
          out.appendChild(document.createTextNode(ev.text));
        } else if (name === "plot" && ev.png) {
          plots.push(showPlot(entry, ev.png));
        } else if (name === "done" || name === "error") {
          await Promise.all(plots);
          showEnd(entry, ev);
        }
      }
    }
  }

  function evalRequest(code) {
    return fetch("/v1/sessions/" + encodeURIComponent(session) + "/eval", {
      method: "POST",
      headers: { "Authorization": auth, "X-Rwarden-Console": "1", "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ code: code, value: false }),
      credentials: "omit",
    });
  }

  async function submit(ev) {
    ev.preventDefault();
    const code = $("code").value;
    if (running || code.trim() === "") return;
    running = true;
    $("run").disabled = true;
    setStatus("running");
    try {
      await run(code);
      setStatus("idle");
    } catch (e) {
      setStatus("failed: " + e.message);
    } finally {
      running = false;
      $("run").disabled = false;
      $("transcript").lastElementChild?.scrollIntoView({ block: "end" });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", signIn);
    $("run-form").addEventListener("submit", submit);
    $("signout").addEventListener("click", signOut);
    $("show-audit").addEventListener("click", () => showView("audit"));
    $("show-console").addEventListener("click", () => showView("console"));
    $("audit-form").addEventListener("submit", loadAudit);
    $("audit-live").addEventListener("change", () => setLive($("audit-live").checked));
    $("code").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) submit(ev);
    });
  });
})();
