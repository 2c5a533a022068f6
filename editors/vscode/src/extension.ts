// VS Code client for the battgen language server.
//
// Starts `battc lsp` (or `<battgen.pythonPath> -m battgen lsp`) over stdio for `.batt` documents,
// restarts it when it dies (with a cap), and says clearly when the executable cannot be found.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  Message,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

const CLIENT_ID = "battgen";
const CLIENT_NAME = "battgen language server";
/** At most this many automatic restarts ... */
const MAX_RESTARTS = 5;
/** ... within this window; after that the user restarts by hand (command `battgen.restartServer`). */
const RESTART_WINDOW_MS = 3 * 60 * 1000;

let client: LanguageClient | undefined;
let watcher: vscode.FileSystemWatcher | undefined;
let output: vscode.OutputChannel;
let starting: Promise<void> | undefined;
let status: vscode.StatusBarItem;
let preview: PreviewPanel | undefined;

/** `battgen/building`: a stage of the as-built build of `uri` at `version` starts. */
interface Building {
  uri: string;
  version: number | null;
  stage: string;
  detail: string;
}

/** `battgen/built`: a build finished (`current`: of the newest text). */
interface Built {
  uri: string;
  version: number | null;
  current: boolean;
  seconds: number;
  cached: number;
  ran: number;
  errors: number;
  warnings: number;
  packs: { name: string; summary: string; passed: boolean }[];
}

/** `battgen/pictures`: each pack's layout.svg, busbars.svg and temperatures.svg. */
interface Pictures {
  uri: string;
  version: number | null;
  packs: { name: string; pictures: { file: string; svg: string }[] }[];
}

const PICTURES = ["layout.svg", "busbars.svg", "temperatures.svg"];

/** The newest build and the stage under way, per document: the status bar shows the active editor's. */
const built = new Map<string, Built>();
const building = new Map<string, Building>();

function showStatus(): void {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "batt") {
    status.hide();
    return;
  }
  const uri = editor.document.uri.toString();
  const name = path.basename(editor.document.uri.fsPath);
  const stage = building.get(uri);
  const last = built.get(uri);
  if (stage) {
    status.text = `$(sync~spin) battgen: ${stage.stage}…`;
    status.tooltip = `battgen: building ${name} (version ${stage.version}): ${stage.stage} ${stage.detail}`;
  } else if (last) {
    const icon = last.errors ? "$(error)" : last.warnings ? "$(warning)" : "$(check)";
    status.text = `${icon} battgen: ${last.packs.map((k) => k.summary).join("; ") || "built"}`;
    status.tooltip =
      `battgen: ${name} as built in ${last.seconds.toFixed(2)} s (${last.cached} stage(s) from the cache, ` +
      `${last.ran} run): ${last.errors} error(s), ${last.warnings} warning(s). Click for the preview.`;
  } else {
    status.hide();
    return;
  }
  status.show();
}

/** The side panel showing the pictures of the current as-built build. */
class PreviewPanel {
  private pictures: Pictures | undefined;
  private built: Built | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    public uri: string,
  ) {
    this.render();
  }

  update(pictures: Pictures): void {
    this.pictures = pictures;
    this.uri = pictures.uri;
    this.render();
  }

  summary(built: Built): void {
    if (built.uri !== this.uri || !built.current) return;
    this.built = built;
    this.render();
  }

  private render(): void {
    const esc = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const name = path.basename(vscode.Uri.parse(this.uri).fsPath);
    const head = this.built
      ? this.built.packs.map((p) => `<p class="summary">${esc(p.name)}: ${esc(p.summary)}</p>`).join("") +
        `<p class="meta">${this.built.errors} error(s), ${this.built.warnings} warning(s) as built; ` +
        `${this.built.seconds.toFixed(2)} s (${this.built.cached} stage(s) from the cache)</p>`
      : "";
    let body = `<p class="meta">Waiting for the build of ${esc(name)}…</p>`;
    if (this.pictures) {
      body = this.pictures.packs
        .map((pack) =>
          pack.pictures
            .filter((p) => PICTURES.includes(p.file))
            .map(
              (p) =>
                `<figure><figcaption>${esc(pack.name)} — ${p.file}</figcaption>` +
                `<img data-file="${p.file}" alt="${p.file}" src="data:image/svg+xml;base64,${Buffer.from(p.svg, "utf8").toString("base64")}"></figure>`,
            )
            .join(""),
        )
        .join("");
    }
    this.panel.title = `battgen preview: ${name}`;
    this.panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline';">
<style>body{font-family:var(--vscode-font-family);color:var(--vscode-foreground)}
img{max-width:100%;background:#fff;border:1px solid var(--vscode-panel-border)}
figure{margin:0 0 1.2em 0}figcaption{font-weight:600;margin-bottom:.3em}.meta{opacity:.75}</style>
</head><body><h3>${esc(name)} as built</h3>${head}${body}</body></html>`;
  }
}

export interface ServerCommand {
  /** The executable as configured (for messages). */
  configured: string;
  /** Which setting it came from. */
  setting: "battgen.serverPath" | "battgen.pythonPath";
  command: string;
  args: string[];
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("battgen");
  context.subscriptions.push(output);
  output.appendLine(`battgen: extension activated (${context.extension.packageJSON.version as string})`);

  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  status.name = "battgen build";
  status.command = "battgen.showPreview";
  context.subscriptions.push(status);

  context.subscriptions.push(
    vscode.commands.registerCommand("battgen.showPreview", () => showPreview()),
    vscode.window.onDidChangeActiveTextEditor(() => showStatus()),
    vscode.commands.registerCommand("battgen.restartServer", async () => {
      output.appendLine("battgen: restart requested");
      await stopClient();
      await startClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (
        event.affectsConfiguration("battgen.serverPath") ||
        event.affectsConfiguration("battgen.pythonPath")
      ) {
        output.appendLine("battgen: server settings changed, restarting the language server");
        await stopClient();
        await startClient(context);
      }
    }),
    { dispose: () => void stopClient() },
  );

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

/** The command that runs the language server, from the settings. */
export function serverCommand(config: vscode.WorkspaceConfiguration): ServerCommand {
  const python = (config.get<string>("pythonPath") ?? "").trim();
  if (python !== "") {
    return {
      configured: python,
      setting: "battgen.pythonPath",
      command: python,
      args: ["-m", "battgen", "lsp"],
    };
  }
  const battc = (config.get<string>("serverPath") ?? "").trim() || "battc";
  return { configured: battc, setting: "battgen.serverPath", command: battc, args: ["lsp"] };
}

function workspaceRoot(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
  return folder?.uri.fsPath;
}

/** Expands `~` and `${workspaceFolder}` and makes a relative path (one with a separator) absolute. */
function expand(p: string): string {
  const root = workspaceRoot();
  let out = p.replace(/\$\{workspaceFolder\}/g, root ?? ".");
  if (out === "~" || out.startsWith("~/")) {
    out = path.join(os.homedir(), out.slice(1));
  }
  if (!path.isAbsolute(out) && (out.includes("/") || out.includes(path.sep))) {
    out = path.resolve(root ?? process.cwd(), out);
  }
  return out;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `command`, looked up on PATH when it is a bare name; undefined if absent. */
export function findExecutable(command: string): string | undefined {
  const expanded = expand(command);
  if (path.isAbsolute(expanded)) {
    return isExecutableFile(expanded) ? expanded : undefined;
  }
  const exts =
    process.platform === "win32"
      ? ["", ...(process.env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";")]
      : [""];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, expanded + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function notFoundMessage(cmd: ServerCommand): string {
  return (
    `battgen: cannot start the language server: '${cmd.configured}' was not found. ` +
    `Install battgen (pip install -e .) or set ${cmd.setting}.`
  );
}

async function offerHelp(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, "Open Settings", "Show Output");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "battgen.");
  } else if (choice === "Show Output") {
    output.show(true);
  }
}

/** Restarts a dying server up to MAX_RESTARTS times in RESTART_WINDOW_MS, then gives up loudly. */
class RestartingErrorHandler implements ErrorHandler {
  private restarts: number[] = [];
  /** Set once the user has been shown an error for this client, so that it is not shown twice. */
  notified = false;

  constructor(private readonly cmd: ServerCommand) {}

  error(error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult {
    output.appendLine(`battgen: language server connection error: ${error.message}`);
    if (count !== undefined && count <= 3) {
      return { action: ErrorAction.Continue, handled: true };
    }
    return { action: ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length < MAX_RESTARTS) {
      this.restarts.push(now);
      output.appendLine(
        `battgen: the language server stopped; restarting (${this.restarts.length}/${MAX_RESTARTS})`,
      );
      return { action: CloseAction.Restart, handled: true };
    }
    const message =
      `battgen: the language server (${[this.cmd.command, ...this.cmd.args].join(" ")}) ` +
      `stopped ${MAX_RESTARTS + 1} times in ${RESTART_WINDOW_MS / 60000} minutes and will not be ` +
      `restarted. See the 'battgen' output, then run 'battgen: Restart Language Server'.`;
    output.appendLine(message);
    if (!this.notified) {
      this.notified = true;
      void offerHelp(message);
    }
    return { action: CloseAction.DoNotRestart, handled: true };
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  if (starting) {
    await starting;
  }
  starting = doStart(context).finally(() => {
    starting = undefined;
  });
  await starting;
}

async function doStart(_context: vscode.ExtensionContext): Promise<void> {
  if (client) return;
  const cmd = serverCommand(vscode.workspace.getConfiguration("battgen"));
  const resolved = findExecutable(cmd.command);
  if (!resolved) {
    const message = notFoundMessage(cmd);
    output.appendLine(message);
    void offerHelp(message);
    return;
  }

  output.appendLine(`battgen: starting language server: ${[resolved, ...cmd.args].join(" ")}`);
  const serverOptions: ServerOptions = {
    command: resolved,
    args: cmd.args,
    // stdio, but with `transport` left unset: TransportKind.stdio would append `--stdio` to the
    // arguments, and the server's command line is exactly `battc lsp`.
    options: { cwd: workspaceRoot(), env: { ...process.env } },
  };
  watcher = vscode.workspace.createFileSystemWatcher("**/*.batt");
  const handler = new RestartingErrorHandler(cmd);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "batt" },
      { scheme: "untitled", language: "batt" },
    ],
    synchronize: { fileEvents: watcher },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: handler,
  };

  const c = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  c.onDidChangeState((e) => {
    if (e.newState === State.Running) {
      output.appendLine("battgen: language server running");
      if (preview) void c.sendNotification("battgen/preview", { enabled: true, uri: preview.uri });
    }
  });
  c.onNotification("battgen/building", (p: Building) => {
    building.set(p.uri, p);
    showStatus();
  });
  c.onNotification("battgen/built", (p: Built) => {
    if (!p.current) return;
    building.delete(p.uri);
    built.set(p.uri, p);
    showStatus();
    preview?.summary(p);
    output.appendLine(
      `battgen: built ${p.uri} v${p.version} in ${p.seconds.toFixed(2)} s: ${p.packs.map((k) => k.summary).join("; ")}`,
    );
  });
  c.onNotification("battgen/pictures", (p: Pictures) => {
    if (preview && (p.uri === preview.uri || !preview.uri)) preview.update(p);
  });
  client = c;
  try {
    await c.start();
  } catch (err) {
    // The client stays: its error handler restarts the server (up to the cap), and
    // `battgen.restartServer` / stopClient() dispose it.
    const reason = err instanceof Error ? err.message : String(err);
    const message =
      `battgen: the language server (${[resolved, ...cmd.args].join(" ")}) failed to start: ${reason}. ` +
      `Its error output is in the 'battgen' output channel.`;
    output.appendLine(message);
    handler.notified = true;
    void offerHelp(message);
  }
}

async function stopClient(): Promise<void> {
  if (starting) {
    await starting.catch(() => undefined);
  }
  const c = client;
  client = undefined;
  watcher?.dispose();
  watcher = undefined;
  if (!c) return;
  try {
    if (c.isRunning()) {
      await c.stop(5000);
    }
    await c.dispose();
  } catch (err) {
    output.appendLine(`battgen: error while stopping the language server: ${String(err)}`);
  }
}

/** `battgen: Show pack preview`: a side panel with the current build's pictures. */
function showPreview(): void {
  const editor = vscode.window.activeTextEditor;
  const uri =
    editor && editor.document.languageId === "batt" ? editor.document.uri.toString() : (preview?.uri ?? "");
  if (preview) {
    preview.uri = uri || preview.uri;
    preview.panel.reveal(vscode.ViewColumn.Beside, true);
  } else {
    const panel = vscode.window.createWebviewPanel(
      "battgen.preview",
      "battgen preview",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: false, retainContextWhenHidden: true },
    );
    preview = new PreviewPanel(panel, uri);
    panel.onDidDispose(() => {
      preview = undefined;
      void client?.sendNotification("battgen/preview", { enabled: false });
    });
  }
  output.appendLine(`battgen: preview of ${uri || "(no .batt editor)"}`);
  void client?.sendNotification("battgen/preview", { enabled: true, uri: preview.uri });
}
