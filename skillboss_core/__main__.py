"""`python -m skillboss_core check`: the same commands as the `skillboss` console script."""

from skillboss_core.cli.check import main

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m skillboss_core"))
