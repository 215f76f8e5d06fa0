// Reads a yjs update (binary) from argv[2], applies it to a fresh Y.Doc, prints the maps as JSON.
import { readFileSync } from "node:fs";
import * as Y from "yjs";

const doc = new Y.Doc();
Y.applyUpdate(doc, new Uint8Array(readFileSync(process.argv[2])));
const out = {};
for (const name of process.argv.slice(3)) out[name] = doc.getMap(name).toJSON();
process.stdout.write(JSON.stringify(out));
