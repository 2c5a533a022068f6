#!/usr/bin/env node
// End-to-end test of the battgen VS Code extension in a real editor: code-server (VS Code in a
// browser, from npm) driven by Debian's headless Chromium through playwright-core.
//
//   bash setup.sh                                   # once: Debian packages, code-server, playwright-core
//   (cd .. && npm ci && npm run package)            # builds ../battgen-<version>.vsix
//   BATTC=/path/to/repo/.venv/bin/battc node run.mjs [--smoke]
//
// Steps: install the .vsix into a fresh extensions dir, start code-server on a free 127.0.0.1 port
// with a fresh user-data dir, open a temp copy of examples/ with battgen.serverPath = $BATTC, open
// sedan.batt (or the first example), check the extension activated, then wait for an inlay hint
// containing "kWh", a hover on the pack name containing "kWh", a squiggle after changing a unit to
// `kwh`, no squiggle after undo, the server back after "battgen: Restart Language Server", then
// in live.batt (the sedan pinned to 96s45p) the status bar's as-built figures, an as-built E711
// after raising the power to 180 kW, and "battgen: Show pack preview" showing layout.svg.
// Screenshots: e2e/screenshot.png, e2e/screenshot-preview.png. Exit 0 on success, 1 on a
// failed step, 2 when something needed is missing. code-server is always stopped.
//
// --smoke (or E2E_SMOKE=1): stop after the file is open and the extension has activated; the
// language server is not required.
//
// Environment: BATTC (default <repo>/.venv/bin/battc), VSIX (default newest ../battgen-*.vsix),
// BATT_EXAMPLES (default <repo>/examples), BATT_FILE (default sedan.batt), BATT_PYTHON (sets
// battgen.pythonPath, so the server runs as `$BATT_PYTHON -m battgen lsp`), CHROMIUM
// (default /usr/bin/chromium), E2E_TIMEOUT_MS (per step, default 60000), E2E_KEEP=1 keeps the temp dir.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXT_DIR = path.resolve(HERE, "..");
const REPO = path.resolve(HERE, "..", "..", "..");
const SMOKE = process.argv.includes("--smoke") || process.env.E2E_SMOKE === "1";
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 60000);
const BATTC = path.resolve(process.env.BATTC || path.join(REPO, ".venv", "bin", "battc"));
const EXAMPLES = path.resolve(process.env.BATT_EXAMPLES || path.join(REPO, "examples"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SCREENSHOT = path.join(HERE, "screenshot.png");
const PREVIEW_SHOT = path.join(HERE, "screenshot-preview.png");
const CODE_SERVER = path.join(HERE, "node_modules", "code-server", "out", "node", "entry.js");
const LIVE = "live.batt"; // written by makeWorkspace for the as-built step

// Used only when examples/ has no .batt file yet (the pack from docs/language-brief.md).
const FALLBACK_SEDAN = `# Fallback sample written by editors/vscode/e2e/run.mjs (examples/ had no .batt file)
cell m50t {
    format        = cylindrical(diameter = 21.1 mm, height = 70.15 mm)
    chemistry     = nmc811
    nominal       = 3.63 V
    voltage       in 2.5 V .. 4.2 V
    capacity      = 4.85 Ah
    mass          = 68.5 g
    resistance    = 23 mOhm
    discharge     <= 7.3 A
    source        = "LG Energy Solution, INR21700-M50T product specification, rev. 0.1, 2019"
}

envelope floor {
    outline = rect(1880 mm, 1380 mm)
    height  = 140 mm
    keepout tunnel = rect(300 mm, 1380 mm) at (790 mm, 0 mm)
}

pack sedan {
    cell     = m50t
    envelope = floor
    voltage  in 330 V .. 370 V
    energy   >= 75 kWh
    power    >= 250 kW for 10 s
    mass     <= 500 kg
}
`;

const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const log = (msg) => console.log(`[e2e ${stamp()}] ${msg}`);

class StepError extends Error {
  constructor(step, message, code = 1) {
    super(message);
    this.step = step;
    this.code = code;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(step, what, fn, timeout = TIMEOUT, interval = 250) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? ` (last error: ${last.message.split("\n")[0]})` : "";
      throw new StepError(step, `timed out after ${timeout / 1000}s waiting for ${what}${detail}`);
    }
    await sleep(interval);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function findFiles(dir, pred, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

function newestVsix() {
  if (process.env.VSIX) return path.resolve(process.env.VSIX);
  const found = fs
    .readdirSync(EXT_DIR)
    .filter((f) => /^battgen-.*\.vsix$/.test(f))
    .map((f) => path.join(EXT_DIR, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return found[0];
}

/** Temp workspace: a copy of examples/ (or the fallback sample) plus battgen settings. */
function makeWorkspace(tmp) {
  const ws = path.join(tmp, "workspace");
  const hasExamples = findFiles(EXAMPLES, (p) => p.endsWith(".batt")).length > 0;
  if (hasExamples) {
    fs.cpSync(EXAMPLES, ws, { recursive: true });
  } else {
    log(`WARNING: no .batt file under ${EXAMPLES}; using the language brief's sedan pack instead`);
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(path.join(ws, "sedan.batt"), FALLBACK_SEDAN);
  }
  const all = findFiles(ws, (p) => p.endsWith(".batt")).sort();
  const wanted = process.env.BATT_FILE || "sedan.batt";
  const file =
    all.find((p) => path.relative(ws, p) === wanted) ||
    all.find((p) => path.basename(p) === path.basename(wanted)) ||
    all.find((p) => /^\s*pack\s+\w+/m.test(fs.readFileSync(p, "utf8"))) ||
    all[0];
  // the as-built step's file: the sedan pinned to 96s45p (the design loop cannot add cells in
  // parallel), at a power its worst cell carries; raising it to 180 kW puts that cell over its rating
  const sedan = path.join(ws, "sedan.batt");
  if (fs.existsSync(sedan)) {
    const pinned = fs
      .readFileSync(sedan, "utf8")
      .replace("    cell     = m50t\n", "    cell     = m50t\n    series   = 96\n    parallel = 45\n")
      .replace(/power( +)>= 200 kW for 10 s/, "power$1>= 150 kW for 10 s")
      .replace(/wall +=[^\n]*/, "wall    = 3 mm"); // the layout whose worst cell is 14.64 A at 180 kW
    if (pinned.includes("parallel = 45") && pinned.includes(">= 150 kW")) fs.writeFileSync(path.join(ws, LIVE), pinned);
  }
  fs.mkdirSync(path.join(ws, ".vscode"), { recursive: true });
  fs.writeFileSync(
    path.join(ws, ".vscode", "settings.json"),
    JSON.stringify(
      {
        "battgen.serverPath": BATTC,
        ...(process.env.BATT_PYTHON ? { "battgen.pythonPath": process.env.BATT_PYTHON } : {}),
        "battgen.trace.server": "messages",
      },
      null,
      2,
    ),
  );
  return { ws, file };
}

function userSettings(dataDir) {
  const dir = path.join(dataDir, "User");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "settings.json"),
    JSON.stringify(
      {
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "workbench.enableExperiments": false,
        "security.workspace.trust.enabled": false,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoUpdate": false,
        "extensions.autoCheckUpdates": false,
        "extensions.ignoreRecommendations": true,
        "editor.inlayHints.enabled": "on",
        "editor.hover.delay": 300,
        "editor.minimap.enabled": false,
        "chat.commandCenter.enabled": false,
      },
      null,
      2,
    ),
  );
}

/** The extension's own output channel log and the extension host log, as written by code-server. */
function readLogs(dataDir) {
  const logs = findFiles(path.join(dataDir, "logs"), (p) => p.endsWith(".log"));
  const output = logs
    .filter((p) => /battgen\.log$/.test(path.basename(p)))
    .map((p) => fs.readFileSync(p, "utf8"))
    .join("\n");
  const exthost = logs
    .filter((p) => path.basename(p) === "exthost.log")
    .map((p) => fs.readFileSync(p, "utf8"))
    .join("\n");
  return { output, exthost };
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    await Promise.race([exited, sleep(2000)]);
  }
}

/** Waits for the quick input (Quick Open / Go to Line) text box to be visible. */
async function quickInput(page) {
  await page
    .locator(".quick-input-widget .monaco-inputbox input")
    .first()
    .waitFor({ state: "visible", timeout: TIMEOUT })
    .catch(() => {
      throw new StepError("quick input", `the quick input box did not open within ${TIMEOUT / 1000}s`);
    });
}

/** Goes to line:col (1-based) with Go to Line and types `text` over the `count` characters there. */
async function typeOver(page, line, col, count, text) {
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+G");
  await quickInput(page);
  await page.keyboard.type(`${line}:${col}`);
  await page.keyboard.press("Enter");
  await sleep(300);
  for (let i = 0; i < count; i++) await page.keyboard.press("Shift+ArrowRight");
  await page.keyboard.type(text);
}

async function visibleToasts(page) {
  return page
    .locator(".notifications-toasts .notification-toast")
    .allInnerTexts()
    .then((ts) => ts.map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean))
    .catch(() => []);
}

/** The battgen status-bar item's text ("" when it is not shown). */
async function buildStatus(page) {
  return page
    .locator(".statusbar-item", { hasText: "battgen:" })
    .allInnerTexts()
    .then((ts) => ts.map((t) => t.replace(/\s+/g, " ").trim()).join(" | "))
    .catch(() => "");
}

/** Opens live.batt, waits for its build, raises the power until the worst cell is over its
 * rating and waits for the as-built E711 (the front end sees nothing wrong); then runs
 * "battgen: Show pack preview" and waits for the panel to show layout.svg. */
async function asBuiltAndPreview(page, ws, why) {
  const live = path.join(ws, LIVE);
  if (!fs.existsSync(live)) throw new StepError("as built", `${LIVE} was not written (sedan.batt changed?)`);
  const text = fs.readFileSync(live, "utf8");
  await page.keyboard.press("Control+P");
  await quickInput(page);
  await page.keyboard.type(LIVE);
  await sleep(500);
  await page.keyboard.press("Enter");
  await waitFor("as built", `the editor to show ${LIVE}`, async () =>
    (await page.locator(".tabs-container .tab.active").innerText().catch(() => "")).includes(LIVE),
  );
  const first = await waitFor("as built", "the status bar to show the pack as built", async () => {
    const t = await buildStatus(page);
    return /as built: 96s45p/.test(t) ? t : false;
  }).catch(async (e) => {
    throw new StepError(e.step, `${e.message}; status bar: '${await buildStatus(page)}'${await why()}`);
  });
  log(`status bar: ${first}`);
  const squiggles = () => page.locator(".monaco-editor .squiggly-error").count();
  const before = await squiggles();
  if (before) throw new StepError("as built", `${before} error squiggle(s) at 150 kW`);

  const lines = text.split("\n");
  const li = lines.findIndex((l) => /^\s*power\s+>= 150 kW/.test(l));
  const col = lines[li].indexOf("150");
  await typeOver(page, li + 1, col + 1, 3, "180");
  await page.keyboard.press("Escape");
  await waitFor("as built", "an error squiggle from the build after raising the power to 180 kW", async () => (await squiggles()) > 0).catch(
    async (e) => {
      throw new StepError(e.step, `${e.message}; status bar: '${await buildStatus(page)}'${await why()}`);
    },
  );
  await page.keyboard.press("Control+Shift+M"); // the Problems panel names the code
  const problem = await waitFor("as built", "E711 in the Problems panel", async () => {
    const t = await page.locator(".markers-panel").innerText().catch(() => "");
    const rows = t.split("\n");
    const at = rows.findIndex((l) => l.includes("E711"));
    return at < 0 ? false : rows.slice(Math.max(at - 3, 0), at + 2).join(" ").replace(/\s+/g, " ");
  }).catch(async (e) => {
    throw new StepError(e.step, e.message + (await why()));
  });
  log(`as-built diagnostic: ${problem.slice(0, 220)}`);
  log(`status bar: ${await buildStatus(page)}`);

  await page.keyboard.press("F1");
  await quickInput(page);
  await page.keyboard.type("battgen: Show pack preview");
  await sleep(500);
  await page.keyboard.press("Enter");
  const shown = await waitFor("preview", "the preview panel to show layout.svg", async () => {
    for (const frame of page.frames()) {
      const size = await frame
        .evaluate(() => {
          const img = document.querySelector('img[data-file="layout.svg"]');
          return img && img.complete && img.naturalWidth > 0 ? `${img.naturalWidth}x${img.naturalHeight}` : null;
        })
        .catch(() => null);
      if (size) {
        const files = await frame.evaluate(() => [...document.querySelectorAll("img[data-file]")].map((i) => i.dataset.file));
        return { size, files };
      }
    }
    return false;
  }).catch(async (e) => {
    throw new StepError(e.step, e.message + (await why()));
  });
  log(`preview panel: layout.svg ${shown.size}; pictures ${shown.files.join(", ")}`);
  await sleep(500);
  await page.screenshot({ path: PREVIEW_SHOT });
  log(`screenshot ${PREVIEW_SHOT}`);
}

async function main() {
  // --- preconditions -------------------------------------------------------------------------
  if (!fs.existsSync(CODE_SERVER)) {
    throw new StepError("setup", `code-server is not installed; run: bash ${path.join(HERE, "setup.sh")}`, 2);
  }
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    throw new StepError("setup", `playwright-core is not installed; run: bash ${path.join(HERE, "setup.sh")}`, 2);
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new StepError("setup", `${CHROMIUM} not found; run: bash ${path.join(HERE, "setup.sh")}`, 2);
  }
  const vsix = newestVsix();
  if (!vsix || !fs.existsSync(vsix)) {
    throw new StepError("setup", `no .vsix found in ${EXT_DIR}; run: (cd ${EXT_DIR} && npm ci && npm run package)`, 2);
  }
  if (!fs.existsSync(BATTC)) {
    const msg = `BATTC=${BATTC} does not exist (install battgen: python -m venv .venv && .venv/bin/pip install -e .)`;
    if (!SMOKE) throw new StepError("setup", msg, 2);
    log(`note: ${msg}; --smoke does not need it`);
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "battgen-e2e-"));
  const dataDir = path.join(tmp, "user-data");
  const extsDir = path.join(tmp, "extensions");
  const serverLog = path.join(tmp, "code-server.log");
  const { ws, file } = makeWorkspace(tmp);
  if (!file) throw new StepError("workspace", `no .batt file in ${ws}`, 2);
  const rel = path.relative(ws, file);
  const text = fs.readFileSync(file, "utf8");
  userSettings(dataDir);
  log(`temp dir ${tmp}; workspace file ${rel}; vsix ${path.basename(vsix)}; BATTC ${BATTC}`);

  let child;
  let browser;
  let page;
  let failed;
  try {
    // --- install the packaged extension --------------------------------------------------------
    const inst = spawnSync(
      process.execPath,
      [CODE_SERVER, "--extensions-dir", extsDir, "--user-data-dir", dataDir, "--install-extension", vsix],
      { encoding: "utf8", timeout: 120000 },
    );
    if (inst.status !== 0 || !fs.readdirSync(extsDir).some((d) => d.startsWith("battgen.battgen-"))) {
      throw new StepError("install", `code-server --install-extension failed (${inst.status}):\n${inst.stdout}\n${inst.stderr}`);
    }
    log(`installed ${fs.readdirSync(extsDir).filter((d) => d.startsWith("battgen.")).join(", ")}`);

    // --- start code-server ---------------------------------------------------------------------
    const port = await freePort();
    const out = fs.openSync(serverLog, "a");
    child = spawn(
      process.execPath,
      [
        CODE_SERVER,
        "--auth", "none",
        "--bind-addr", `127.0.0.1:${port}`,
        "--extensions-dir", extsDir,
        "--user-data-dir", dataDir,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        ws,
      ],
      { detached: true, stdio: ["ignore", out, out], env: { ...process.env, PORT: "" } },
    );
    const base = `http://127.0.0.1:${port}`;
    await waitFor("start code-server", `${base}/healthz`, async () => {
      if (child.exitCode !== null) {
        throw new StepError("start code-server", `code-server exited (${child.exitCode}):\n${fs.readFileSync(serverLog, "utf8")}`);
      }
      const r = await fetch(`${base}/healthz`);
      return r.ok;
    });
    log(`code-server up on ${base}`);

    // --- open the workspace in headless Chromium -------------------------------------------------
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector(".monaco-workbench", { timeout: TIMEOUT });
    log("workbench loaded");

    // --- open the file: click it in the explorer, else Quick Open ---------------------------------
    const name = path.basename(file);
    const row = page.locator(".explorer-folders-view .monaco-list-row", { hasText: name }).first();
    const inExplorer = await row
      .waitFor({ state: "visible", timeout: 15000 })
      .then(() => !rel.includes(path.sep))
      .catch(() => false);
    if (inExplorer) {
      await row.click();
    } else {
      await page.keyboard.press("Control+P");
      await quickInput(page);
      await page.keyboard.type(rel);
      await sleep(500);
      await page.keyboard.press("Enter");
    }
    const firstCode = text.split("\n").find((l) => /^\s*(cell|envelope|pack|material|use)\b/.test(l)).trim();
    await waitFor("open file", `the editor to show ${rel}`, async () => {
      const tab = await page.locator(".tabs-container .tab.active").innerText().catch(() => "");
      const lines = await page.locator(".monaco-editor .view-lines").first().innerText().catch(() => "");
      return tab.includes(name) && lines.replace(/\s+/g, " ").includes(firstCode.replace(/\s+/g, " "));
    });
    log(`opened ${rel}`);

    let mode = "?";
    await waitFor("language mode", "the status bar language mode to be batt", async () => {
      mode = (await page.locator('[id="status.editor.mode"]').innerText()).trim();
      return /batt/i.test(mode);
    }).catch((e) => {
      throw new StepError(e.step, `${e.message}; it is '${mode}' (is the extension installed?)`);
    });
    log(`language mode: ${mode}`);

    // --- the extension activated (its output channel says so) ------------------------------------
    const logs = await waitFor("activation", "the 'battgen' output channel log to say 'extension activated'", async () => {
      const l = readLogs(dataDir);
      return l.output.includes("extension activated") ? l : false;
    });
    log(`extension activated; battgen output so far:\n    ${logs.output.trim().split("\n").slice(0, 6).join("\n    ")}`);

    if (SMOKE) {
      await sleep(1500); // let notifications render for the screenshot
      for (const t of await visibleToasts(page)) log(`notification: ${t}`);
      await page.screenshot({ path: SCREENSHOT });
      log(`screenshot ${SCREENSHOT}`);
      log("SMOKE OK: code-server started, file opened, extension activated");
      return;
    }

    const why = async () => {
      const toasts = (await visibleToasts(page)).filter((t) => /battgen/i.test(t));
      const l = readLogs(dataDir).output.trim().split("\n").slice(-15).join("\n    ");
      return `${toasts.length ? `\n  notifications: ${toasts.join(" | ")}` : ""}\n  battgen output (last lines):\n    ${l}`;
    };

    // --- inlay hint containing kWh ---------------------------------------------------------------
    const hint = await waitFor("inlay hint", "an inlay hint containing 'kWh'", () =>
      page.evaluate(() => {
        for (const el of document.querySelectorAll(".monaco-editor .view-lines span")) {
          if (el.children.length === 0 && /\b(ced-|dyn-rule-)|inlay/i.test(el.className) && el.textContent.includes("kWh")) {
            return el.textContent;
          }
        }
        return false;
      }),
    ).catch(async (e) => {
      const spans = await page
        .evaluate(() =>
          [...document.querySelectorAll(".monaco-editor .view-lines span")]
            .filter((el) => el.children.length === 0 && el.textContent.includes("kWh"))
            .map((el) => `<span class="${el.className}">${el.textContent}</span>`),
        )
        .catch(() => []);
      throw new StepError(e.step, `${e.message}\n  editor spans with 'kWh': ${spans.join(" ") || "none"}${await why()}`);
    });
    log(`inlay hint: ${JSON.stringify(hint)}`);

    // --- hover on the pack name containing kWh ---------------------------------------------------
    const packMatch = /^\s*pack\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(text);
    if (!packMatch) throw new StepError("hover", `${rel} declares no pack`);
    const packName = packMatch[1];
    const hover = await waitFor(
      "hover",
      `a hover on pack '${packName}' containing 'kWh'`,
      async () => {
        const box = await page.evaluate((nm) => {
          for (const line of document.querySelectorAll(".monaco-editor .view-lines .view-line")) {
            if (!/^\s*pack\s/.test(line.textContent.replace(/\u00a0/g, " "))) continue;
            for (const s of line.querySelectorAll("span")) {
              if (s.children.length === 0 && s.textContent === nm) {
                const r = s.getBoundingClientRect();
                return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
              }
            }
          }
          return null;
        }, packName);
        if (!box) return false;
        await page.mouse.move(box.x, box.y - 40);
        await page.mouse.move(box.x, box.y, { steps: 4 });
        const widget = page.locator(".monaco-hover:not(.hidden)", { hasText: "kWh" }).first();
        try {
          await widget.waitFor({ state: "visible", timeout: 4000 });
          return (await widget.innerText()).replace(/\s+/g, " ").trim();
        } catch {
          // keyboard fallback: cursor on the name, then "Show Hover" (Ctrl+K Ctrl+I)
          await page.mouse.click(box.x, box.y);
          await page.keyboard.press("Control+K");
          await page.keyboard.press("Control+I");
          await widget.waitFor({ state: "visible", timeout: 4000 }).catch(() => undefined);
          return (await widget.isVisible()) ? (await widget.innerText()).replace(/\s+/g, " ").trim() : false;
        }
      },
      TIMEOUT,
      500,
    ).catch(async (e) => {
      throw new StepError(e.step, e.message + (await why()));
    });
    log(`hover: ${JSON.stringify(hover.slice(0, 160))}`);
    await page.keyboard.press("Escape");
    await page.mouse.move(5, 5);

    // --- type an error (kWh -> kwh), wait for a squiggle, undo, wait for it to go ----------------
    const lines = text.split("\n");
    const li = lines.findIndex((l) => /[0-9]\s*kWh\b/.test(l.replace(/#.*/, "")));
    if (li < 0) throw new StepError("edit", `${rel} has no quantity in kWh to break`);
    const col = lines[li].search(/kWh\b/);
    const squiggles = () => page.locator(".monaco-editor .squiggly-error").count();
    const baseline = await squiggles();
    if (baseline) log(`note: ${baseline} error squiggle(s) before editing`);
    await typeOver(page, li + 1, col + 1, 3, "kwh");
    await waitFor("squiggle", `a .squiggly-error after changing line ${li + 1} to 'kwh'`, async () => (await squiggles()) > baseline).catch(
      async (e) => {
        throw new StepError(e.step, e.message + (await why()));
      },
    );
    const problems = await page.locator('[id="status.problems"]').innerText().catch(() => "");
    log(`error squiggle shown for 'kwh' on line ${li + 1} (problems: ${problems.replace(/\s+/g, " ").trim()})`);
    await page.keyboard.press("Escape"); // close the completion list so it does not hide the squiggle
    await sleep(200);
    await page.screenshot({ path: SCREENSHOT });
    log(`screenshot ${SCREENSHOT}`);

    await page.keyboard.press("Control+Z");
    await waitFor("undo", "the error squiggle to disappear after undo", async () => {
      const lineText = await page.evaluate((n) => {
        const ls = [...document.querySelectorAll(".monaco-editor .view-lines .view-line")];
        return ls.map((l) => l.textContent.replace(/\u00a0/g, " ")).find((t) => t.includes(n)) || "";
      }, lines[li].trim().split(/\s+/)[0]);
      if (lineText.includes("kwh")) await page.keyboard.press("Control+Z");
      return (await squiggles()) <= baseline;
    });
    log("squiggle gone after undo");

    // --- the restart command brings the server back ----------------------------------------------
    const starts = () => (readLogs(dataDir).output.match(/starting language server/g) || []).length;
    const before = starts();
    await page.keyboard.press("F1");
    await quickInput(page);
    await page.keyboard.type("battgen: Restart Language Server");
    await sleep(500);
    await page.keyboard.press("Enter");
    await waitFor("restart command", "'battgen: Restart Language Server' to start the server again", async () => {
      const l = readLogs(dataDir).output;
      return starts() > before && l.lastIndexOf("language server running") > l.lastIndexOf("restart requested");
    }).catch(async (e) => {
      throw new StepError(e.step, e.message + (await why()));
    });
    log("restart command: server restarted");

    await asBuiltAndPreview(page, ws, why);
    log("PASS: inlay hint, hover, diagnostics on edit and undo, restart command, as-built diagnostic, preview");
  } catch (err) {
    failed = err;
    if (page) {
      await page.screenshot({ path: SCREENSHOT }).catch(() => undefined);
      console.error(`[e2e] screenshot of the failure: ${SCREENSHOT}`);
    }
    throw err;
  } finally {
    await browser?.close().catch(() => undefined);
    await stopServer(child);
    if (failed && fs.existsSync(serverLog)) {
      const tail = fs.readFileSync(serverLog, "utf8").trim().split("\n").slice(-15).join("\n    ");
      console.error(`[e2e] code-server log (last lines):\n    ${tail}`);
    }
    if (process.env.E2E_KEEP === "1") log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
    log("code-server stopped");
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof StepError) {
      console.error(`\nE2E FAIL [${err.step}]: ${err.message}`);
      process.exit(err.code);
    }
    console.error(`\nE2E FAIL: ${err?.stack || err}`);
    process.exit(1);
  },
);
