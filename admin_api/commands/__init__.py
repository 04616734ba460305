"""One module per ``chatflow`` subcommand, each with ``register(subparsers)``; cli.py lists them."""
