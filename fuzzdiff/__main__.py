"""``python -m fuzzdiff`` runs the command line."""

from fuzzdiff.cli import main

if __name__ == "__main__":
    main()
