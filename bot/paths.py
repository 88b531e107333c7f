"""Where the bot keeps its files unless told otherwise (OPTOUT_DATA_DIR): the SQLite database
and Discord's command-sync hash. Its own module so that storage, settings and the Discord door
share the default without importing each other."""

DEFAULT_DATA_DIR = "./data"
