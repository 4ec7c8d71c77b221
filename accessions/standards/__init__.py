"""Open standards for machines: OAI-PMH, citations, structured data, feeds, sitemaps, the API."""
