from mockpace.cli import main

main()
