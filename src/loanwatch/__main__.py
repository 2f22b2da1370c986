from loanwatch.cli import main

main()
