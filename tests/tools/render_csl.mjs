// Render CSL-JSON items from standard input with citeproc-js (Zotero's citation processor)
// in APA, and print each bibliography entry as plain text in a JSON list
// (run by tests/standards/test_citation_parsers.py).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import CSL from "citeproc";

const require = createRequire(import.meta.url);
// The APA style and the en-US locale as citation-js ships them.
const styles = require("@citation-js/plugin-csl/lib/styles.json");
const locales = require("@citation-js/plugin-csl/lib/locales.json");

const items = JSON.parse(readFileSync(0, "utf8"));
const byId = Object.fromEntries(items.map((item) => [item.id, item]));
const engine = new CSL.Engine(
  {
    retrieveLocale: (lang) => locales[lang] || locales["en-US"],
    retrieveItem: (id) => byId[id],
  },
  styles.apa,
  "en-US",
);
engine.setOutputFormat("text");
engine.updateItems(Object.keys(byId));
const [, entries] = engine.makeBibliography();
process.stdout.write(JSON.stringify(entries.map((entry) => entry.trim())));
