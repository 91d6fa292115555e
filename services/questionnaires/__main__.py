from services.questionnaires.app import main

main()
