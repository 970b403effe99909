"""One evaluation harness for every arm: per-answer metrics and per-arm summaries."""
