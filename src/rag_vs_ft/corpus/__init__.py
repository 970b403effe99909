"""Domains: documents from pinned sources, the QA set, splits and the contamination check."""
