from credkit_cli.main import main

main()
