"""The Telegram door: settings, rendering, the python-telegram-bot Application and its runner."""
