# `python -m mockserver` is the `credkit` command (an entry point: nothing imports it).
from credkit_cli.main import main

main()
