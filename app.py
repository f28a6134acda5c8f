"""Start PGT Studio from a checkout: `python app.py --help` (the same as the `pgt-studio` command)."""
from labeler.cli import main

if __name__ == "__main__":
    main()
