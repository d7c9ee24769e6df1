from tickets.worker import main

main()
