"""Pure Ibis analytics: tables in, tables out; no connections, settings or clock."""
