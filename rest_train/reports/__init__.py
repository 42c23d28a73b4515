"""The per-iteration tables and plots a run writes (report.md, plot.png)."""
