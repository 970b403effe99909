"""The comparison report: recommendation, tables, plots; markdown and self-contained HTML."""
