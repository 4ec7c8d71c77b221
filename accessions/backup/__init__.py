"""Backups: the whole archive as one BagIt bag, written while staff work, and restored from it."""
