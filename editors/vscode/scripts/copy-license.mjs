// Copies the repository's LICENSE next to package.json so that `vsce package` ships it in the .vsix.
// The copy is generated (see .gitignore); the repository root LICENSE is the only source.
import { copyFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(here, "..", "..", "LICENSE");
if (!existsSync(src)) {
  console.error(`copy-license: ${src} not found`);
  process.exit(1);
}
copyFileSync(src, join(here, "LICENSE"));
