// Parse BibTeX from standard input with Better BibTeX's parser, as Zotero imports it, and
// print its entries and errors as JSON (run by tests/standards/test_citation_parsers.py).
import { readFileSync } from "node:fs";
import { parse } from "@retorquere/bibtex-parser";

const library = parse(readFileSync(0, "utf8"));
const entries = library.entries.map(({ type, key, fields }) => ({ type, key, fields }));
process.stdout.write(JSON.stringify({ errors: library.errors, entries }));
