"""Citations of a record: Chicago, MLA and APA on the page; BibTeX, RIS and CSL-JSON files."""
