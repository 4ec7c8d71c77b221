"""Scans: validated ingest, originals with fixity, derivatives, OCR, the viewer and IIIF.

Other concerns call ingest.ingest_scans, views.first_page_thumbnails and the viewer tag.
"""
