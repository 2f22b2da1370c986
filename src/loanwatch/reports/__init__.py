"""Reports (报告): definitions rendered to HTML (and, later, PDF and Excel), with charts."""
