"""The `toon` command: one entry point, a subcommand per stage of the pipeline."""
