"""The demo: a synthetic West Midlands 2008 inspection that reproduces the reference report's figures."""
