// A stand-in for pywebview's js_api, for looking at the UI in a plain browser.
// Loaded only by dev/index.html, never by the app. Query parameters:
//   ?fail=system.health,system.methods   those methods answer with an error envelope
//   ?down=1                               every call rejects, as if the shell were gone
//   ?methods=5000                         system.methods returns that many methods
//   ?events=0                             no monitor.sample events
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const failing = new Set((params.get("fail") || "").split(",").filter(Boolean));
  const started = Date.now() / 1000 - 3725;
  let rss = 84.3 * 1024 * 1024;

  const PROTOCOL_METHODS = [
    ["system.ping", "Answer at once; proves the core's request loop is alive."],
    ["system.info", "Version, protocol, pid, uptime and active containment features."],
    ["system.health", "Run the health checks and report each one."],
    ["system.methods", "List every RPC method with its documentation."],
    ["persona.create", "Create a persona.\n\nName must be unique."],
    ["persona.list", "List personas, paginated."],
    ["memory.add", "Add one memory; durable when it returns."],
    ["memory.search", "Search a persona's memories: vector, full-text or hybrid."],
    ["cache.stats", "Hits, misses and bytes per namespace and tier."],
    ["plugin.call", "Call a plugin function in its sandboxed host."],
    ["monitor.snapshot", "Current samples for core, shell and plugin processes."],
    ["perf.run", "Start a perf suite run; progress arrives as task.progress events."],
  ];

  function methods() {
    const count = Number(params.get("methods") || PROTOCOL_METHODS.length);
    const items = PROTOCOL_METHODS.map(([name, doc]) => ({ name, doc }));
    for (let i = items.length; i < count; i++) {
      items.push({ name: `fake.method_${String(i).padStart(5, "0")}`, doc: `Generated method number ${i}.` });
    }
    return { items: items.slice(0, count) };
  }

  const RESULTS = {
    "system.ping": () => ({ pong: true, time: Date.now() / 1000 }),
    "system.info": () => ({
      version: "0.1.0", protocol: 1, pid: 48213, uptime_s: Date.now() / 1000 - started,
      home: "/home/ada/.local/share/pajamas-hub", platform: "Linux-6.1.0-28-amd64-x86_64-with-glibc2.36",
      containment: { rlimits: true, network_namespace: true, seccomp: false, job_object: false },
      rss: Math.round(rss),
    }),
    "system.health": () => ({
      status: "degraded",
      checks: {
        embedder: { status: "ok", detail: "all-MiniLM-L6-v2 loaded (384 dimensions)" },
        memory_store: { status: "ok", detail: "3 personas, 12,408 memories" },
        plugins: { status: "degraded", detail: "web-fetch disabled after 3 crashes in 10 min" },
        disk: { status: "ok", detail: "41.2 GB free in home" },
      },
    }),
    "system.methods": methods,
    "persona.list": (p) => page([{ id: "p1", name: "Ada" }, { id: "p2", name: "Wren Ashdown" }], p),
    "task.list": (p) => page([
      { id: "t1", kind: "perf", title: "perf run (quick)", state: "running", progress: 0.4,
        message: "running rpc.roundtrip", created_at: started, started_at: started,
        finished_at: null, cancel_requested: false, error: null },
      { id: "t2", kind: "memory.compact", title: "compact Ada", state: "failed", progress: 0.1,
        message: "", created_at: started - 60, started_at: started - 60, finished_at: started - 50,
        cancel_requested: false, error: { code: "internal", message: "disk full" } },
    ].filter((t) => !p.state || t.state === p.state), p),
    "task.cancel": () => ({ cancelled: true }),
    "settings.list": (p) => page([
      { name: "workers", type: "int", help: "Worker threads that run slow RPC methods.", default: 4,
        minimum: 1, value: 4, next_value: 3, source: "settings.toml", applies: "core_restart",
        restart_needed: true },
      { name: "debug_methods", type: "bool", help: "Offer the debug.* methods.", default: false,
        minimum: null, value: false, next_value: false, source: "default", applies: "core_restart",
        restart_needed: false },
    ], p),
    "settings.set": (p) => ({ name: p.name, value: p.value, source: "settings.toml", overridden_by: null }),
  };

  function page(items, { offset = 0, limit = 50 } = {}) {
    return { items: items.slice(offset, offset + limit), total: items.length };
  }

  function answer(method, params) {
    if (failing.has(method)) {
      return { ok: false, error: { code: "internal", message: `fake failure of ${method}`, data: null } };
    }
    const make = RESULTS[method];
    if (!make) return { ok: false, error: { code: "unknown_method", message: `no method '${method}'`, data: null } };
    return { ok: true, result: make(params ?? {}) };
  }

  function call(method, callParams) {
    if (params.get("down") === "1") return Promise.reject(new Error("connection to the core lost"));
    return new Promise((resolve) => setTimeout(() => resolve(answer(method, callParams)), 40));
  }

  function emitSample() {
    rss = Math.max(60e6, rss + (Math.random() - 0.45) * 1.5e6);
    const detail = { topic: "monitor.sample", time: Date.now() / 1000,
      data: { time: Date.now() / 1000, core: { rss: Math.round(rss), cpu_percent: 2 + Math.random() * 6, threads: 14 } } };
    window.dispatchEvent(new CustomEvent("pajamas:event", { detail }));
  }

  setTimeout(() => {
    window.pywebview = { api: { call } };
    window.dispatchEvent(new Event("pywebviewready"));
    if (params.get("events") === "0") return;
    // A burst of history once the page has subscribed, so the sparkline has a shape.
    setTimeout(() => { for (let i = 0; i < 40; i++) emitSample(); }, 400);
    setInterval(emitSample, 1000);
  }, 150);
})();
