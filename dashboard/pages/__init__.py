"""The dashboard's pages: each turns a checked Scope into components."""
